from django.urls import path

from releasehub.releases import views

app_name = "releases"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
