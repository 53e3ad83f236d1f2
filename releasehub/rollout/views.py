"""The release day board: one page per release, polled by everyone watching. Each action is
one view: access check, one service call, then the actions fragment (htmx) or a redirect."""

import hashlib
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from releasehub.catalog.models import FrontendApp, Service
from releasehub.core.forms import Outcome, attempt
from releasehub.core.http import AuthedRequest
from releasehub.releases.access import release_for
from releasehub.releases.models import Release
from releasehub.releases.services.lifecycle import version_suggest
from releasehub.rollout import forms, rules
from releasehub.rollout.errors import RolloutError
from releasehub.rollout.models import Anomaly, Incident, RollbackItem
from releasehub.rollout.selectors import Board, board, scope
from releasehub.rollout.services.frontends import app_step_record
from releasehub.rollout.services.incidents import (
    hotfix_from_anomaly,
    incident_from_anomaly,
    incident_resolve,
)
from releasehub.rollout.services.promotion import (
    component_skip,
    service_health_record,
    service_step_record,
    service_window_cut_short,
)
from releasehub.rollout.services.rollback import rollback_result_record, rollback_start
from releasehub.rollout.services.watch import anomaly_log, log_add, release_complete

PAGE = "rollout/board.html"
ACTIONS = "board-actions"


def _context(request: AuthedRequest, release: Release, **extra) -> dict:
    user = request.user
    data = board(release)
    actions = rules.board_actions(data)
    return {
        "release": release,
        "board": data,
        "smoke": data.smoke,
        "may_promote": rules.promotes(user),
        "runs_day": rules.runs_day(user),
        "logs_anomalies": rules.logs_anomalies(user),
        "actions": actions,
        "refused": actions.refused,
        "signatures": _signatures(data, actions),
        "keys": _keys(data.in_scope),
        "override_keys": _keys(actions.overridable),
        "rollback_keys": _keys(actions.rollable),
        "severities": forms.Severity.choices,
        "anomaly_severities": forms.AnomalySeverity.choices,
        "service_steps": forms.SERVICE_STEP_CHOICES,
        "app_steps": forms.APP_STEP_CHOICES,
        "tests_results": forms.TargetedTests.choices,
        "suggested_hotfix": version_suggest(
            day=release.window_start.date(), kind=Release.Kind.HOTFIX
        ),
        "errors": {},
        "notice": {},
        **extra,
    }


def _signatures(data: Board, actions: rules.Actions) -> dict[str, str]:
    """Per group of actions (an id in the page), a digest of what it offers."""
    refused, codes = actions.refused, lambda rows: [str(r.code) for r in rows]
    parts = {
        "steps": [refused["steps"], refused["health"], refused["override"]]
        + [c.slug for c in actions.step_services + actions.step_apps + actions.observable]
        + [k for k, _ in _keys(actions.overridable)],
        "rollback": [refused["rollback"]]
        + [k for k, _ in _keys(actions.rollable)]
        + codes(actions.pending_rollback)
        + codes(data.incidents),
        "complete": [refused["complete"]],
        "watch": [refused["anomaly"], *codes(data.open_anomalies), *codes(actions.unresolved)],
    }
    return {
        group: hashlib.blake2b("\n".join(values).encode(), digest_size=8).hexdigest()
        for group, values in parts.items()
    }


def _keys(rows) -> list[tuple[str, str]]:
    """(`service:identity`, "Identity") for the selects; forms.component_by_key reads them."""
    return [(forms.component_key(r.component), r.component.name) for r in rows]


def _respond(request: AuthedRequest, release: Release, outcome: Outcome) -> HttpResponse:
    """htmx: the actions fragment (the status fragment refreshes on the trigger); plain POST:
    redirect, or the page with the error and status 400. Nothing is written on an error."""
    # The service changed its own copy of the release (a status, say): show the stored one.
    release.refresh_from_db()
    error, notice = outcome.error, outcome.value or ""
    if request.htmx:
        context = _context(request, release, errors={ACTIONS: error}, notice={ACTIONS: notice})
        response = render(request, f"{PAGE}#{ACTIONS}", context)
        if not error:
            # After the swap: the status poll it triggers sends the new actions' signatures.
            response["HX-Trigger-After-Swap"] = "rollout-changed"
        return response
    if error:
        return render(
            request, PAGE, _context(request, release, errors={ACTIONS: error}), status=400
        )
    messages.success(request, notice)
    return redirect(reverse("rollout:board", args=[release.code]))


def _service(slug: str) -> Service:
    service = Service.objects.filter(slug=slug).first()
    if service is None:
        raise RolloutError("Choose a service.")
    return service


