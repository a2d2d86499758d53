"""URLs of one area of the review (issue #4); added to grants/urls.py under the "grants" namespace.

Decision and 公示: the public pages under /gongshi/ (anonymous), the officer's pages under
/workspace/calls/<pk>/public-notice/, and the decision letter (PDF).
"""

from django.urls import path

from grants.views import decisions, public_notice, public_results

urlpatterns: list = [
    # Public 公示 and objections (no account needed)
    path("gongshi/", public_notice.notice_index, name="public_notice_index"),
    path(
        "gongshi/objections/<str:token>/",
        public_notice.objection_verify,
        name="objection_verify",
    ),
    path(
        "gongshi/objections/<str:token>/resend/",
        public_notice.objection_resend,
        name="objection_resend",
    ),
    path("gongshi/<str:slug>/", public_notice.notice_detail, name="public_notice"),
    path("gongshi/<str:slug>/results/", public_results.call_results, name="public_results"),
    path(
        "gongshi/<str:slug>/projects/<int:pk>/objection/",
        public_notice.objection_lodge,
        name="objection_lodge",
    ),
    # Officer workspace
    path("workspace/calls/<int:pk>/public-notice/", decisions.notice_page, name="decisions_notice"),
    path(
        "workspace/calls/<int:pk>/public-notice/approve/",
        decisions.approve,
        name="decisions_approve",
    ),
    path("workspace/calls/<int:pk>/decide/", decisions.decide, name="decisions_decide"),
    path(
        "workspace/calls/<int:pk>/public-notice/objections/<int:objection_pk>/",
        decisions.objection_page,
        name="decisions_objection",
    ),
    path(
        "workspace/calls/<int:pk>/public-notice/objections/<int:objection_pk>/resolve/",
        decisions.objection_resolve,
        name="decisions_objection_resolve",
    ),
    # Decision letters (PDF): the organisation's members and officers
    path(
        "me/applications/<int:pk>/decision-letter.pdf",
        decisions.decision_letter,
        name="decision_letter",
    ),
    path(
        "workspace/applications/<int:pk>/decision-letter.pdf",
        decisions.decision_letter,
        name="officer_decision_letter",
    ),
]
