from django.urls import path

from cms import views, views_photos

urlpatterns = [
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path(
        "project-photos/<int:pk>/<slug:size>.jpg", views_photos.project_photo, name="project_photo"
    ),
]
