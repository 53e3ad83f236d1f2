"""Release day over the API: the board's state and each step the board records.

Each write checks the scope (`writing`), the same role predicate as the board's view
(rollout/rules.py), the integration's component limit, then calls the board's service; the
service's refusal (RolloutError) is the 409 with the board's own sentence.

Overrides (a window cut short, a skip, a promotion forced past a failed staging smoke, a manual
health mark) are a person's judgement, each a row in the manual-intervention ledger with a
reason: personal tokens of the roles the board allows may make them, integrations never. A
pipeline that could skip or cut short the gate would be the gate removing itself; a person who
overrides must be named in the ledger, as on the board.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from ninja import Router, Status

from releasehub.api.access import need, run_url, token, writing
from releasehub.api.routers import rollout_watch
from releasehub.api.routers.releases import release_by_ref
from releasehub.api.routers.rollout_access import actor, app_for, release_for, service_for
from releasehub.api.routers.rollout_schemas import (
    AppStepIn,
    BoardOut,
    ObservationIn,
    ReasonIn,
    RowOut,
    ServiceStepIn,
    StepAnswer,
    StepOut,
)
from releasehub.api.schemas import PROBLEMS, WRITE_PROBLEMS
from releasehub.api.scopes import Scope
from releasehub.audit.models import InterventionKind, ManualIntervention
from releasehub.releases.models import Release
from releasehub.rollout import rules
from releasehub.rollout.models import RolloutStep
from releasehub.rollout.selectors import component_rows
from releasehub.rollout.services.frontends import app_step_record
from releasehub.rollout.services.promotion import (
    component_skip,
    service_health_record,
    service_step_record,
    service_window_cut_short,
)
from releasehub.rollout.services.steps import Component

router = Router(tags=["release day"])
router.add_router("", rollout_watch.router)

# What a step or an observation may put in the ledger when a person sends it; an integration
# sending the same is refused (see the module's docstring).
PERSON_OVERRIDES = (InterventionKind.FORCE, InterventionKind.MANUAL_HEALTH_MARK)


@contextmanager
def no_override_by_machine(request: HttpRequest, release: Release) -> Iterator[None]:
    """The service decides what is an override (it writes the ledger row); an integration's
    write that did is undone and refused. Its own rows only: the machine user is this token's."""
    if not token(request).is_integration:
        yield
        return
    mine = ManualIntervention.objects.filter(release=release, actor=actor(request))
    with transaction.atomic():
        before = mine.aggregate(last=Max("pk"))["last"] or 0
        yield
        if mine.filter(pk__gt=before, kind__in=PERSON_OVERRIDES).exists():
            raise PermissionDenied(
                "This would override the runbook (a forced promotion or a manual health mark): "
                "a person decides that with their own token, never an integration."
            )


def answer(request: HttpRequest, release: Release, step: RolloutStep) -> Status:
    """The new step, what carried it, and its row as the board now shows it."""
    release.refresh_from_db()  # the service moved its own copy (Go -> Deploying, say)
    services, apps = component_rows(release)
    row = next(r for r in services + apps if r.component == step.component)
    return Status(
        201,
        StepAnswer(
            step=StepOut.of(step),
            via=token(request).label,
            run_url=run_url(request),
            row=RowOut.of(rules.row_plan(release, services, row)),
        ),
    )


def skip(request: HttpRequest, ref: str, find: Callable[[], Component], reason: str) -> Status:
    """A skip, as the board's "More…" offers it: the role first, then the component."""
    with writing(request, Scope.ROLLOUT_WRITE, person_only=True):
        release = release_for(request, ref, rules.promotes)
        step = component_skip(
            release=release, component=find(), actor=actor(request), reason=reason
        )
    return answer(request, release, step)


