"""Permissions of donations, matching funds and Stripe webhooks (issue #5).

Giving is public: anyone, signed in or not, may open a funded project's donation page. The list of
donations names donors and their e-mail addresses (personal data), so only officers and finance
staff see it; the organisation and evaluators see totals. Refunds send money back through Stripe:
officers only. The webhook is authenticated by its Stripe signature, not by a user.
"""

from __future__ import annotations

import rules

from accounts.rules import is_finance
from grants.rules import is_officer

rules.add_perm("grants.see_donations", is_officer | is_finance)
rules.add_perm("grants.refund_donation", is_officer)
