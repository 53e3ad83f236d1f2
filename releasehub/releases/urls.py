from django.urls import path

from releasehub.releases import export_views, scope_views, views

app_name = "releases"
urlpatterns = [
    path("calendar/", views.release_calendar, name="calendar"),
    path("releases/", views.release_list, name="list"),
    path("releases/new/", views.release_create, name="create"),
    path("releases/train/fill/", views.train_fill, name="train_fill"),
    path("releases/hotfixes/new/", views.hotfix_create, name="hotfix_create"),
    path("releases/<uuid:code>/move/", views.release_move, name="move"),
    path("releases/<uuid:code>/skip/", views.release_skip, name="skip"),
    path("releases/<uuid:code>/cancel/", views.release_cancel, name="cancel"),
    path("releases/<uuid:code>/status/", views.release_status, name="status"),
    path("releases/<uuid:code>/handover/", views.release_handover, name="handover"),
    path(
        "releases/<uuid:code>/timeline.json",
        export_views.timeline_export,
        {"fmt": "json"},
        name="timeline_json",
    ),
    path(
        "releases/<uuid:code>/timeline.csv",
        export_views.timeline_export,
        {"fmt": "csv"},
        name="timeline_csv",
    ),
    path("releases/<uuid:code>/tickets/", scope_views.ticket_add, name="ticket_add"),
    path(
        "releases/<uuid:code>/tickets/<uuid:ticket>/",
        scope_views.ticket_update,
        name="ticket_update",
    ),
    path(
        "releases/<uuid:code>/tickets/<uuid:ticket>/remove/",
        scope_views.ticket_remove,
        name="ticket_remove",
    ),
    path("releases/<uuid:code>/risks/", scope_views.risk_add, name="risk_add"),
    path("releases/<uuid:code>/flags/", scope_views.flag_add, name="flag_add"),
    path("releases/<uuid:code>/oncall/", scope_views.oncall_assign, name="oncall_assign"),
    path("releases/<uuid:code>/dashboards/", scope_views.dashboard_add, name="dashboard_add"),
    path(
        "releases/<uuid:code>/dashboards/<uuid:board>/validate/",
        scope_views.dashboard_validate,
        name="dashboard_validate",
    ),
    path("releases/<uuid:code>/plans/", scope_views.rollback_plan_save, name="plan_save"),
    path(
        "releases/<uuid:code>/exceptions/",
        scope_views.exception_request,
        name="exception_request",
    ),
    path(
        "releases/<uuid:code>/exceptions/<uuid:exception>/decide/",
        scope_views.exception_decide,
        name="exception_decide",
    ),
    path("releases/<uuid:code>/hotfix/decide/", scope_views.hotfix_decide, name="hotfix_decide"),
    path(
        "releases/<uuid:code>/hotfix/<slug:kind>/",
        scope_views.hotfix_confirm,
        name="hotfix_confirm",
    ),
]
