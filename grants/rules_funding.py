"""Permissions of agreements, tranches and disbursements (issue #5).

Object permissions take the application (agreements, tranche views) or the disbursement. The
two-person rule is part of ``grants.approve_disbursement``: the preparer of a payment is never
allowed to approve it, whatever roles they hold (the database refuses it too).
"""

from __future__ import annotations

import rules

from accounts.rules import is_finance
from grants.rules import is_applicant_member, is_officer


@rules.predicate
def is_not_preparer(user, disbursement) -> bool:
    if disbursement is None:
        return True
    return bool(user and user.is_authenticated and user.pk != disbursement.prepared_by_id)


is_funding_staff = is_officer | is_finance

rules.add_perm("grants.issue_agreement", is_officer)
rules.add_perm("grants.view_funding", is_funding_staff | is_applicant_member)
rules.add_perm("grants.use_disbursement_workspace", is_funding_staff)
rules.add_perm("grants.prepare_disbursement", is_finance)
rules.add_perm("grants.approve_disbursement", is_funding_staff & is_not_preparer)
rules.add_perm("grants.record_disbursement_payment", is_finance)
rules.add_perm("grants.reconcile_disbursement", is_finance)
rules.add_perm("grants.cancel_disbursement", is_funding_staff)
rules.add_perm("grants.view_disbursement", is_funding_staff)
