"""Readiness: Go/No-Go sign-offs (read; signed only with a person's own token), checklist items
and the QA smoke results. Each write is the Go/No-Go page's own action (readiness/views.py):
the same predicate, the same form, the same service.

The RM's Go/No-Go decision is not offered here at all: it is a judgement over everyone's
sign-offs, often with an override reason, made on the page where the blockers are shown, and
no pipeline has anything to report to it. Not having the endpoint is the surest way that no
token, integration or leaked personal one, can ever make it."""

import datetime as dt
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from releasehub.accounts.models import Squad, User
from releasehub.api.access import need, writing
from releasehub.api.checks import actor, cleaned, release_for
from releasehub.api.schemas import PROBLEMS, WRITE_PROBLEMS
from releasehub.api.scopes import Scope
from releasehub.readiness import forms, rules
from releasehub.readiness.models import ChecklistItem, Phase, SmokeResult
from releasehub.readiness.panels import (
    ChecklistRow,
    Slot,
    checklist_rows,
    go_no_go_state,
    slots,
    smoke_state,
)
from releasehub.readiness.services.checklists import checklist_item_update
from releasehub.readiness.services.qa import smoke_record
from releasehub.readiness.services.signoffs import signoff_record
from releasehub.releases.models import Release

router = Router(tags=["readiness"])


class SignOffIn(Schema):
    # "sre" or "squad:<slug>"; left out, the one slot the token's person signs for.
    slot: str | None = None
    decision: str  # go or no_go
    comment: str = ""


class SignOffOut(Schema):
    code: UUID
    slot: str
    decision: str
    comment: str
    by: str
    at: dt.datetime


class SlotOut(Schema):
    slot: str
    label: str
    status: str  # missing, stale, go, no_go or not_involved
    stale: bool
    involved: bool
    current: SignOffOut | None


class DecisionOut(Schema):
    decision: str
    reason: str
    overridden: bool
    by: str
    at: dt.datetime


class GoNoGoOut(Schema):
    go_no_go_at: dt.datetime
    ready: bool
    blockers: list[str]
    slots: list[SlotOut]
    decision: DecisionOut | None  # the RM's, read only


class ItemUpdateIn(Schema):
    state: str  # open, done, blocked (with a reason), not_applicable (with a reason)
    reason: str = ""
    evidence: str = ""


class ChecklistItemOut(Schema):
    code: UUID
    phase: str
    text: str
    owner_role: str
    owner: str | None
    state: str
    computed: bool  # answered by the release's data, never updated by hand
    detail: str
    updated_by: str | None
    updated_at: dt.datetime | None
    reason: str
    evidence: str


class SmokeIn(Schema):
    outcome: str  # passed or failed
    notes: str = ""


class SmokeItemOut(Schema):
    item: UUID
    text: str
    outcome: str | None
    notes: str
    by: str | None
    at: dt.datetime | None


class SmokeOut(Schema):
    open_for_results: bool
    passed: bool
    items: list[SmokeItemOut]


# Sign-offs ---------------------------------------------------------------------------------


def _slot_name(slot: Slot) -> str:
    """Slot keys name squads by database id; pipelines and people know the slug."""
    return "sre" if slot.squad is None else f"squad:{slot.squad.slug}"


def _signoff_out(row, slot: Slot) -> dict:
    return {
        "code": row.code,
        "slot": _slot_name(slot),
        "decision": row.decision,
        "comment": row.comment,
        "by": row.actor.username,
        "at": row.at,
    }


def _slot_for(user: User, name: str | None) -> Slot:
    every = slots(Squad.objects.order_by("name"))
    if name is not None:
        found = next((s for s in every if _slot_name(s) == name), None)
        if found is None:
            raise HttpError(422, f"No slot {name}: send sre or squad:<slug>.")
        return found
    mine = [s for s in every if rules.signs_for(user, s)]
    if len(mine) != 1:
        names = ", ".join(_slot_name(s) for s in mine) or "none"
        raise HttpError(422, f"Name the slot you sign for (yours: {names}).")
    return mine[0]


@router.get(
    "/releases/{ref}/signoffs",
    response={200: GoNoGoOut, **PROBLEMS},
    summary="Go/No-Go: the current sign-off of each slot, stale ones flagged, the RM's decision",
)
def signoff_list(request: HttpRequest, ref: str):
    need(request, Scope.RELEASES_READ)
    state = go_no_go_state(release_for(request, ref))
    decision = state.decision
    return {
        "go_no_go_at": state.go_no_go_at,
        "ready": state.ready,
        "blockers": state.blockers,
        "slots": [
            {
                "slot": _slot_name(row.slot),
                "label": row.slot.label,
                "status": row.status,
                "stale": row.stale,
                "involved": row.involved,
                "current": row.current and _signoff_out(row.current, row.slot),
            }
            for row in state.rows
        ],
        "decision": decision
        and {
            "decision": decision.decision,
            "reason": decision.reason,
            "overridden": decision.overridden,
            "by": decision.actor.username,
            "at": decision.at,
        },
    }


