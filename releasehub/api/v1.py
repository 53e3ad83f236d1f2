"""The API object: /api/v1/, its schema at /api/v1/schema, its docs at /api/v1/docs."""

from ninja import NinjaAPI

from releasehub.api import problems
from releasehub.api.auth import TokenAuth, TokenRateThrottle
from releasehub.api.routers import metrics as metrics_router
from releasehub.api.routers import readiness, releases, scope
from releasehub.api.routers import rollout as rollout_router

api = NinjaAPI(
    title="ReleaseHub API",
    version="1",
    description=(
        "Pipelines and people report release-day facts. Every write goes through the same "
        "services, gates and audit as the browser. See docs/api.md."
    ),
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/schema",
    auth=TokenAuth(),
    throttle=[TokenRateThrottle()],
)
problems.install(api)
api.add_router("/", releases.router)
api.add_router("/", rollout_router.router)
api.add_router("/", scope.router)
api.add_router("/", readiness.router)
api.add_router("/", metrics_router.router)
