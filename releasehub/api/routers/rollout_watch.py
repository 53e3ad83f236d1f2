"""After the promotions, over the API: rollbacks and their outcomes, anomalies, incidents,
completion, and the deployments the metrics count. Each write is the board's: the same role
predicate (rollout/rules.py) and the same service (rollout/watch_views.py, views.complete)."""

from uuid import UUID

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from releasehub.api.access import check_component, need, token, writing
from releasehub.api.routers.releases import release_by_ref
from releasehub.api.routers.rollout_access import (
    actor,
    app_for,
    component_for,
    release_for,
    service_for,
)
from releasehub.api.routers.rollout_schemas import (
    AnomalyIn,
    AnomalyOut,
    CompleteIn,
    CompletionOut,
    DeploymentFilters,
    DeploymentOut,
    IncidentIn,
    IncidentOut,
    ResolveIn,
    RollbackIn,
    RollbackItemOut,
    RollbackOut,
    RollbackResultIn,
    RollbackResultOut,
)
from releasehub.api.schemas import PROBLEMS, WRITE_PROBLEMS
from releasehub.api.scopes import Scope
from releasehub.catalog.models import FrontendApp, Service
from releasehub.releases.models import Release
from releasehub.rollout import rules
from releasehub.rollout.models import (
    Anomaly,
    Deployment,
    Incident,
    RollbackItem,
    RollbackScope,
)
from releasehub.rollout.selectors import scope
from releasehub.rollout.services.incidents import (
    incident_from_anomaly,
    incident_record,
    incident_resolve,
)
from releasehub.rollout.services.rollback import rollback_result_record, rollback_start
from releasehub.rollout.services.watch import anomaly_log, release_complete

router = Router(tags=["release day"])


def _slug(component) -> str | None:
    return component.slug if component is not None else None


def _incident_out(incident: Incident, resolved_at=None) -> IncidentOut:
    return IncidentOut(
        code=incident.code,
        title=incident.title,
        severity=incident.severity,
        detected_at=incident.detected_at,
        service=_slug(incident.service),
        app=_slug(incident.app),
        resolved_at=resolved_at,
    )


def _incident(release: Release, code: UUID) -> Incident:
    found = Incident.objects.filter(release=release, code=code).select_related("service", "app")
    if not found:
        raise Http404(f"No incident {code} of this release.")
    return found[0]


def _whole_release(request: HttpRequest, release: Release) -> None:
    """A full rollback acts on every service and app of the release: a limited integration
    may start one only if all of them are within its limits."""
    if token(request).is_integration:
        services, apps = scope(release)
        for component in services + apps:
            check_component(request, component)


@router.post(
    "/releases/{ref}/rollbacks",
    response={201: RollbackOut, **WRITE_PROBLEMS},
    summary="Start a rollback (partial: the services and apps named; full: the release)",
)
def rollback(request: HttpRequest, ref: str, body: RollbackIn):
    with writing(request, Scope.ROLLOUT_WRITE):
        release = release_for(request, ref, rules.promotes)
        components: list[Service | FrontendApp] = [service_for(request, s) for s in body.services]
        components += [app_for(request, a) for a in body.apps]
        if body.scope == RollbackScope.FULL:
            _whole_release(request, release)
        incident = _incident(release, body.incident) if body.incident else None
        started = rollback_start(
            release=release,
            actor=actor(request),
            scope=body.scope,
            reason=body.reason,
            components=components,
            incident=incident,
        )
    items = RollbackItem.objects.filter(rollback=started).select_related("service", "app")
    return Status(
        201,
        RollbackOut(
            code=started.code,
            scope=started.scope,
            reason=started.reason,
            at=started.at,
            items=[
                RollbackItemOut(
                    code=i.code,
                    service=_slug(i.service),
                    app=_slug(i.app),
                    strategy=i.strategy,
                    previous=i.previous,
                    plan_steps=i.plan_steps,
                )
                for i in items.order_by("id")
            ],
        ),
    )


def _rollback_item(release: Release, code: UUID, body: RollbackResultIn) -> RollbackItem:
    items = list(
        RollbackItem.objects.select_related("release", "rollback", "service", "app")
        .filter(release=release, rollback__code=code)
        .order_by("id")
    )
    if not items:
        raise Http404(f"No rollback {code} of this release.")
    if body.service or body.app:
        wanted = body.service or body.app
        items = [i for i in items if _slug(i.service if body.service else i.app) == wanted]
        if not items:
            raise Http404(f"The rollback {code} does not cover {wanted}.")
    elif len(items) > 1:
        raise HttpError(422, "This rollback covers several services or apps: name one.")
    return items[0]


