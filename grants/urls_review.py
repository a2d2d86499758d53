"""URLs of the expert review (issue #4): the reviewer's pages under /review/ and the officer's
under /workspace/; added to grants/urls.py under the "grants" namespace."""

from django.urls import path

from grants.views import review, review_officer

urlpatterns = [
    # The reviewer
    path("review/", review.dashboard, name="review_dashboard"),
    path("review/profile/", review.profile, name="review_profile"),
    path(
        "review/profile/relations/<int:pk>/delete/",
        review.relation_delete,
        name="review_relation_delete",
    ),
    path("review/assignments/<int:pk>/", review.review, name="review_assignment"),
    path(
        "review/assignments/<int:pk>/declaration/",
        review.declaration,
        name="review_declaration",
    ),
    path("review/assignments/<int:pk>/decline/", review.decline, name="review_decline"),
    path("review/assignments/<int:pk>/autosave/", review.autosave, name="review_autosave"),
    path("review/assignments/<int:pk>/correction/", review.correction, name="review_correction"),
    path("review/assignments/<int:pk>/history/", review.history, name="review_history"),
    path(
        "review/assignments/<int:pk>/attachments/<int:attachment_pk>/",
        review.attachment_download,
        name="review_attachment",
    ),
    # The officer
    path("workspace/reviewers/", review_officer.pool, name="review_pool"),
    path(
        "workspace/reviewers/<int:user_pk>/",
        review_officer.pool_member,
        name="review_pool_member",
    ),
    path(
        "workspace/reviewers/<int:user_pk>/relations/<int:pk>/delete/",
        review_officer.pool_relation_delete,
        name="review_pool_relation_delete",
    ),
    path("workspace/calls/<int:pk>/reviewers/", review_officer.panels, name="review_panels"),
    path("workspace/calls/<int:pk>/reviewers/draw/", review_officer.draw, name="review_draw"),
    path(
        "workspace/applications/<int:pk>/reviewers/add/",
        review_officer.add,
        name="review_add_reviewer",
    ),
    path(
        "workspace/assignments/<int:pk>/remove/",
        review_officer.remove,
        name="review_remove_reviewer",
    ),
    path("workspace/calls/<int:pk>/conflicts/", review_officer.conflicts, name="review_conflicts"),
    path(
        "workspace/calls/<int:pk>/conflicts/detect/",
        review_officer.detect,
        name="review_detect_conflicts",
    ),
    path("workspace/calls/<int:pk>/conduct/", review_officer.conduct, name="review_conduct"),
]
