"""URLs of resident feedback, 群众评议 (issue #6); added to grants/urls.py under the "grants" namespace.

Public (anyone, by the unguessable link or its QR code): ``/pingyi/<token>/`` and its confirmation
page. Officers: ``/workspace/applications/<pk>/feedback/…``. The poster PDF: officers, and the
organisation's members under ``/me/…``.
"""

from django.urls import path

from grants.views import feedback

urlpatterns = [
    path("pingyi/<str:token>/", feedback.public_page, name="feedback_public"),
    path("pingyi/<str:token>/confirm/<str:ref>/", feedback.confirm, name="feedback_confirm"),
    path("pingyi/<str:token>/confirm/<str:ref>/resend/", feedback.resend, name="feedback_resend"),
    path(
        "workspace/applications/<int:pk>/feedback/",
        feedback.officer_page,
        name="feedback_officer",
    ),
    path(
        "workspace/applications/<int:pk>/feedback/open/",
        feedback.officer_open,
        name="feedback_open",
    ),
    path(
        "workspace/applications/<int:pk>/feedback/settings/",
        feedback.officer_settings,
        name="feedback_settings",
    ),
    path(
        "workspace/applications/<int:pk>/feedback/responses/<int:response_pk>/exclude/",
        feedback.officer_exclude,
        name="feedback_exclude",
    ),
    path(
        "workspace/applications/<int:pk>/feedback/responses/<int:response_pk>/reinstate/",
        feedback.officer_reinstate,
        name="feedback_reinstate",
    ),
    path(
        "workspace/applications/<int:pk>/feedback/poster.pdf",
        feedback.poster,
        name="feedback_poster",
    ),
    path(
        "me/applications/<int:pk>/feedback/poster.pdf",
        feedback.poster,
        name="feedback_poster_applicant",
    ),
]
