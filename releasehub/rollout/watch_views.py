"""After the promotions: anomalies, incidents and rollbacks on the release day board. Each view
checks the role, calls one service and answers like the board's other actions
(`views.respond`: the actions section for htmx, else a redirect)."""

from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.http import require_POST

from releasehub.core.forms import attempt
from releasehub.core.http import AuthedRequest
from releasehub.releases.access import release_for
from releasehub.releases.models import Release
from releasehub.rollout import forms, rules
from releasehub.rollout.errors import RolloutError
from releasehub.rollout.models import Anomaly, Incident, RollbackItem
from releasehub.rollout.selectors import scope
from releasehub.rollout.services.incidents import (
    hotfix_from_anomaly,
    incident_from_anomaly,
    incident_resolve,
)
from releasehub.rollout.services.rollback import rollback_result_record, rollback_start
from releasehub.rollout.services.watch import anomaly_log
from releasehub.rollout.views import component_by_key, respond


@require_POST
@login_required
def anomaly(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.logs_anomalies)

    def act(data: dict) -> str:
        component = component_by_key(data["component"]) if data["component"] else None
        anomaly_log(
            release=release,
            actor=request.user,
            seen_at=data["seen_at"],
            description=data["description"],
            severity=data["severity"],
            component=component,
        )
        return "Anomaly logged."

    return respond(request, release, attempt(forms.AnomalyForm(request.POST), act))


def _anomaly(release: Release, code: UUID) -> Anomaly:
    found = Anomaly.objects.select_related("release", "service", "app").filter(
        release=release, code=code
    )
    if not found:
        raise RolloutError("Choose an anomaly of this release.")
    return found[0]


@require_POST
@login_required
def anomaly_incident(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.promotes)

    def act(data: dict) -> str:
        incident = incident_from_anomaly(
            anomaly=_anomaly(release, data["anomaly"]),
            actor=request.user,
            severity=data["severity"],
            title=data["title"],
            link=data["link"],
        )
        return f"Incident recorded: {incident}."

    return respond(request, release, attempt(forms.AnomalyIncidentForm(request.POST), act))


@require_POST
@login_required
def anomaly_hotfix(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.promotes)

    def act(data: dict) -> str:
        hotfix = hotfix_from_anomaly(
            anomaly=_anomaly(release, data.pop("anomaly")), actor=request.user, **data
        )
        return f"Hotfix {hotfix.release.version} requested; it waits for RM approval."

    return respond(request, release, attempt(forms.AnomalyHotfixForm(request.POST), act))


@require_POST
@login_required
def resolve_incident(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.promotes)

    def act(data: dict) -> str:
        incident = Incident.objects.filter(release=release, code=data["incident"]).first()
        if incident is None:
            raise RolloutError("Choose an incident of this release.")
        incident_resolve(
            incident=incident,
            actor=request.user,
            resolved_at=data["resolved_at"],
            note=data["note"],
        )
        return f"{incident} resolved."

    return respond(request, release, attempt(forms.IncidentResolveForm(request.POST), act))


@require_POST
@login_required
def rollback(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.promotes)
    keys = [k for k, _ in _context_keys(release)]

    def act(data: dict) -> str:
        incident = None
        if data["incident"]:
            incident = Incident.objects.filter(release=release, code=data["incident"]).first()
            if incident is None:
                raise RolloutError("Choose an incident of this release.")
        row = rollback_start(
            release=release,
            actor=request.user,
            scope=data["scope"],
            reason=data["reason"],
            components=[component_by_key(k) for k in data["components"]],
            incident=incident,
        )
        return f"{row.get_scope_display()} rollback started; record each outcome below."

    return respond(request, release, attempt(forms.RollbackForm(request.POST, keys=keys), act))


def _context_keys(release: Release) -> list[tuple[str, str]]:
    in_services, in_apps = scope(release)
    return [(forms.component_key(c), c.name) for c in in_services + in_apps]


@require_POST
@login_required
def rollback_result(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.promotes)

    def act(data: dict) -> str:
        item = (
            RollbackItem.objects.select_related("release", "rollback", "service", "app")
            .filter(release=release, code=data["item"])
            .first()
        )
        if item is None:
            raise RolloutError("Choose a service or app of the rollback.")
        rollback_result_record(
            item=item,
            actor=request.user,
            steps_performed=data["steps_performed"],
            succeeded=data["succeeded"],
        )
        return f"Rollback of {item.component} recorded."

    return respond(request, release, attempt(forms.RollbackResultForm(request.POST), act))
