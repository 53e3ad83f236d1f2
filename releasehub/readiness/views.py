"""Readiness pages: look up with an access check, call one service, render the page or the
fragment named after the DOM id it replaces (htmx). A refused role is a 403 with no change."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from releasehub.accounts.models import Squad, User
from releasehub.audit import live
from releasehub.core.forms import attempt
from releasehub.core.http import AuthedRequest
from releasehub.readiness import forms, rules
from releasehub.readiness.errors import ReadinessError
from releasehub.readiness.models import ChecklistItem, Phase
from releasehub.readiness.panels import (
    SIGNING_STATUSES,
    Slot,
    SmokeState,
    shown_go_no_go_state,
    shown_smoke_state,
)
from releasehub.readiness.selectors import readiness_page
from releasehub.readiness.services.checklists import (
    checklist_item_assign,
    checklist_item_update,
    checklists_create_for,
)
from releasehub.readiness.services.decision import Then, go_no_go_decide
from releasehub.readiness.services.meeting import meeting_record
from releasehub.readiness.services.qa import regression_record, smoke_record
from releasehub.readiness.services.signoffs import (
    signoff_record,
    slot_by_key,
    squad_involvement_set,
)
from releasehub.releases.access import release_for
from releasehub.releases.models import Release

PAGE = "readiness/go_no_go.html"
ACTIONS = "go-no-go-actions"


def _get_item_for(request: AuthedRequest, release: Release, item_code: UUID) -> ChecklistItem:
    item = get_object_or_404(ChecklistItem.objects.select_related("owner"), code=item_code)
    if item.release_id != release.pk:
        raise PermissionDenied("That item belongs to another release.")
    if not rules.may_update_item(request.user, item):
        raise PermissionDenied("Only the item's owner or the RM may update it.")
    return item


def _context(request: AuthedRequest, release: Release, **extra) -> dict:
    user = request.user
    data = readiness_page(release)
    rows = [row for _, _, phase in data.phases for row in phase]
    signing = release.status in SIGNING_STATUSES
    my_slots = [r.slot for r in data.go_no_go.rows if signing and rules.signs_for(user, r.slot)]
    return {
        "release": release,
        "page": data,
        "gng": data.go_no_go,
        "smoke": data.smoke,
        "my_slots": my_slots,
        "is_rm": rules.decides(user),
        "is_qa": rules.logs_qa(user),
        "editable": {r.item.pk for r in rows if rules.may_update_item(user, r.item)},
        "squads": [r.slot.squad for r in data.go_no_go.rows if r.slot.squad],
        "people": forms.ATTENDEES.order_by("username"),
        "then_choices": Then.choices,
        "errors": {},
        "jumps": _jumps(user, release, my_slots, data.smoke),
        **extra,
    }


def _jumps(
    user: User, release: Release, my_slots: list[Slot], smoke: SmokeState
) -> list[tuple[str, str]]:
    """Links at the top of the page to the forms this person acts in, so that a squad rep on a
    phone does not scroll past every section to reach their own sign-off (#19)."""
    mine = [slot.label for slot in my_slots]
    jumps = [("sign-off-heading", "Sign off for " + " or ".join(mine))] if mine else []
    if release.status in SIGNING_STATUSES and rules.decides(user):
        jumps.append(("decision-heading", "Record the Go/No-Go decision"))
    if rules.logs_qa(user) and smoke.rows and smoke.open_for_results:
        jumps.append(("smoke-form-heading", "Log a smoke result"))
    return jumps


def _respond(
    request: AuthedRequest,
    release: Release,
    section: str,
    *,
    error: str = "",
    notice: str = "",
) -> HttpResponse:
    """htmx: the section's fragment (with the error, if any); plain POST: redirect or the page
    with the error and status 400. Nothing was written when there is an error."""
    if request.htmx:
        context = _context(request, release, errors={section: error}, notice={section: notice})
        response = render(request, f"{PAGE}#{section}", context)
        if not error:
            # Tells the polled panels on this page to refresh now rather than in 3 seconds.
            response["HX-Trigger"] = "readiness-changed"
        return response
    if error:
        context = _context(request, release, errors={section: error})
        return render(request, PAGE, context, status=400)
    messages.success(request, notice)
    return redirect(reverse("readiness:page", args=[release.code]) + f"#{section}")


@require_GET
@login_required
def page(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code)
    return render(request, PAGE, _context(request, release))


@require_GET
@login_required
@live.polled(live.release_marker)
def panel(request: AuthedRequest, code: UUID, live_since: str) -> HttpResponse:
    release = release_for(request, code)
    gng = shown_go_no_go_state(release, version=live.version_of(live_since))
    context = {"gng": gng, "live_since": live_since}
    return render(request, "readiness/_go_no_go_panel.html", context)


@require_GET
@login_required
@live.polled(live.release_marker)
def smoke_panel(request: AuthedRequest, code: UUID, live_since: str) -> HttpResponse:
    release = release_for(request, code)
    smoke = shown_smoke_state(release, version=live.version_of(live_since))
    context = {"smoke": smoke, "live_since": live_since}
    return render(request, "readiness/_smoke_panel.html", context)


@require_POST
@login_required
def sign(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.signs)

    def act(data: dict) -> str:
        slot = slot_by_key(data["slot"])
        row = signoff_record(
            release=release,
            actor=request.user,
            slot=slot,
            decision=data["decision"],
            comment=data["comment"],
        )
        return f"{row.get_decision_display()} recorded for {slot.label}."

    outcome = attempt(forms.SignOffForm(request.POST), act)
    return _respond(request, release, ACTIONS, error=outcome.error, notice=outcome.value)


@require_POST
@login_required
def involvement(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.decides)

    def act(data: dict) -> str:
        squad = Squad.objects.filter(slug=data["squad"]).first()
        if squad is None:
            raise ReadinessError("Choose a squad.")
        row = squad_involvement_set(
            release=release,
            actor=request.user,
            squad=squad,
            involved=data["involved"],
            reason=data["reason"],
        )
        return f"{squad} marked {'involved' if row.involved else 'not involved'}."

    outcome = attempt(forms.InvolvementForm(request.POST), act)
    return _respond(request, release, ACTIONS, error=outcome.error, notice=outcome.value)


@require_POST
@login_required
def decide(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.decides)

    def act(data: dict) -> str:
        row = go_no_go_decide(release=release, actor=request.user, **data)
        return f"Decision recorded: {row.get_decision_display()}."

    outcome = attempt(forms.DecisionForm(request.POST), act)
    return _respond(request, release, ACTIONS, error=outcome.error, notice=outcome.value)


@require_POST
@login_required
def create(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.decides)
    checklists_create_for(release)
    return _respond(request, release, "checklists", notice="Checklists created.")


@require_POST
@login_required
def item_update(request: AuthedRequest, code: UUID, item: UUID) -> HttpResponse:
    release = release_for(request, code)
    checklist_item = _get_item_for(request, release, item)

    def act(data: dict) -> str:
        checklist_item_update(item=checklist_item, actor=request.user, **data)
        return f"Updated: {checklist_item.text}."

    outcome = attempt(forms.ItemUpdateForm(request.POST), act)
    return _respond(request, release, "checklists", error=outcome.error, notice=outcome.value)


@require_POST
@login_required
def item_assign(request: AuthedRequest, code: UUID, item: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.decides)
    checklist_item = _get_item_for(request, release, item)

    def act(data: dict) -> str:
        checklist_item_assign(item=checklist_item, actor=request.user, owner=data["owner"])
        return f"Owner set: {checklist_item.text}."

    outcome = attempt(forms.ItemAssignForm(request.POST), act)
    return _respond(request, release, "checklists", error=outcome.error, notice=outcome.value)


@require_POST
@login_required
def smoke(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.logs_qa)

    def act(data: dict) -> str:
        item = ChecklistItem.objects.filter(
            code=data["item"], release=release, phase=Phase.SMOKE
        ).first()
        if item is None:
            raise ReadinessError("Choose a smoke checklist item.")
        row = smoke_record(
            item=item, actor=request.user, outcome=data["outcome"], notes=data["notes"]
        )
        return f"Smoke {item.text}: {row.get_outcome_display()} logged."

    outcome = attempt(forms.SmokeForm(request.POST), act)
    return _respond(request, release, "smoke", error=outcome.error, notice=outcome.value)


@require_POST
@login_required
def regression(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.logs_qa)

    def act(data: dict) -> str:
        row = regression_record(release=release, actor=request.user, **data)
        return f"{row.get_suite_display()} results logged."

    outcome = attempt(forms.RegressionForm(request.POST), act)
    return _respond(request, release, "regression", error=outcome.error, notice=outcome.value)


@require_POST
@login_required
def meeting(request: AuthedRequest, code: UUID) -> HttpResponse:
    release = release_for(request, code, may=rules.decides)

    def act(data: dict) -> str:
        meeting_record(
            release=release,
            actor=request.user,
            attendees=list(data["attendees"]),
            notes=data["notes"],
            decisions=data["decisions"],
        )
        return "Meeting record saved."

    outcome = attempt(forms.MeetingForm(request.POST), act)
    return _respond(request, release, "meeting", error=outcome.error, notice=outcome.value)
