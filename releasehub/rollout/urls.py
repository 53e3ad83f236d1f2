from django.urls import path

from releasehub.rollout import health_views, views, watch_views

app_name = "rollout"
urlpatterns = [
    path("releases/<uuid:code>/rollout/", views.board_page, name="board"),
    path("releases/<uuid:code>/rollout/services/step/", views.service_step, name="service_step"),
    path("releases/<uuid:code>/rollout/services/health/", views.health, name="health"),
    path("releases/<uuid:code>/rollout/override/", views.override, name="override"),
    path("releases/<uuid:code>/rollout/apps/step/", views.app_step, name="app_step"),
    path("releases/<uuid:code>/rollout/log/", views.log, name="log"),
    path("releases/<uuid:code>/rollout/complete/", views.complete, name="complete"),
    path("releases/<uuid:code>/rollout/anomalies/", watch_views.anomaly, name="anomaly"),
    path(
        "releases/<uuid:code>/rollout/anomalies/incident/",
        watch_views.anomaly_incident,
        name="anomaly_incident",
    ),
    path(
        "releases/<uuid:code>/rollout/anomalies/hotfix/",
        watch_views.anomaly_hotfix,
        name="anomaly_hotfix",
    ),
    path(
        "releases/<uuid:code>/rollout/incidents/resolve/",
        watch_views.resolve_incident,
        name="incident_resolve",
    ),
    path("releases/<uuid:code>/rollout/rollback/", watch_views.rollback, name="rollback"),
    path(
        "releases/<uuid:code>/rollout/rollback/result/",
        watch_views.rollback_result,
        name="rollback_result",
    ),
    path("services/<slug:slug>/health-rules/", health_views.health_rules, name="health_rules"),
    path(
        "services/<slug:slug>/health-rules/edit/",
        health_views.health_rule_edit,
        name="health_rule_edit",
    ),
    path(
        "services/<slug:slug>/health-rules/defaults/",
        health_views.health_rules_defaults,
        name="health_rules_defaults",
    ),
    path(
        "services/<slug:slug>/health-rules/try/",
        health_views.rule_try,
        name="health_rule_try",
    ),
]