@router.post(
    "/releases/{ref}/signoffs",
    response={201: SignOffOut, **WRITE_PROBLEMS},
    summary="Sign off as the token's person (personal tokens only; an integration never signs)",
)
def signoff_create(request: HttpRequest, ref: str, body: SignOffIn):
    with writing(request, Scope.SIGNOFFS_WRITE, person_only=True):
        user = actor(request)
        release = release_for(request, ref, may=rules.signs)
        slot = _slot_for(user, body.slot)
        data = cleaned(forms.SignOffForm({**body.dict(), "slot": slot.key}))
        # The signer is the token's person, whatever the body says: it has no field for it.
        row = signoff_record(
            release=release,
            actor=user,
            slot=slot,
            decision=data["decision"],
            comment=data["comment"],
        )
    return Status(201, _signoff_out(row, slot))


# Checklists --------------------------------------------------------------------------------


def _item_out(row: ChecklistRow) -> dict:
    update = row.current
    return {
        "code": row.item.code,
        "phase": row.item.phase,
        "text": row.item.text,
        "owner_role": row.item.owner_role,
        "owner": row.item.owner.username if row.item.owner else None,
        "state": row.state,
        "computed": row.computed is not None,
        "detail": row.computed.detail if row.computed else "",
        "updated_by": update.actor.username if update else None,
        "updated_at": update.at if update else None,
        "reason": update.reason if update else "",
        "evidence": update.evidence if update else "",
    }


def _item_of(release: Release, code: UUID, **phase) -> ChecklistItem:
    item = ChecklistItem.objects.select_related("owner").filter(release=release, code=code, **phase)
    found = item.first()
    if found is None:
        raise Http404(f"No such checklist item in {release.version}.")
    return found


@router.get(
    "/releases/{ref}/checklist",
    response={200: list[ChecklistItemOut], **PROBLEMS},
    summary="The release's checklist items, their state and who last updated them",
)
def checklist_list(request: HttpRequest, ref: str):
    need(request, Scope.RELEASES_READ)
    by_phase = checklist_rows(release_for(request, ref), Phase.values)
    return [_item_out(row) for phase in Phase.values for row in by_phase[phase]]


@router.post(
    "/releases/{ref}/checklist/{item}/updates",
    response={201: ChecklistItemOut, **WRITE_PROBLEMS},
    summary="Update a checklist item (its owner, a holder of its role, or the RM)",
)
def checklist_update(request: HttpRequest, ref: str, item: UUID, body: ItemUpdateIn):
    with writing(request, Scope.CHECKLIST_WRITE):
        user = actor(request)
        release = release_for(request, ref)
        found = _item_of(release, item)
        if not rules.may_update_item(user, found):
            raise PermissionDenied("Only the item's owner or the RM may update it.")
        data = cleaned(forms.ItemUpdateForm(body.dict()))
        update = checklist_item_update(item=found, actor=user, **data)
    # Never a computed item: the service refuses those.
    return Status(201, _item_out(ChecklistRow(found, update, [update])))


# Smoke -------------------------------------------------------------------------------------


def _smoke_out(item: ChecklistItem, result: SmokeResult | None) -> dict:
    return {
        "item": item.code,
        "text": item.text,
        "outcome": result.outcome if result else None,
        "notes": result.notes if result else "",
        "by": result.actor.username if result else None,
        "at": result.at if result else None,
    }


@router.get(
    "/releases/{ref}/smoke",
    response={200: SmokeOut, **PROBLEMS},
    summary="The QA smoke checklist and the current result of each item",
)
def smoke_list(request: HttpRequest, ref: str):
    need(request, Scope.RELEASES_READ)
    state = smoke_state(release_for(request, ref))
    return {
        "open_for_results": state.open_for_results,
        "passed": state.passed,
        "items": [_smoke_out(row.item, row.smoke) for row in state.rows],
    }


@router.post(
    "/releases/{ref}/smoke/{item}",
    response={201: SmokeItemOut, **WRITE_PROBLEMS},
    summary="Record a smoke result for one smoke item (QA)",
)
def smoke_create(request: HttpRequest, ref: str, item: UUID, body: SmokeIn):
    with writing(request, Scope.SMOKE_WRITE):
        user = actor(request)
        release = release_for(request, ref, may=rules.logs_qa)
        found = _item_of(release, item, phase=Phase.SMOKE)
        data = cleaned(forms.SmokeForm({**body.dict(), "item": str(found.code)}))
        row = smoke_record(item=found, actor=user, outcome=data["outcome"], notes=data["notes"])
    return Status(201, _smoke_out(found, row))
