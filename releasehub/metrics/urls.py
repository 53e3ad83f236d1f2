from django.urls import path

from releasehub.metrics import views

app_name = "metrics"
urlpatterns = [
    path("metrics/", views.page, name="page"),
    path("metrics.json", views.as_json, name="json"),
    path("metrics/deployments.csv", views.deployments_csv, name="deployments_csv"),
    path("metrics/incidents.csv", views.incidents_csv, name="incidents_csv"),
    path("metrics/import/", views.import_upload, name="import"),
]
