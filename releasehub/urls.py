from django.contrib import admin
from django.urls import include, path

from releasehub.health import healthz, metrics

urlpatterns = [
    path("", include("releasehub.pages.urls")),
    path("", include("releasehub.releases.urls")),
    path("", include("releasehub.readiness.urls")),
    path("", include("releasehub.rollout.urls")),
    path("", include("releasehub.comms.urls")),
    path("", include("releasehub.flags.urls")),
    path("", include("releasehub.metrics.urls")),
    path("accounts/", include("releasehub.accounts.urls")),
    path("timed-actions/", include("releasehub.schedule.urls")),
    path("", include("releasehub.api.urls")),
    path("", include("releasehub.webhooks.urls")),
    path("", include("releasehub.feeds.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # Prometheus scrapes here; /metrics/ is the leadership page.
    path("-/metrics", metrics, name="prometheus-metrics"),
]
