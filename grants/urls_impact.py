"""URLs of the impact dashboard and annual report (issue #6); added to grants/urls.py under the
"grants" namespace. Officers and finance staff only."""

from django.urls import path

from grants.views import impact

urlpatterns = [
    path("workspace/impact/calls/<int:pk>/", impact.call_dashboard, name="impact_call"),
    path(
        "workspace/impact/programmes/<int:pk>/",
        impact.programme_dashboard,
        name="impact_programme",
    ),
    path(
        "workspace/impact/programmes/<int:pk>/annual-report.xlsx",
        impact.annual_report_xlsx,
        name="impact_annual_xlsx",
    ),
    path(
        "workspace/impact/programmes/<int:pk>/annual-report.pdf",
        impact.annual_report_pdf,
        name="impact_annual_pdf",
    ),
]
