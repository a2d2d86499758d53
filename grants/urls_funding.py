"""URLs of agreements, tranches and disbursements (issue #5); added to grants/urls.py under the "grants" namespace.

Officers: the agreement of an application under /workspace/applications/<pk>/agreement/.
Organisation members: /me/applications/<pk>/agreement/ (read, accept) and the PDF.
Finance (and officers, who approve): the disbursement workspace under /workspace/disbursements/.
"""

from django.urls import path

from grants.views import funding

urlpatterns: list = [
    # Agreement: officers
    path(
        "workspace/applications/<int:pk>/agreement/",
        funding.agreement_issue,
        name="funding_agreement_issue",
    ),
    path(
        "workspace/applications/<int:pk>/agreement.pdf",
        funding.agreement_pdf,
        name="funding_agreement_pdf_staff",
    ),
    # Agreement: the organisation's members
    path(
        "me/applications/<int:pk>/agreement/",
        funding.agreement_accept,
        name="funding_agreement",
    ),
    path(
        "me/applications/<int:pk>/agreement.pdf",
        funding.agreement_pdf,
        name="funding_agreement_pdf",
    ),
    # Disbursements: finance and officers
    path("workspace/disbursements/", funding.workspace, name="funding_workspace"),
    path(
        "workspace/tranches/<int:pk>/disburse/",
        funding.prepare,
        name="funding_prepare",
    ),
    path(
        "workspace/disbursements/<int:pk>/",
        funding.disbursement_detail,
        name="funding_disbursement",
    ),
    path(
        "workspace/disbursements/<int:pk>/voucher/",
        funding.voucher_download,
        name="funding_voucher",
    ),
    path(
        "workspace/disbursements/<int:pk>/<str:action>/",
        funding.disbursement_action,
        name="funding_disbursement_action",
    ),
]
