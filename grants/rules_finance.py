"""Permissions of expenses, clawbacks, the funder dashboard and reconciliation (issue #5).

- The organisation's members (role applicant) report expenses on their funded project and read its
  statement; an officer decides expenses over the tolerance and opens clawbacks; finance records
  clawback repayments. Officers and finance read the funder dashboard and the reconciliation.
- Evaluators read spending against budget lines (read-only) where the evaluations area shows it.
"""

from __future__ import annotations

import rules

from accounts.enums import Role
from accounts.rules import has_role, is_finance
from grants.enums import ApplicationState
from grants.rules import is_applicant_member, is_officer

S = ApplicationState

# The states in which the organisation spends the grant and reports it (from signing to the final
# evaluation; a completed or terminated project reports no more).
SPENDING_STATES = frozenset({S.CONTRACTED, S.ACTIVE, S.MID_TERM, S.FINAL_EVALUATION})
# Every state with an agreement and possibly money: the statement and spending are shown.
FUNDED_STATES = SPENDING_STATES | {S.COMPLETED, S.TERMINATED}

is_evaluator = has_role(Role.EVALUATOR)


@rules.predicate
def is_spending(user, application) -> bool:
    return application is not None and application.state in SPENDING_STATES


@rules.predicate
def is_expense_member(user, expense) -> bool:
    return expense is not None and is_applicant_member(user, expense.application)


@rules.predicate
def is_receipt_reader(user, receipt) -> bool:
    if receipt is None:
        return False
    application = receipt.expense.application
    return bool(is_applicant_member(user, application) or is_officer(user) or is_finance(user))


is_staff_reader = is_officer | is_finance

rules.add_perm("grants.report_expense", is_applicant_member & is_spending)
rules.add_perm("grants.view_project_finance", is_applicant_member | is_staff_reader)
rules.add_perm("grants.view_project_spending", is_applicant_member | is_staff_reader | is_evaluator)
rules.add_perm("grants.view_expense_receipt", is_receipt_reader)
rules.add_perm("grants.decide_expense", is_officer)
rules.add_perm("grants.open_clawback", is_officer)
rules.add_perm("grants.record_clawback_repayment", is_finance)
rules.add_perm("grants.view_funding_dashboard", is_staff_reader)
rules.add_perm("grants.view_reconciliation", is_staff_reader)
