"""Who may publish a call's 公示, handle its objections and read decision letters (django-rules).

Imported by ``grants.rules`` so that the permissions exist wherever the others do. The objection
transitions (``uphold``, ``dismiss``) and ``objections_resolved`` ask ``grants.resolve_objection``,
and ``publish_notice`` / ``approve`` / ``reject`` ask ``grants.decide_application``; both are
officer permissions declared in ``grants.rules``. The 公示 page itself and lodging an objection are
public: anyone, signed in or not.
"""

from __future__ import annotations

import rules

from grants.rules import is_applicant_member, is_officer

# Call-level decision steps: publish the 公示, approve after it, decide a call without 公示.
rules.add_perm("grants.publish_public_notice", is_officer)
# The officer's page of a call's 公示 with the objectors' names and contacts.
rules.add_perm("grants.manage_public_notice", is_officer)
# The decision letter: the organisation it is addressed to, and officers.
rules.add_perm("grants.view_decision_letter", is_applicant_member | is_officer)
