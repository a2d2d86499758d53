from django.urls import path

from incubator.views import volunteers as views
from incubator.views import volunteers_manage as manage

app_name = "volunteering"

# Mounted at /volunteering/ (yichuang/urls.py).
urlpatterns = [
    # Public: opportunities and the reward catalogue.
    path("", views.activity_list, name="activity_list"),
    path("activities/<int:pk>/", views.activity_detail, name="activity_detail"),
    path("activities/<int:pk>/signup/", views.activity_signup, name="activity_signup"),
    path("activities/<int:pk>/cancel/", views.activity_cancel, name="activity_cancel"),
    path("activities/<int:pk>/hours/", views.enter_hours, name="enter_hours"),
    path("checkin/<str:token>/", views.checkin, name="checkin"),
    path("rewards/", views.reward_list, name="rewards"),
    path("rewards/<int:pk>/redeem/", views.reward_redeem, name="reward_redeem"),
    path("redemptions/<int:pk>/cancel/", views.redemption_cancel, name="redemption_cancel"),
    # The volunteer.
    path("register/", views.register, name="register"),
    path("me/", views.profile, name="profile"),
    path("me/edit/", views.profile_edit, name="profile_edit"),
    path(
        "certificates/<int:volunteer_pk>/<int:organisation_pk>.pdf",
        views.certificate,
        name="certificate",
    ),
    # Organisers and officers.
    path("manage/", manage.manage_home, name="manage"),
    path("manage/activities/new/", manage.activity_create, name="activity_create"),
    path("manage/activities/<int:pk>/", manage.activity_manage, name="manage_activity"),
    path("manage/activities/<int:pk>/edit/", manage.activity_edit, name="activity_edit"),
    path("manage/activities/<int:pk>/publish/", manage.activity_publish, name="activity_publish"),
    path("manage/activities/<int:pk>/qr.svg", manage.activity_qr, name="activity_qr"),
    path("manage/activities/<int:pk>/roster/add/", manage.roster_add, name="roster_add"),
    path(
        "manage/activities/<int:pk>/roster/<int:signup_pk>/hours/",
        manage.roster_hours,
        name="roster_hours",
    ),
    path("manage/hours/", manage.hours_pending, name="hours_pending"),
    path("manage/hours/<int:pk>/approve/", manage.hours_approve, name="hours_approve"),
    path("manage/hours/<int:pk>/reject/", manage.hours_reject, name="hours_reject"),
    path("manage/export.csv", manage.export_csv, name="export_csv"),
    path("manage/teams/", manage.teams, name="teams"),
    path("manage/volunteers/new/", manage.register_on_paper, name="register_on_paper"),
    path("manage/rewards/", manage.rewards_manage, name="rewards_manage"),
    path("manage/rewards/<int:pk>/edit/", manage.reward_edit, name="reward_edit"),
    path(
        "manage/redemptions/<int:pk>/fulfil/",
        manage.redemption_fulfil,
        name="redemption_fulfil",
    ),
]
