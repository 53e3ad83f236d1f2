from django.urls import path

from releasehub.webhooks import outgoing_views, views_incoming

app_name = "webhooks"
urlpatterns: list = [
    path("webhooks/github/", views_incoming.github, name="github"),
    path("webhooks/gitlab/", views_incoming.gitlab, name="gitlab"),
    path("webhooks/alertmanager/<str:token>/", views_incoming.alertmanager, name="alertmanager"),
    path("webhooks/deliveries/", views_incoming.deliveries, name="deliveries"),
    path("webhooks/deliveries/<uuid:code>/", views_incoming.delivery, name="delivery"),
    path("webhooks/alerts/", views_incoming.alerts, name="alerts"),
    # Outgoing webhooks (staff): endpoints, their delivery log, a test event, re-enable.
    path("integrations/webhooks/", outgoing_views.endpoint_list, name="outgoing_list"),
    path("integrations/webhooks/new/", outgoing_views.endpoint_create, name="outgoing_create"),
    path(
        "integrations/webhooks/<uuid:code>/", outgoing_views.endpoint_detail, name="outgoing_detail"
    ),
    path(
        "integrations/webhooks/<uuid:code>/edit/",
        outgoing_views.endpoint_edit,
        name="outgoing_edit",
    ),
    path(
        "integrations/webhooks/<uuid:code>/test/",
        outgoing_views.endpoint_test,
        name="outgoing_test",
    ),
    path(
        "integrations/webhooks/<uuid:code>/enable/",
        outgoing_views.endpoint_enable,
        name="outgoing_enable",
    ),
]
