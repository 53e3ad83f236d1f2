"""The release ticket's sections: scope, risks, flags, on-call, dashboards, rollback plans,
freeze exceptions and the hotfix. Each POST answers htmx with its section (and what else it
changed, out of band) and a plain form post with a redirect, so both paths behave alike."""

import contextlib
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_POST

from releasehub.core.errors import ServiceError
from releasehub.core.forms import attempt
from releasehub.core.http import AuthedRequest
from releasehub.releases import forms, selectors
from releasehub.releases.access import (
    EXCEPTION_REFUSAL,
    adds_for_squad,
    adds_scope,
    confirms_follow_ups,
    is_rm,
    plans_rollback,
    release_for,
    requests_exception,
    validates_dashboards,
)
from releasehub.releases.models import (
    FollowUp,
    FreezeException,
    Hotfix,
    MonitoringDashboard,
    Release,
    ScopeTicket,
)
from releasehub.releases.sections import answer, render_section, section_done
from releasehub.releases.services import decisions, freeze, scope
from releasehub.releases.services import hotfix as hotfixes


def _child[M: Model](model: type[M], release: Release, code: UUID, *related: str) -> M:
    """A row of this release named by its code, or 404 (never another release's row)."""
    try:
        return model._default_manager.select_related(*related).get(release=release, code=code)
    except (ObjectDoesNotExist, ValueError):
        raise Http404("Not part of this release") from None


def _own_ticket(request: AuthedRequest, release: Release, code: UUID, refusal: str) -> ScopeTicket:
    ticket = _child(ScopeTicket, release, code, "squad", "release")
    if not adds_for_squad(request.user, ticket.squad):
        raise PermissionDenied(refusal)
    return ticket


@require_POST
@login_required
def ticket_add(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=adds_scope)
    form = forms.TicketForm(request.POST, user=request.user)
    form.is_valid()
    squad = form.cleaned_data.get("squad")
    if squad and not adds_for_squad(request.user, squad):
        raise PermissionDenied("Squad reps add tickets for their own squad only.")

    def act(data: dict) -> str:
        scope.ticket_add(release=release, actor=request.user, **data)
        return "Ticket added."

    return answer(request, release, "scope-tickets", attempt(form, act), "ticket_form")


@require_POST
@login_required
def ticket_update(request: AuthedRequest, code: UUID, ticket: UUID) -> HttpResponse:
    release = release_for(request, code, may=adds_scope)
    row = _own_ticket(request, release, ticket, "Squad reps change their own squad's tickets only.")

    def act(data: dict) -> str:
        scope.ticket_update(ticket=row, actor=request.user, **data)
        return "Ticket updated."

    outcome = attempt(forms.TicketStatusForm(request.POST), act)
    return answer(request, release, "scope-tickets", outcome, "ticket_status_form")


@require_POST
@login_required
def ticket_remove(request: AuthedRequest, code: UUID, ticket: UUID) -> HttpResponse:
    release = release_for(request, code, may=adds_scope)
    row = _own_ticket(request, release, ticket, "Squad reps remove their own squad's tickets only.")

    def act(data: dict) -> str:
        scope.ticket_remove(ticket=row, actor=request.user, reason=data["reason"])
        return f"{row.key} removed."

    outcome = attempt(forms.ReasonForm(request.POST), act)
    return answer(request, release, "scope-tickets", outcome, "remove_form")


@require_POST
@login_required
def risk_add(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=adds_scope)

    def act(data: dict) -> str:
        scope.risk_add(release=release, actor=request.user, **data)
        return "Risk added."

    outcome = attempt(forms.RiskForm(request.POST), act)
    return answer(request, release, "risks", outcome, "risk_form")


@require_POST
@login_required
def flag_add(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=adds_scope)

    def act(data: dict) -> str:
        scope.flag_add(release=release, actor=request.user, **data)
        return "Feature flag added."

    outcome = attempt(forms.FlagForm(request.POST), act)
    return answer(request, release, "flags", outcome, "flag_form")


