from django.urls import path

from releasehub.schedule import views

app_name = "schedule"
urlpatterns = [
    path("", views.action_overview, name="overview"),
    path("actions/<uuid:code>/retry/", views.action_retry_view, name="retry"),
]
