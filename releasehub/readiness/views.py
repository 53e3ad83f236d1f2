"""Readiness pages: look up with an access check, call one service, render the page or the
fragment named after the DOM id it replaces (htmx). A refused role is a 403 with no change."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from releasehub.accounts.models import Role, Squad, User
from releasehub.readiness import forms, services
from releasehub.readiness.models import ChecklistItem, Phase
from releasehub.readiness.selectors import (
    SIGNING_STATUSES,
    go_no_go_state,
    readiness_page,
    slots,
    slots_for_user,
    smoke_state,
)
from releasehub.releases.models import Release
from releasehub.releases.services import ServiceError

PAGE = "readiness/go_no_go.html"


def _get_release_for(request: HttpRequest, code: UUID, *needs: str) -> Release:
    """The release, if the user holds one of `needs` (any logged-in user when empty)."""
    release = get_object_or_404(
        Release.objects.select_related("train", "release_manager"), code=code
    )
    if needs and not request.user.has_any_role(*needs):
        raise PermissionDenied("Your role does not allow this.")
    return release


def _get_item_for(request: HttpRequest, release: Release, item_code: UUID) -> ChecklistItem:
    item = get_object_or_404(ChecklistItem.objects.select_related("owner"), code=item_code)
    if item.release_id != release.pk:
        raise PermissionDenied("That item belongs to another release.")
    if not services.may_update_item(request.user, item):
        raise PermissionDenied("Only the item's owner or the RM may update it.")
    return item


def _context(request: HttpRequest, release: Release, **extra) -> dict:
    user: User = request.user
    data = readiness_page(release)
    rows = [row for _, _, phase in data.phases for row in phase]
    all_slots = [r.slot for r in data.go_no_go.rows]
    return {
        "release": release,
        "page": data,
        "gng": data.go_no_go,
        "smoke": data.smoke,
        "my_slots": slots_for_user(user, all_slots) if release.status in SIGNING_STATUSES else [],
        "is_rm": user.has_role(Role.RELEASE_MANAGER),
        "is_qa": user.has_role(Role.QA_LEAD),
        "editable": {r.item.pk for r in rows if services.may_update_item(user, r.item)},
        "squads": [r.slot.squad for r in data.go_no_go.rows if r.slot.squad],
        "people": forms.MeetingForm.base_fields["attendees"].queryset.order_by("username"),
        "then_choices": services.Then.choices,
        "errors": {},
        **extra,
    }


def _respond(
    request: HttpRequest, release: Release, section: str, *, error: str = "", notice: str = ""
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
def page(request: HttpRequest, code: UUID) -> HttpResponse:
    release = _get_release_for(request, code)
    return render(request, PAGE, _context(request, release))


@require_GET
@login_required
def panel(request: HttpRequest, code: UUID) -> HttpResponse:
    release = _get_release_for(request, code)
    return render(request, "readiness/_go_no_go_panel.html", {"gng": go_no_go_state(release)})


@require_GET
@login_required
def smoke_panel(request: HttpRequest, code: UUID) -> HttpResponse:
    release = _get_release_for(request, code)
    return render(request, "readiness/_smoke_panel.html", {"smoke": smoke_state(release)})


def _run(request: HttpRequest, release: Release, section: str, form, action) -> HttpResponse:
    """Validate `form`, call `action(cleaned_data)` for the notice; a refusal is the error."""
    if not form.is_valid():
        return _respond(request, release, section, error=forms.first_error(form))
    try:
        notice = action(form.cleaned_data)
    except ServiceError as e:
        return _respond(request, release, section, error=str(e))
    return _respond(request, release, section, notice=notice)


@require_POST
@login_required
def sign(request: HttpRequest, code: UUID) -> HttpResponse:
    release = _get_release_for(request, code, Role.SQUAD_REP, Role.SRE)

    def act(data: dict) -> str:
        slot = next((s for s in slots(Squad.objects.all()) if s.key == data["slot"]), None)
        if slot is None:
            raise services.ReadinessError("Choose whom you sign for.")
        row = services.signoff_record(
            release=release,
            actor=request.user,
            slot=slot,
            decision=data["decision"],
            comment=data["comment"],
        )
        return f"{row.get_decision_display()} recorded for {slot.label}."

    return _run(request, release, "go-no-go-actions", forms.SignOffForm(request.POST), act)


@require_POST
@login_required
def involvement(request: HttpRequest, code: UUID) -> HttpResponse:
    release = _get_release_for(request, code, Role.RELEASE_MANAGER)

    def act(data: dict) -> str:
        squad = Squad.objects.filter(slug=data["squad"]).first()
        if squad is None:
            raise services.ReadinessError("Choose a squad.")
        row = services.squad_involvement_set(
            release=release,
            actor=request.user,
            squad=squad,
            involved=data["involved"],
            reason=data["reason"],
        )
        return f"{squad} marked {'involved' if row.involved else 'not involved'}."

    return _run(request, release, "go-no-go-actions", forms.InvolvementForm(request.POST), act)


@require_POST
@login_required
def decide(request: HttpRequest, code: UUID) -> HttpResponse:
    release = _get_release_for(request, code, Role.RELEASE_MANAGER)

    def act(data: dict) -> str:
        row = services.go_no_go_decide(release=release, actor=request.user, **data)
        return f"Decision recorded: {row.get_decision_display()}."

    return _run(request, release, "go-no-go-actions", forms.DecisionForm(request.POST), act)


@require_POST
@login_required
def create(request: HttpRequest, code: UUID) -> HttpResponse:
    release = _get_release_for(request, code, Role.RELEASE_MANAGER)
    services.checklists_create_for(release)
    return _respond(request, release, "checklists", notice="Checklists created.")


@require_POST
@login_required
def item_update(request: HttpRequest, code: UUID, item: UUID) -> HttpResponse:
    release = _get_release_for(request, code)
    checklist_item = _get_item_for(request, release, item)

    def act(data: dict) -> str:
        services.checklist_item_update(checklist_item, actor=request.user, **data)
        return f"Updated: {checklist_item.text}."

    return _run(request, release, "checklists", forms.ItemUpdateForm(request.POST), act)


@require_POST
@login_required
def item_assign(request: HttpRequest, code: UUID, item: UUID) -> HttpResponse:
    release = _get_release_for(request, code, Role.RELEASE_MANAGER)
    checklist_item = _get_item_for(request, release, item)

    def act(data: dict) -> str:
        services.checklist_item_assign(checklist_item, actor=request.user, owner=data["owner"])
        return f"Owner set: {checklist_item.text}."

    return _run(request, release, "checklists", forms.ItemAssignForm(request.POST), act)


@require_POST
@login_required
def smoke(request: HttpRequest, code: UUID) -> HttpResponse:
    release = _get_release_for(request, code, Role.QA_LEAD)

    def act(data: dict) -> str:
        item = ChecklistItem.objects.filter(
            code=data["item"], release=release, phase=Phase.SMOKE
        ).first()
        if item is None:
            raise services.ReadinessError("Choose a smoke checklist item.")
        row = services.smoke_record(
            item, actor=request.user, outcome=data["outcome"], notes=data["notes"]
        )
        return f"Smoke {item.text}: {row.get_outcome_display()} logged."

    return _run(request, release, "smoke", forms.SmokeForm(request.POST), act)


@require_POST
@login_required
def regression(request: HttpRequest, code: UUID) -> HttpResponse:
    release = _get_release_for(request, code, Role.QA_LEAD)

    def act(data: dict) -> str:
        row = services.regression_record(release=release, actor=request.user, **data)
        return f"{row.get_suite_display()} results logged."

    return _run(request, release, "regression", forms.RegressionForm(request.POST), act)


@require_POST
@login_required
def meeting(request: HttpRequest, code: UUID) -> HttpResponse:
    release = _get_release_for(request, code, Role.RELEASE_MANAGER)

    def act(data: dict) -> str:
        services.meeting_record(
            release=release,
            actor=request.user,
            attendees=list(data["attendees"]),
            notes=data["notes"],
            decisions=data["decisions"],
        )
        return "Meeting record saved."

    return _run(request, release, "meeting", forms.MeetingForm(request.POST), act)
