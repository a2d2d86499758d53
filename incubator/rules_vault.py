"""Who may see and change an organisation's vault (documents, bank accounts).

Loaded by ``IncubatorConfig.ready`` (django-rules only autodiscovers ``rules.py``). Asked with the
organisation as the object.
"""

from __future__ import annotations

import rules

from accounts.rules import is_officer
from incubator.rules import is_applicant_of_organisation, is_member_of_organisation

# Officers check documents when they screen applications; every member may read the vault.
rules.add_perm("incubator.view_vault", is_officer | is_member_of_organisation)
# Only the members who speak for the organisation file or remove its documents and accounts.
rules.add_perm("incubator.manage_vault", is_applicant_of_organisation)
# Account numbers are shown in full to the organisation's own members only; everyone else
# (officers included) sees the last four digits, enough to check a payment voucher against.
rules.add_perm("incubator.view_full_bank_account", is_member_of_organisation)
