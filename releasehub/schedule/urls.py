from django.urls import path

from releasehub.schedule import views

app_name = "schedule"
urlpatterns = [
    path("", views.action_overview, name="overview"),
    path("actions/<uuid:code>/retry/", views.action_retry_view, name="retry"),
    path("deliveries/<uuid:code>/retry/", views.delivery_retry_view, name="delivery-retry"),
    path("deliveries/retry-failed/", views.delivery_retry_all_view, name="delivery-retry-all"),
]
