from django.urls import path

from incubator.views import incubation as views
from incubator.views import incubation_training as training

app_name = "incubation"

# Mounted at /incubation/ (yichuang/urls.py).
urlpatterns = [
    path("", views.index, name="index"),
    path("intakes/<int:intake_pk>/apply/", views.apply, name="apply"),
    path("workspace/", views.workspace, name="workspace"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path(
        "applications/<int:pk>/actions/<str:code>/",
        views.application_action,
        name="application_action",
    ),
    path("applications/<int:pk>/agreement/", views.sign_agreement, name="sign_agreement"),
    path("applications/<int:pk>/service-plan/", views.service_plan, name="service_plan"),
    path(
        "applications/<int:pk>/financial-system/",
        views.financial_system,
        name="financial_system",
    ),
    path("applications/<int:pk>/handback/", views.handback, name="handback"),
    path("applications/<int:pk>/mentoring/", views.add_mentoring, name="add_mentoring"),
    path(
        "applications/<int:pk>/follow-ups/<int:follow_up_pk>/",
        views.follow_up_done,
        name="follow_up_done",
    ),
    path("applications/<int:pk>/assessments/", views.add_assessment, name="add_assessment"),
    path("courses/", training.course_list, name="courses"),
    path("courses/<int:pk>/", training.course_detail, name="course"),
    path("sessions/<int:pk>/attendance/", training.attendance, name="attendance"),
]
