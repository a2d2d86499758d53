from django.urls import path

from grants import (
    urls_decisions,
    urls_donations,
    urls_evaluations,
    urls_feedback,
    urls_finance,
    urls_funding,
    urls_impact,
    urls_pitch,
    urls_ranking,
    urls_reports,
    urls_review,
)
from grants.views import applicant, files, officer
from grants.views import inbox as inbox_views

app_name = "grants"

# Included at "" from yichuang/urls.py, before Wagtail's catch-all.
urlpatterns = [
    # Applicant side
    path("calls/<str:slug>/apply/", applicant.apply, name="apply"),
    path("me/applications/", applicant.application_list, name="my_applications"),
    path("me/applications/<int:pk>/", applicant.application_detail, name="application_detail"),
    path("me/applications/<int:pk>/edit/", applicant.application_edit, name="application_edit"),
    path(
        "me/applications/<int:pk>/autosave/",
        applicant.application_autosave,
        name="application_autosave",
    ),
    path(
        "me/applications/<int:pk>/comment/",
        applicant.application_comment,
        name="application_comment",
    ),
    path(
        "me/applications/<int:pk>/withdraw/",
        applicant.application_withdraw,
        name="application_withdraw",
    ),
    # In-app inbox of notifications (the recipient's own)
    path("me/inbox/", inbox_views.inbox, name="inbox"),
    path("me/inbox/read-all/", inbox_views.mark_all_read, name="inbox_mark_all_read"),
    path("me/inbox/<int:pk>/open/", inbox_views.open_notification, name="inbox_open"),
    path("me/inbox/<int:pk>/read/", inbox_views.mark_read, name="inbox_mark_read"),
    # Officer workspace
    path("workspace/", officer.workspace, name="officer_workspace"),
    path(
        "workspace/calls/<int:pk>/applications/",
        officer.call_applications,
        name="officer_call_applications",
    ),
    path(
        "workspace/calls/<int:pk>/applications/export.xlsx",
        officer.export_applications,
        name="officer_export",
    ),
    path(
        "workspace/applications/<int:pk>/", officer.application_detail, name="officer_application"
    ),
    path(
        "workspace/applications/<int:pk>/actions/<slug:code>/",
        officer.application_action,
        name="officer_action",
    ),
    path(
        "workspace/applications/<int:pk>/comments/",
        officer.add_comment,
        name="officer_comment",
    ),
    # Private files, after a permission check
    path("files/attachments/<int:pk>/", files.attachment_download, name="attachment_download"),
]

# Review (专家评审), ranking, 路演 and 公示: each area keeps its own URL module.
urlpatterns += (
    urls_review.urlpatterns
    + urls_ranking.urlpatterns
    + urls_pitch.urlpatterns
    + urls_decisions.urlpatterns
)
# Funding (issue #5) and evaluation (issue #6).
urlpatterns += (
    urls_funding.urlpatterns
    + urls_donations.urlpatterns
    + urls_finance.urlpatterns
    + urls_reports.urlpatterns
    + urls_evaluations.urlpatterns
    + urls_feedback.urlpatterns
    + urls_impact.urlpatterns
)
