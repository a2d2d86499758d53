"""URLs of milestone plans and reports (issue #6); added to grants/urls.py under the "grants" namespace."""

from django.urls import path

from grants.views import reports

urlpatterns: list = [
    # The organisation
    path("me/milestones/<int:milestone_pk>/report/", reports.write, name="reports_write"),
    path("me/reports/<int:pk>/", reports.edit, name="reports_edit"),
    path("me/reports/<int:pk>/autosave/", reports.autosave, name="reports_autosave"),
    # Officers
    path("workspace/reports/", reports.workspace, name="reports_workspace"),
    path("workspace/reports/<int:pk>/", reports.review, name="reports_review"),
    path(
        "workspace/applications/<int:application_pk>/milestones/generate/",
        reports.generate_plan,
        name="reports_generate_plan",
    ),
    path("workspace/milestones/<int:pk>/", reports.milestone_edit, name="reports_milestone_edit"),
    # Evaluators
    path("evaluate/reports/<int:pk>/", reports.evaluator_report, name="reports_evaluator"),
    # Private evidence, after a permission check
    path("files/report-evidence/<int:pk>/", reports.evidence_download, name="reports_evidence"),
]