@router.post(
    "/releases/{ref}/rollbacks/{code}/result",
    response={201: RollbackResultOut, **WRITE_PROBLEMS},
    summary="Record the outcome of one service's or app's rollback",
)
def rollback_result(request: HttpRequest, ref: str, code: UUID, body: RollbackResultIn):
    with writing(request, Scope.ROLLOUT_WRITE):
        release = release_for(request, ref, rules.promotes)
        item = _rollback_item(release, code, body)
        assert item.component is not None  # a rollback item names a service or an app
        check_component(request, item.component)
        result = rollback_result_record(
            item=item,
            actor=actor(request),
            steps_performed=body.steps_performed,
            succeeded=body.succeeded,
        )
    return Status(201, RollbackResultOut(item=item.code, succeeded=result.succeeded, at=result.at))


@router.post(
    "/releases/{ref}/anomalies",
    response={201: AnomalyOut, **WRITE_PROBLEMS},
    summary="Log an anomaly seen while the release is verified or watched",
)
def anomaly(request: HttpRequest, ref: str, body: AnomalyIn):
    with writing(request, Scope.ROLLOUT_WRITE):
        release = release_for(request, ref, rules.logs_anomalies)
        component = component_for(request, body.service, body.app)
        logged = anomaly_log(
            release=release,
            actor=actor(request),
            seen_at=body.seen_at,
            description=body.description,
            severity=body.severity,
            component=component,
        )
    return Status(
        201,
        AnomalyOut(
            code=logged.code,
            severity=logged.severity,
            description=logged.description,
            seen_at=logged.seen_at,
            service=_slug(logged.service),
            app=_slug(logged.app),
        ),
    )


def _anomaly(request: HttpRequest, release: Release, code: UUID) -> Anomaly:
    found = Anomaly.objects.select_related("release", "service", "app").filter(
        release=release, code=code
    )
    if not found:
        raise Http404(f"No anomaly {code} of this release.")
    if found[0].component is not None:
        check_component(request, found[0].component)
    return found[0]


@router.post(
    "/releases/{ref}/incidents",
    response={201: IncidentOut, **WRITE_PROBLEMS},
    summary="Record an incident of the release (from an anomaly, or on its own)",
)
def incident(request: HttpRequest, ref: str, body: IncidentIn):
    with writing(request, Scope.ROLLOUT_WRITE):
        release = release_for(request, ref, rules.promotes)
        if body.anomaly is not None:
            recorded = incident_from_anomaly(
                anomaly=_anomaly(request, release, body.anomaly),
                actor=actor(request),
                severity=body.severity,
                title=body.title,
                link=body.link,
            )
        else:
            recorded = incident_record(
                actor=actor(request),
                title=body.title,
                severity=body.severity,
                detected_at=body.detected_at or timezone.now(),
                release=release,
                component=component_for(request, body.service, body.app),
                link=body.link,
            )
    return Status(201, _incident_out(recorded))


@router.post(
    "/releases/{ref}/incidents/{code}/resolve",
    response={201: IncidentOut, **WRITE_PROBLEMS},
    summary="Resolve an incident of the release",
)
def incident_resolved(request: HttpRequest, ref: str, code: UUID, body: ResolveIn):
    with writing(request, Scope.ROLLOUT_WRITE):
        release = release_for(request, ref, rules.promotes)
        found = _incident(release, code)
        if found.component is not None:
            check_component(request, found.component)
        resolution = incident_resolve(
            incident=found, actor=actor(request), resolved_at=body.resolved_at, note=body.note
        )
    return Status(201, _incident_out(found, resolution.resolved_at))


@router.post(
    "/releases/{ref}/complete",
    response={201: CompletionOut, **WRITE_PROBLEMS},
    summary="Complete the release: its 24-hour post-release watch starts (the RM)",
)
def complete(request: HttpRequest, ref: str, body: CompleteIn):
    with writing(request, Scope.ROLLOUT_WRITE):
        release = release_for(request, ref, rules.runs_day)
        entry = release_complete(
            release=release, actor=actor(request), note=body.note, force_reason=body.force_reason
        )
    release.refresh_from_db()
    return Status(201, CompletionOut(release=release.version, status=release.status, at=entry.at))


DEPLOYMENTS = Deployment.objects.select_related("release", "service", "app")


@router.get(
    "/releases/{ref}/deployments",
    response={200: list[DeploymentOut], **PROBLEMS},
    summary="The release's production deployments (promotions, full rollouts, rollbacks)",
)
def release_deployments(request: HttpRequest, ref: str):
    need(request, Scope.RELEASES_READ)
    return DEPLOYMENTS.filter(release=release_by_ref(ref)).order_by("finished_at", "id")


@router.get(
    "/deployments",
    response={200: list[DeploymentOut], **PROBLEMS},
    summary="Production deployments of every release, newest first",
)
@paginate(LimitOffsetPagination)
def deployments(request: HttpRequest, filters: Query[DeploymentFilters]):
    need(request, Scope.RELEASES_READ)
    rows = DEPLOYMENTS.order_by("-finished_at", "-id")
    if filters.service:
        rows = rows.filter(service__slug=filters.service)
    if filters.app:
        rows = rows.filter(app__slug=filters.app)
    if filters.since:
        rows = rows.filter(finished_at__gte=filters.since)
    return rows