@router.get(
    "/releases/{ref}/rollout",
    response={200: BoardOut, **PROBLEMS},
    summary="The release day board: each service and app, its steps and its next step",
)
def board(request: HttpRequest, ref: str):
    need(request, Scope.RELEASES_READ)
    release = release_by_ref(ref)
    services, apps = component_rows(release)
    in_scope = [r for r in services + apps if r.in_scope]
    return BoardOut(
        release=release.version,
        status=release.status,
        services=[RowOut.of(rules.row_plan(release, services, r)) for r in services],
        apps=[RowOut.of(rules.row_plan(release, services, r)) for r in apps],
        refused={
            "complete": rules.completion_refusal(release, services + apps),
            "anomaly": rules.anomaly_refusal(release),
            "rollback": rules.rollback_refusal(release, in_scope),
        },
    )


@router.post(
    "/releases/{ref}/services/{service}/steps",
    response={201: StepAnswer, **WRITE_PROBLEMS},
    summary="Record a backend step: staging deploy, staging smoke, promotion started / finished",
)
def service_step(request: HttpRequest, ref: str, service: str, body: ServiceStepIn):
    with writing(request, Scope.ROLLOUT_WRITE):
        release = release_for(request, ref, rules.promotes)
        component = service_for(request, service)
        with no_override_by_machine(request, release):
            step = service_step_record(
                release=release,
                service=component,
                kind=body.kind,
                actor=actor(request),
                passed=body.passed,
                note=body.note,
            )
    return answer(request, release, step)


@router.post(
    "/releases/{ref}/services/{service}/observations",
    response={201: StepAnswer, **WRITE_PROBLEMS},
    summary="Record a monitoring observation of a promoted service",
)
def observation(request: HttpRequest, ref: str, service: str, body: ObservationIn):
    with writing(request, Scope.ROLLOUT_WRITE):
        release = release_for(request, ref, rules.promotes)
        component = service_for(request, service)
        with no_override_by_machine(request, release):
            step = service_health_record(
                release=release,
                service=component,
                actor=actor(request),
                healthy=body.healthy,
                p95_ms=body.p95_ms,
                error_rate=body.error_rate,
                link=body.link,
                note=body.note,
            )
    return answer(request, release, step)


@router.post(
    "/releases/{ref}/services/{service}/cut-short",
    response={201: StepAnswer, **WRITE_PROBLEMS},
    summary="Cut a monitoring window short (an override: personal tokens only)",
)
def cut_short(request: HttpRequest, ref: str, service: str, body: ReasonIn):
    with writing(request, Scope.ROLLOUT_WRITE, person_only=True):
        release = release_for(request, ref, rules.promotes)
        step = service_window_cut_short(
            release=release,
            service=service_for(request, service),
            actor=actor(request),
            reason=body.reason,
        )
    return answer(request, release, step)


@router.post(
    "/releases/{ref}/services/{service}/skip",
    response={201: StepAnswer, **WRITE_PROBLEMS},
    summary="Skip a service that has not started production (an override: personal tokens only)",
)
def service_skip(request: HttpRequest, ref: str, service: str, body: ReasonIn):
    return skip(request, ref, lambda: service_for(request, service), body.reason)


@router.post(
    "/releases/{ref}/apps/{app}/skip",
    response={201: StepAnswer, **WRITE_PROBLEMS},
    summary="Skip an app that has not started its canary (an override: personal tokens only)",
)
def app_skip(request: HttpRequest, ref: str, app: str, body: ReasonIn):
    return skip(request, ref, lambda: app_for(request, app), body.reason)


@router.post(
    "/releases/{ref}/apps/{app}/steps",
    response={201: StepAnswer, **WRITE_PROBLEMS},
    summary="Record a frontend step: build, canary %, validated, full rollout, flags, CDN purge",
)
def app_step(request: HttpRequest, ref: str, app: str, body: AppStepIn):
    with writing(request, Scope.ROLLOUT_WRITE):
        release = release_for(request, ref, rules.promotes)
        step = app_step_record(
            release=release,
            app=app_for(request, app),
            kind=body.kind,
            actor=actor(request),
            build_id=body.build_id,
            link=body.link,
            percent=body.canary_percent,
            passed=body.cdn_cleared,
            note=body.note,
        )
    return answer(request, release, step)
