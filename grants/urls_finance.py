"""URLs of expenses, clawbacks, the funder dashboard and reconciliation (issue #5); added to
grants/urls.py under the "grants" namespace. Every name starts with ``finance_``."""

from django.urls import path

from grants.views import finance

urlpatterns: list = [
    # The organisation (its members): expenses, receipts, statement
    path("me/applications/<int:pk>/expenses/new/", finance.expense_new, name="finance_expense_new"),
    path("me/applications/<int:pk>/statement/", finance.my_statement, name="finance_my_statement"),
    path(
        "me/applications/<int:pk>/statement.xlsx",
        finance.my_statement_export,
        name="finance_my_statement_export",
    ),
    path("files/receipts/<int:pk>/", finance.receipt_download, name="finance_receipt"),
    # Officers: expenses over the tolerance, clawbacks; finance: repayments
    path(
        "workspace/expenses/<int:pk>/<slug:outcome>/",
        finance.expense_decide,
        name="finance_expense_decide",
    ),
    path(
        "workspace/applications/<int:pk>/clawbacks/",
        finance.clawback_open,
        name="finance_clawback_open",
    ),
    path(
        "workspace/clawbacks/<int:pk>/repaid/",
        finance.clawback_repaid,
        name="finance_clawback_repaid",
    ),
    # Funder dashboard, statements and reconciliation (officers and finance)
    path("workspace/funding/", finance.funding_dashboard, name="finance_dashboard"),
    path(
        "workspace/funding/export.xlsx",
        finance.funding_dashboard_export,
        name="finance_dashboard_export",
    ),
    path(
        "workspace/funding/projects/<int:pk>/statement/",
        finance.project_statement,
        name="finance_statement",
    ),
    path(
        "workspace/funding/projects/<int:pk>/statement.xlsx",
        finance.project_statement_export,
        name="finance_statement_export",
    ),
    path(
        "workspace/funding/reconciliation/",
        finance.reconciliation,
        name="finance_reconciliation",
    ),
]
