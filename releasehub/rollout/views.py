"""The release day board: one page per release, polled by everyone watching. Each action is
one view: access check, one service call, then a fragment (htmx) or a redirect. A step on a
service or app row answers with the status section holding the rows; the other actions answer
with the actions section."""

import hashlib
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from releasehub.audit import live
from releasehub.catalog.models import FrontendApp, Service
from releasehub.core.forms import Outcome, attempt
from releasehub.core.http import AuthedRequest
from releasehub.releases.access import release_for
from releasehub.releases.models import Release
from releasehub.releases.services.lifecycle import version_suggest
from releasehub.rollout import forms, rules
from releasehub.rollout.errors import RolloutError
from releasehub.rollout.selectors import Board, board
from releasehub.rollout.services.frontends import app_step_record
from releasehub.rollout.services.promotion import (
    component_skip,
    service_health_record,
    service_step_record,
    service_window_cut_short,
)
from releasehub.rollout.services.watch import log_add, release_complete

PAGE = "rollout/board.html"
ACTIONS = "board-actions"


def _context(
    request: AuthedRequest,
    release: Release,
    *,
    row: tuple[str, Outcome] | None = None,
    **extra,
) -> dict:
    """`row`: a row's key (`service:identity`) and the outcome of a step on it, shown there."""
    user = request.user
    data = board(release)
    actions = rules.board_actions(data)
    board_feedback: dict[str, str] = {}
    if row is not None:
        key, outcome = row
        plan = actions.plan(key)
        if plan is None:
            board_feedback = {"error": outcome.error, "notice": outcome.value or ""}
        else:
            plan.error, plan.notice = outcome.error, outcome.value or ""
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
        "rollback_keys": _keys(actions.rollable),
        "severities": forms.Severity.choices,
        "anomaly_severities": forms.AnomalySeverity.choices,
        "tests_results": forms.TargetedTests.choices,
        "suggested_hotfix": version_suggest(
            day=release.window_start.date(), kind=Release.Kind.HOTFIX
        ),
        "board_feedback": board_feedback,
        "errors": {},
        "notice": {},
        **extra,
    }


def _signatures(data: Board, actions: rules.Actions) -> dict[str, str]:
    """Per group of actions (an id in the page), a digest of what it offers."""
    refused, codes = actions.refused, lambda rows: [str(r.code) for r in rows]
    parts = {
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


def _status_line(data: Board) -> str:
    """What the board's live region reads out when it changes (static/js/app.js, #19)."""
    parts = [f"Status: {data.release.get_status_display()}"]
    closed = [r for r in data.services if r.in_scope and r.window and r.window_closed]
    if row := data.open_window:
        parts.append(f"monitoring window of {row.component.name} open")
    elif closed:
        parts.append(f"monitoring window of {closed[-1].component.name} closed")
    if data.blocked:
        parts.append("Blocked: " + "; ".join(data.blocked))
    return ". ".join(parts) + "."


def _keys(rows) -> list[tuple[str, str]]:
    """(`service:identity`, "Identity") for the selects; forms.component_by_key reads them."""
    return [(forms.component_key(r.component), r.component.name) for r in rows]


def respond(request: AuthedRequest, release: Release, outcome: Outcome) -> HttpResponse:
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


def changed_groups(request: AuthedRequest, context: dict, sent: QueryDict) -> str:
    """The groups of actions whose signature differs from the one `sent`, out of band."""
    html = ""
    for group, signature in context["signatures"].items():
        if sent.get(group, signature) != signature:
            html += render_to_string(f"{PAGE}#actions-{group}", {**context, "oob": True}, request)
    return html


def _respond_row(
    request: AuthedRequest, release: Release, key: str, outcome: Outcome
) -> HttpResponse:
    """A step on one row. htmx: the status section with the rows, the outcome on the row it
    acted on (board.js moves focus there), and any group of actions it changed; plain POST:
    redirect, or the page with the error on the row and status 400."""
    release.refresh_from_db()
    # The section carries its version as a poll's answer does (audit.live), read before it is
    # rendered: the next poll is then a 204 and the row's outcome stays where focus went.
    since = live.stamp(live.release_marker(request, release.code))
    context = _context(request, release, row=(key, outcome), live_since=since)
    context["live_status"] = _status_line(context["board"])
    if request.htmx:
        html = render_to_string(f"{PAGE}#board-status", context, request)
        return HttpResponse(html + changed_groups(request, context, request.POST))
    if outcome.error:
        return render(request, PAGE, context, status=400)
    messages.success(request, outcome.value)
    return redirect(reverse("rollout:board", args=[release.code]))


def _service(slug: str) -> Service:
    service = Service.objects.filter(slug=slug).first()
    if service is None:
        raise RolloutError("Choose a service.")
    return service


def component_by_key(key: str) -> Service | FrontendApp:
    component = forms.component_by_key(key)
    if component is None:
        raise RolloutError("Choose a service or app.")
    return component


@require_GET
@login_required
@live.polled(live.release_marker)
def board_page(request: AuthedRequest, code: UUID, live_since: str) -> HttpResponse:
    release = release_for(request, code)
    context = _context(request, release, live_since=live_since)
    context["live_status"] = _status_line(context["board"])
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

    outcome = attempt(forms.ServiceStepForm(request.POST), act)
    return _respond_row(request, release, f"service:{request.POST.get('service')}", outcome)


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

    outcome = attempt(forms.HealthForm(request.POST), act)
    return _respond_row(request, release, f"service:{request.POST.get('service')}", outcome)


@require_POST
@login_required
def override(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.promotes)

    def act(data: dict) -> str:
        component = component_by_key(data["component"])
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

    outcome = attempt(forms.OverrideForm(request.POST), act)
    return _respond_row(request, release, request.POST.get("component", ""), outcome)


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

    outcome = attempt(forms.AppStepForm(request.POST), act)
    return _respond_row(request, release, f"app:{request.POST.get('app')}", outcome)


@require_POST
@login_required
def log(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.runs_day)

    def act(data: dict) -> str:
        log_add(release=release, actor=request.user, note=data["note"])
        return "Logged."

    return respond(request, release, attempt(forms.LogForm(request.POST), act))


@require_POST
@login_required
def complete(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.runs_day)

    def act(data: dict) -> str:
        release_complete(release=release, actor=request.user, **data)
        return "Release completed: the 24-hour post-release watch has started."

    return respond(request, release, attempt(forms.CompleteForm(request.POST), act))
