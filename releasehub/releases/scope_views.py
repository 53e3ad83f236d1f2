"""The release ticket's sections: scope, risks, flags, on-call, dashboards, rollback plans,
freeze exceptions and the hotfix. Each POST answers htmx with its section (and what else it
changed, out of band) and a plain form post with a redirect, so both paths behave alike."""

import contextlib

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from releasehub.releases import forms, selectors, services
from releasehub.releases.access import (
    adds_for_squad,
    adds_scope,
    anyone,
    confirms_follow_ups,
    get_release_for,
    is_rm,
    plans_rollback,
    validates_dashboards,
)
from releasehub.releases.models import (
    FollowUp,
    FreezeException,
    Hotfix,
    MonitoringDashboard,
    ScopeTicket,
)
from releasehub.releases.sections import render_section, section_done
from releasehub.releases.services import ServiceError


def _child(model, release, code, **extra):
    """A row of this release named by its code, or 404 (never another release's row)."""
    try:
        return model.objects.select_related(*extra.pop("related", ())).get(
            release=release, code=code
        )
    except (model.DoesNotExist, ValueError):
        raise Http404("Not part of this release") from None


def _attempt(request, release, section, form, form_name, act, message):
    """Run `act` if the form is valid; show the form with its error otherwise."""
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            return section_done(request, release, section, message)
    return render_section(request, release, section, {form_name: form})


@require_POST
@login_required
def ticket_add(request: HttpRequest, code) -> HttpResponse:
    release = get_release_for(request, code, may=adds_scope)
    form = forms.TicketForm(request.POST, user=request.user)
    form.is_valid()
    squad = form.cleaned_data.get("squad")
    if squad and not adds_for_squad(request.user, squad):
        raise PermissionDenied("Squad reps add tickets for their own squad only.")

    def act(data):
        services.ticket_add(release=release, actor=request.user, **data)

    return _attempt(request, release, "scope-tickets", form, "ticket_form", act, "Ticket added.")


@require_POST
@login_required
def ticket_update(request: HttpRequest, code, ticket) -> HttpResponse:
    release = get_release_for(request, code, may=adds_scope)
    ticket = _child(ScopeTicket, release, ticket, related=["squad", "release"])
    if not adds_for_squad(request.user, ticket.squad):
        raise PermissionDenied("Squad reps change their own squad's tickets only.")
    form = forms.TicketStatusForm(request.POST)

    def act(data):
        services.ticket_update(ticket, actor=request.user, **data)

    return _attempt(
        request, release, "scope-tickets", form, "ticket_status_form", act, "Ticket updated."
    )


@require_POST
@login_required
def ticket_remove(request: HttpRequest, code, ticket) -> HttpResponse:
    release = get_release_for(request, code, may=adds_scope)
    ticket = _child(ScopeTicket, release, ticket, related=["squad", "release"])
    if not adds_for_squad(request.user, ticket.squad):
        raise PermissionDenied("Squad reps remove their own squad's tickets only.")
    form = forms.ReasonForm(request.POST)

    def act(data):
        services.ticket_remove(ticket, actor=request.user, reason=data["reason"])

    return _attempt(
        request, release, "scope-tickets", form, "remove_form", act, f"{ticket.key} removed."
    )


@require_POST
@login_required
def risk_add(request: HttpRequest, code) -> HttpResponse:
    release = get_release_for(request, code, may=adds_scope)

    def act(data):
        services.risk_add(release=release, actor=request.user, **data)

    form = forms.RiskForm(request.POST)
    return _attempt(request, release, "risks", form, "risk_form", act, "Risk added.")


@require_POST
@login_required
def flag_add(request: HttpRequest, code) -> HttpResponse:
    release = get_release_for(request, code, may=adds_scope)

    def act(data):
        services.flag_add(release=release, actor=request.user, **data)

    form = forms.FlagForm(request.POST)
    return _attempt(request, release, "flags", form, "flag_form", act, "Feature flag added.")


@require_POST
@login_required
def oncall_assign(request: HttpRequest, code) -> HttpResponse:
    release = get_release_for(request, code, may=is_rm)

    def act(data):
        services.oncall_assign(release=release, actor=request.user, **data)

    form = forms.OnCallForm(request.POST)
    return _attempt(request, release, "oncall", form, "oncall_form", act, "On-call assigned.")


