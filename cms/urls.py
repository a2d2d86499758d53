from django.urls import path

from cms import views

urlpatterns = [
    path("robots.txt", views.robots_txt, name="robots_txt"),
]