def _component(key: str) -> Service | FrontendApp:
    component = forms.component_by_key(key)
    if component is None:
        raise RolloutError("Choose a service or app.")
    return component


@require_GET
@login_required
def board_page(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code)
    context = _context(request, release)
    if not request.htmx:
        return render(request, PAGE, context)
    html = render_to_string(f"{PAGE}#board-status", context, request)
    for group, signature in context["signatures"].items():
        if request.GET.get(group, signature) != signature:
            html += render_to_string(f"{PAGE}#actions-{group}", {**context, "oob": True}, request)
    return HttpResponse(html)


@require_POST
@login_required
def service_step(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.promotes)

    def act(data: dict) -> str:
        step = service_step_record(
            release=release,
            service=_service(data["service"]),
            kind=data["step"],
            actor=request.user,
            passed=data["passed"],
            note=data["note"],
        )
        return f"{step.service}: {step.get_kind_display()} recorded."

    return _respond(request, release, attempt(forms.ServiceStepForm(request.POST), act))


@require_POST
@login_required
def health(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.promotes)

    def act(data: dict) -> str:
        step = service_health_record(
            release=release,
            service=_service(data["service"]),
            actor=request.user,
            healthy=data["healthy"],
            p95_ms=data["p95_ms"],
            error_rate=data["error_rate"],
            link=data["link"],
            note=data["note"],
        )
        return f"{step.service}: {'healthy' if step.passed else 'unhealthy'} recorded."

    return _respond(request, release, attempt(forms.HealthForm(request.POST), act))


@require_POST
@login_required
def override(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.promotes)

    def act(data: dict) -> str:
        component = _component(data["component"])
        if data["action"] == "skip":
            component_skip(
                release=release, component=component, actor=request.user, reason=data["reason"]
            )
            return f"{component} skipped."
        if not isinstance(component, Service):
            raise RolloutError("Only a backend service has a monitoring window.")
        service_window_cut_short(
            release=release, service=component, actor=request.user, reason=data["reason"]
        )
        return f"{component}: monitoring window cut short."

    return _respond(request, release, attempt(forms.OverrideForm(request.POST), act))


@require_POST
@login_required
def app_step(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.promotes)

    def act(data: dict) -> str:
        app = FrontendApp.objects.filter(slug=data["app"]).first()
        if app is None:
            raise RolloutError("Choose a frontend app.")
        step = app_step_record(
            release=release,
            app=app,
            kind=data["step"],
            actor=request.user,
            build_id=data["build_id"],
            link=data["link"],
            percent=data["percent"],
            passed=data["cdn"],
            note=data["note"],
        )
        return f"{app}: {step.get_kind_display()} recorded."

    return _respond(request, release, attempt(forms.AppStepForm(request.POST), act))


@require_POST
@login_required
def log(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.runs_day)

    def act(data: dict) -> str:
        log_add(release=release, actor=request.user, note=data["note"])
        return "Logged."

    return _respond(request, release, attempt(forms.LogForm(request.POST), act))


@require_POST
@login_required
def complete(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.runs_day)

    def act(data: dict) -> str:
        release_complete(release=release, actor=request.user, **data)
        return "Release completed: the 24-hour post-release watch has started."

    return _respond(request, release, attempt(forms.CompleteForm(request.POST), act))


@require_POST
@login_required
def anomaly(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.logs_anomalies)

    def act(data: dict) -> str:
        component = _component(data["component"]) if data["component"] else None
        anomaly_log(
            release=release,
            actor=request.user,
            seen_at=data["seen_at"],
            description=data["description"],
            severity=data["severity"],
            component=component,
        )
        return "Anomaly logged."

    return _respond(request, release, attempt(forms.AnomalyForm(request.POST), act))


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

    return _respond(request, release, attempt(forms.AnomalyIncidentForm(request.POST), act))


@require_POST
@login_required
def anomaly_hotfix(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.promotes)

    def act(data: dict) -> str:
        hotfix = hotfix_from_anomaly(
            anomaly=_anomaly(release, data.pop("anomaly")), actor=request.user, **data
        )
        return f"Hotfix {hotfix.release.version} requested; it waits for RM approval."

    return _respond(request, release, attempt(forms.AnomalyHotfixForm(request.POST), act))


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

    return _respond(request, release, attempt(forms.IncidentResolveForm(request.POST), act))


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
            components=[_component(k) for k in data["components"]],
            incident=incident,
        )
        return f"{row.get_scope_display()} rollback started; record each outcome below."

    return _respond(request, release, attempt(forms.RollbackForm(request.POST, keys=keys), act))


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

    return _respond(request, release, attempt(forms.RollbackResultForm(request.POST), act))