@require_POST
@login_required
def oncall_assign(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=is_rm)

    def act(data: dict) -> str:
        scope.oncall_assign(release=release, actor=request.user, **data)
        return "On-call assigned."

    outcome = attempt(forms.OnCallForm(request.POST), act)
    return answer(request, release, "oncall", outcome, "oncall_form")


@require_POST
@login_required
def dashboard_add(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=adds_scope)

    def act(data: dict) -> str:
        scope.dashboard_add(release=release, actor=request.user, **data)
        return "Dashboard added."

    outcome = attempt(forms.DashboardForm(request.POST), act)
    return answer(request, release, "dashboards", outcome, "dashboard_form")


@require_POST
@login_required
def dashboard_validate(request: AuthedRequest, code: UUID, board: UUID) -> HttpResponse:
    release = release_for(request, code, may=validates_dashboards)
    row = _child(MonitoringDashboard, release, board, "release")
    # Validated meanwhile by someone else: the section shows who, nothing more to say.
    with contextlib.suppress(ServiceError):
        scope.dashboard_validate(board=row, actor=request.user)
    return section_done(request, release, "dashboards", f"{row.name} validated.")


@require_POST
@login_required
def rollback_plan_save(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=plans_rollback)
    components = selectors.changed_components(selectors.with_scope_of(release))

    def act(data: dict) -> str:
        scope.rollback_plan_save(
            release=release,
            actor=request.user,
            component=data["component_obj"],
            strategy=data["strategy"],
            previous=data["previous"],
            steps=data["steps"],
        )
        return "Rollback plan saved."

    outcome = attempt(forms.RollbackPlanForm(request.POST, components=components), act)
    return answer(request, release, "rollback-plans", outcome, "plan_form")


@require_POST
@login_required
def exception_request(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=requests_exception, refusal=EXCEPTION_REFUSAL)

    def act(data: dict) -> str:
        freeze.freeze_exception_request(release=release, actor=request.user, **data)
        return "Freeze exception requested; the RM decides."

    outcome = attempt(forms.FreezeExceptionForm(request.POST), act)
    return answer(request, release, "freeze-exceptions", outcome, "exception_form")


def _decide(
    request: AuthedRequest, release: Release, pending: FreezeException | Hotfix, section: str
) -> HttpResponse:
    """The RM approves or rejects a freeze exception or a hotfix, never their own."""
    if pending.requested_by_id == request.user.pk:
        raise PermissionDenied("Nobody decides on their own request.")

    def act(data: dict) -> str:
        decisions.request_decide(
            request=pending,
            actor=request.user,
            approve=data["decision"] == "approve",
            comment=data["comment"],
        )
        return "Decision recorded."

    outcome = attempt(forms.DecisionForm(request.POST), act)
    return answer(request, release, section, outcome, "decision_form")


@require_POST
@login_required
def exception_decide(request: AuthedRequest, code: UUID, exception: UUID) -> HttpResponse:
    release = release_for(request, code, may=is_rm)
    pending = _child(FreezeException, release, exception, "release")
    return _decide(request, release, pending, "freeze-exceptions")


def _hotfix_of(release: Release) -> Hotfix:
    try:
        return Hotfix.objects.select_related("release").get(release=release)
    except Hotfix.DoesNotExist:
        raise Http404("This release is not a hotfix") from None


@require_POST
@login_required
def hotfix_decide(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=is_rm)
    return _decide(request, release, _hotfix_of(release), "hotfix")


@require_POST
@login_required
def hotfix_confirm(request: AuthedRequest, code: UUID, kind: str) -> HttpResponse:
    release = release_for(request, code, may=confirms_follow_ups)
    hotfix = _hotfix_of(release)
    if kind not in FollowUp.values:
        raise Http404("No such follow-up")
    note = request.POST.get("note", "").strip()[:300]
    try:
        hotfixes.hotfix_confirm(hotfix=hotfix, actor=request.user, kind=kind, note=note)
    except ServiceError as exc:
        return render_section(request, release, "hotfix", {"follow_up_error": str(exc)})
    return section_done(request, release, "hotfix", f"{FollowUp(kind).label}: confirmed.")
