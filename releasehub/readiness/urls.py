from django.urls import path

from releasehub.readiness import views

app_name = "readiness"
urlpatterns = [
    path("releases/<uuid:code>/go-no-go/", views.page, name="page"),
    path("releases/<uuid:code>/go-no-go/panel/", views.panel, name="panel"),
    path("releases/<uuid:code>/go-no-go/sign/", views.sign, name="sign"),
    path("releases/<uuid:code>/go-no-go/squads/", views.involvement, name="involvement"),
    path("releases/<uuid:code>/go-no-go/decide/", views.decide, name="decide"),
    path("releases/<uuid:code>/readiness/checklists/", views.create, name="create"),
    path(
        "releases/<uuid:code>/readiness/items/<uuid:item>/", views.item_update, name="item_update"
    ),
    path(
        "releases/<uuid:code>/readiness/items/<uuid:item>/owner/",
        views.item_assign,
        name="item_assign",
    ),
    path("releases/<uuid:code>/readiness/smoke/", views.smoke, name="smoke"),
    path("releases/<uuid:code>/readiness/smoke/status/", views.smoke_panel, name="smoke_panel"),
    path("releases/<uuid:code>/readiness/regression/", views.regression, name="regression"),
    path("releases/<uuid:code>/readiness/meeting/", views.meeting, name="meeting"),
]