@require_POST
@login_required
def dashboard_add(request: HttpRequest, code) -> HttpResponse:
    release = get_release_for(request, code, may=adds_scope)

    def act(data):
        services.dashboard_add(release=release, actor=request.user, **data)

    form = forms.DashboardForm(request.POST)
    return _attempt(request, release, "dashboards", form, "dashboard_form", act, "Dashboard added.")


@require_POST
@login_required
def dashboard_validate(request: HttpRequest, code, board) -> HttpResponse:
    release = get_release_for(request, code, may=validates_dashboards)
    board = _child(MonitoringDashboard, release, board, related=["release"])
    # Validated meanwhile by someone else: the section shows who, nothing more to say.
    with contextlib.suppress(ServiceError):
        services.dashboard_validate(board, actor=request.user)
    return section_done(request, release, "dashboards", f"{board.name} validated.")


@require_POST
@login_required
def rollback_plan_save(request: HttpRequest, code) -> HttpResponse:
    release = get_release_for(request, code, may=plans_rollback)
    components = selectors.changed_components(selectors.with_scope_of(release))
    form = forms.RollbackPlanForm(request.POST, components=components)

    def act(data):
        services.rollback_plan_save(
            release=release,
            actor=request.user,
            component=data["component_obj"],
            strategy=data["strategy"],
            previous=data["previous"],
            steps=data["steps"],
        )

    return _attempt(
        request, release, "rollback-plans", form, "plan_form", act, "Rollback plan saved."
    )


@require_POST
@login_required
def exception_request(request: HttpRequest, code) -> HttpResponse:
    release = get_release_for(request, code, may=anyone)

    def act(data):
        services.freeze_exception_request(release=release, actor=request.user, **data)

    form = forms.FreezeExceptionForm(request.POST)
    return _attempt(
        request,
        release,
        "freeze-exceptions",
        form,
        "exception_form",
        act,
        "Freeze exception requested; the RM decides.",
    )


@require_POST
@login_required
def exception_decide(request: HttpRequest, code, exception) -> HttpResponse:
    release = get_release_for(request, code, may=is_rm)
    exception = _child(FreezeException, release, exception, related=["release"])
    if exception.requested_by_id == request.user.pk:
        raise PermissionDenied("Nobody decides on their own freeze exception.")
    form = forms.DecisionForm(request.POST)

    def act(data):
        services.freeze_exception_decide(
            exception,
            actor=request.user,
            approve=data["decision"] == "approve",
            comment=data["comment"],
        )

    return _attempt(
        request, release, "freeze-exceptions", form, "decision_form", act, "Decision recorded."
    )


def _hotfix_of(release) -> Hotfix:
    try:
        return Hotfix.objects.select_related("release").get(release=release)
    except Hotfix.DoesNotExist:
        raise Http404("This release is not a hotfix") from None


@require_POST
@login_required
def hotfix_decide(request: HttpRequest, code) -> HttpResponse:
    release = get_release_for(request, code, may=is_rm)
    hotfix = _hotfix_of(release)
    if hotfix.requested_by_id == request.user.pk:
        raise PermissionDenied("Nobody approves their own hotfix.")
    form = forms.DecisionForm(request.POST)

    def act(data):
        services.hotfix_decide(
            hotfix,
            actor=request.user,
            approve=data["decision"] == "approve",
            comment=data["comment"],
        )

    return _attempt(request, release, "hotfix", form, "decision_form", act, "Decision recorded.")


@require_POST
@login_required
def hotfix_confirm(request: HttpRequest, code, kind: str) -> HttpResponse:
    release = get_release_for(request, code, may=confirms_follow_ups)
    hotfix = _hotfix_of(release)
    if kind not in FollowUp.values:
        raise Http404("No such follow-up")
    note = request.POST.get("note", "").strip()[:300]
    try:
        services.hotfix_confirm(hotfix, actor=request.user, kind=kind, note=note)
    except ServiceError as exc:
        return render_section(request, release, "hotfix", {"follow_up_error": str(exc)})
    return section_done(request, release, "hotfix", f"{FollowUp(kind).label}: confirmed.")
