"""The release metrics: the same figures and definitions as /metrics.json (metrics/selectors)."""

from typing import cast

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from releasehub.api.access import need
from releasehub.api.schemas import PROBLEMS
from releasehub.api.scopes import Scope
from releasehub.core.http import AuthedRequest
from releasehub.metrics import selectors
from releasehub.metrics import views as page

router = Router(tags=["metrics"])


class PeriodQuery(Schema):
    """As on the metrics page; read by its own form, so the same values mean the same period."""

    days: str | None = Field(None, description="Last N days ending today (IST): 7, 30, 90 …")
    start: str | None = Field(None, description="Custom period: first IST day, YYYY-MM-DD")
    end: str | None = Field(None, description="Custom period: last IST day, YYYY-MM-DD")
    target: str | None = Field(None, description="A service or app slug; none: all of them")


@router.get(
    "/metrics",
    response={200: dict, **PROBLEMS},
    summary="Release metrics",
    description="Deployments, release frequency, change failure rate, recovery time (MTTR), "
    "hotfixes, durations and manual interventions over a period, with DORA tiers: the figures "
    "and definitions of /metrics.json. For Leadership, Release Managers, SRE and staff.",
)
def metrics(request: HttpRequest, period: Query[PeriodQuery]):
    need(request, Scope.METRICS_READ)
    authed = cast(AuthedRequest, request)
    page._check(authed)  # the same readers as the page
    form = page._form(authed)
    if not form.is_valid():
        raise HttpError(422, form.error_text())
    return selectors.metrics(form.period, form.target_slug)
