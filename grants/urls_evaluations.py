"""URLs of mid-term and final evaluations and track record (issue #6); added to grants/urls.py under the "grants" namespace."""

from django.urls import path

from grants.views import evaluations

urlpatterns: list = [
    # The evaluator's workspace
    path("evaluate/", evaluations.workspace, name="evaluations_workspace"),
    path("evaluate/<int:pk>/", evaluations.detail, name="evaluations_workspace_detail"),
    path("evaluate/<int:pk>/autosave/", evaluations.autosave, name="evaluations_autosave"),
    path(
        "evaluate/<int:pk>/activities/", evaluations.activity_add, name="evaluations_activity_add"
    ),
    path(
        "evaluate/<int:pk>/activities/<int:activity_pk>/delete/",
        evaluations.activity_delete,
        name="evaluations_activity_delete",
    ),
    path(
        "evaluate/<int:pk>/attachments/<int:attachment_pk>/",
        evaluations.attachment_download,
        name="evaluations_attachment",
    ),
    # Officers, from the evaluations panel of the project page
    path(
        "workspace/applications/<int:pk>/evaluations/start/",
        evaluations.start,
        name="evaluations_start",
    ),
    path("workspace/evaluations/<int:pk>/cancel/", evaluations.cancel, name="evaluations_cancel"),
    path(
        "workspace/calls/<int:pk>/evaluation-templates/<slug:kind>/",
        evaluations.template_edit,
        name="evaluations_template",
    ),
    path(
        "workspace/evaluations/<int:pk>/clawback/",
        evaluations.open_clawback,
        name="evaluations_open_clawback",
    ),
]
