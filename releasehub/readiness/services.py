"""Readiness writes. Each runs in one transaction, appends evidence and a timeline event.

Evidence is never updated: a new row supersedes the current one. Two people (or one double
click) superseding the same row at once collide on the one-to-one `supersedes`, or on the partial
unique index of a slot's first row; the loser gets a message and nothing is written.

Role rules that depend on who acts are checked here too (PermissionDenied), so no caller can
sign for someone else's squad, whatever the view or form in front of it.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from releasehub.accounts.models import Role, Squad, User
from releasehub.audit.timeline import record_event
from releasehub.readiness.models import (
    ChecklistItem,
    ChecklistItemUpdate,
    ChecklistTemplateItem,
    GoNoGoDecision,
    InterventionKind,
    ItemState,
    ManualIntervention,
    MeetingAttendee,
    MeetingRecord,
    Phase,
    RegressionResult,
    SignOff,
    SignOffDecision,
    SmokeOutcome,
    SmokeResult,
    SquadInvolvement,
    Suite,
)
from releasehub.readiness.selectors import (
    SIGNING_STATUSES,
    SMOKE_STATUSES,
    Slot,
    current_of,
    go_no_go_state,
    slots,
    stale_before,
)
from releasehub.releases import services as releases
from releasehub.releases.clock import IST, ist_datetime
from releasehub.releases.models import Release
from releasehub.releases.services import ServiceError

S = Release.Status


class ReadinessError(ServiceError):
    """A request the readiness rules refuse; the message is shown as it is."""


class Conflict(ReadinessError):
    """Someone recorded the same thing at the same moment; the first one stands."""


class NotReady(ReadinessError):
    """Go refused: sign-offs or the pre-release checklist are not complete."""

    def __init__(self, blockers: list[str]) -> None:
        self.blockers = blockers
        super().__init__(
            "Not ready for Go: " + "; ".join(blockers) + ". Record No-Go, or override with a "
            "reason."
        )


def _append(model, conflict: str, **fields):
    """Insert one evidence row in a savepoint; a unique violation means someone beat us."""
    try:
        with transaction.atomic():
            return model.objects.create(at=timezone.now(), **fields)
    except IntegrityError:
        raise Conflict(conflict) from None


def _text(value: str, what: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ReadinessError(f"{what} is required.")
    return value


# Checklists --------------------------------------------------------------------------------


@transaction.atomic
def checklists_create_for(release: Release) -> list[ChecklistItem]:
    """Copy the active templates into the release, once (later calls return what exists).

    A hotfix has its own short clock (no freeze, no T-48h, no meeting): it gets the smoke and
    post-release checklists only.
    """
    locked = Release.objects.select_for_update().get(pk=release.pk)
    existing = list(ChecklistItem.objects.filter(release=locked))
    if existing:
        return existing
    templates = ChecklistTemplateItem.objects.filter(active=True)
    if locked.is_hotfix:
        templates = templates.filter(phase__in=[Phase.SMOKE, Phase.POST_RELEASE])
    items = ChecklistItem.objects.bulk_create(
        ChecklistItem(
            release=locked,
            template=t,
            phase=t.phase,
            position=t.position,
            text=t.text,
            owner_role=t.owner_role,
            computed_by=t.computed_by,
        )
        for t in templates
    )
    record_event(
        verb="readiness.checklists_created",
        target=locked,
        release=locked,
        summary=f"{locked.version}: {len(items)} checklist items copied from the templates",
    )
    return items


def may_update_item(user: User, item: ChecklistItem) -> bool:
    return (
        item.owner_id == user.pk
        or user.has_role(item.owner_role)
        or user.has_role(Role.RELEASE_MANAGER)
    )


@transaction.atomic
def checklist_item_update(
    item: ChecklistItem, *, actor: User, state: str, reason: str = "", evidence: str = ""
) -> ChecklistItemUpdate:
    if not may_update_item(actor, item):
        raise PermissionDenied(f"Only the owner ({item.owner_role_label}) or the RM may do this.")
    if item.phase == Phase.SMOKE:
        raise ReadinessError("Smoke items are logged by the QA Lead as pass or fail.")
    if item.is_computed:
        raise ReadinessError(f"“{item.text}” is computed from the release's data, not ticked.")
    if state not in ItemState.values:
        raise ReadinessError("Choose a valid state.")
    needs_reason = state in (ItemState.BLOCKED, ItemState.NOT_APPLICABLE)
    reason = _text(reason, "A reason", required=needs_reason)
    release = Release.objects.get(pk=item.release_id)
    if release.status == S.CANCELLED:
        raise ReadinessError(f"{release.version} is cancelled.")
    current = current_of(ChecklistItemUpdate.objects.filter(item=item))
    row = _append(
        ChecklistItemUpdate,
        f"“{item.text}” was updated by someone else at the same moment; reload to see it.",
        item=item,
        state=state,
        reason=reason,
        evidence=(evidence or "").strip(),
        actor=actor,
        supersedes=current,
    )
    record_event(
        verb="readiness.item_updated",
        target=item,
        release=release,
        actor=actor,
        summary=f"{item.text}: {ItemState(state).label}",
        reason=reason,
        before={"state": current.state} if current else None,
        after={"state": state, "evidence": row.evidence},
    )
    return row


@transaction.atomic
def checklist_item_assign(item: ChecklistItem, *, actor: User, owner: User | None) -> None:
    if not actor.has_role(Role.RELEASE_MANAGER):
        raise PermissionDenied("Only the Release Manager assigns checklist owners.")
    if owner is not None and not owner.has_role(item.owner_role):
        raise ReadinessError(f"{owner} is not a {item.owner_role_label}.")
    locked = ChecklistItem.objects.select_for_update().get(pk=item.pk)
    before = str(locked.owner) if locked.owner_id else None
    locked.owner = owner
    locked.save(update_fields=["owner"])
    item.owner = owner
    record_event(
        verb="readiness.item_assigned",
        target=item,
        release=locked.release,
        actor=actor,
        summary=f"{item.text}: owner {owner or item.owner_role_label}",
        before={"owner": before},
        after={"owner": str(owner) if owner else None},
    )


# Go/No-Go ----------------------------------------------------------------------------------


def slot_by_key(key: str) -> Slot:
    found = next((s for s in slots(Squad.objects.all()) if s.key == key), None)
    if found is None:
        raise ReadinessError("Choose whom you sign for.")
    return found


@transaction.atomic
def signoff_record(
    *, release: Release, actor: User, slot: Slot, decision: str, comment: str = ""
) -> SignOff:
    """The signer is `actor`, always the logged-in user; they must hold the slot's role."""
    if not slot.may_sign(actor):
        raise PermissionDenied(f"You cannot sign for {slot.label}.")
    if decision not in SignOffDecision.values:
        raise ReadinessError("Choose Go or No-Go.")
    comment = _text(comment, "A No-Go comment", required=decision == SignOffDecision.NO_GO)
    release = Release.objects.get(pk=release.pk)
    if release.status not in SIGNING_STATUSES:
        raise ReadinessError(
            f"{release.version} is {release.get_status_display()}; sign-offs are closed."
        )
    if slot.squad is not None:
        involvement = current_of(SquadInvolvement.objects.filter(release=release, squad=slot.squad))
        if involvement is not None and not involvement.involved:
            raise ReadinessError(f"{slot.label} is marked not involved in {release.version}.")
    # Read without a lock on purpose: the constraints, not a lock, decide who was first.
    current = current_of(SignOff.objects.filter(release=release, slot=slot.key))
    if _same_sign_off(current, actor, decision, comment, stale_before(release)):
        # A resubmission (double click, second tab) of the sign-off that stands: nothing new.
        return current
    row = _append(
        SignOff,
        f"Another sign-off for {slot.label} was recorded at the same moment; reload to see it.",
        release=release,
        slot=slot.key,
        role=slot.role,
        squad=slot.squad,
        decision=decision,
        comment=comment,
        actor=actor,
        supersedes=current,
    )
    label = SignOffDecision(decision).label
    record_event(
        verb="readiness.signoff",
        target=row,
        release=release,
        actor=actor,
        summary=f"{slot.label}: {label} by {actor}"
        + (f" (supersedes {current.get_decision_display()} by {current.actor})" if current else ""),
        reason=comment,
        before={"decision": current.decision, "code": str(current.code)} if current else None,
        after={"decision": decision, "slot": slot.key},
    )
    return row


def _same_sign_off(
    current: SignOff | None, actor: User, decision: str, comment: str, cut: dt.datetime | None
) -> bool:
    return (
        current is not None
        and (current.actor_id, current.decision, current.comment) == (actor.pk, decision, comment)
        and (cut is None or current.at > cut)
    )


@transaction.atomic
def squad_involvement_set(
    *, release: Release, actor: User, squad: Squad, involved: bool, reason: str = ""
) -> SquadInvolvement:
    if not actor.has_role(Role.RELEASE_MANAGER):
        raise PermissionDenied("Only the Release Manager marks squads not involved.")
    reason = _text(reason, "A reason", required=not involved)
    release = Release.objects.get(pk=release.pk)
    if release.status not in SIGNING_STATUSES:
        raise ReadinessError(f"{release.version} is {release.get_status_display()}.")
    current = current_of(SquadInvolvement.objects.filter(release=release, squad=squad))
    if (current.involved if current else True) == involved:
        raise ReadinessError(f"{squad} is already marked {'' if involved else 'not '}involved.")
    row = _append(
        SquadInvolvement,
        f"{squad}'s involvement was changed at the same moment; reload to see it.",
        release=release,
        squad=squad,
        involved=involved,
        reason=reason,
        actor=actor,
        supersedes=current,
    )
    record_event(
        verb="readiness.squad_involvement",
        target=row,
        release=release,
        actor=actor,
        summary=f"{squad} {'involved again' if involved else 'not involved'} in {release.version}",
        reason=reason,
    )
    return row


class Then:
    """What follows a No-Go."""

    MOVE = "move"
    CANCEL = "cancel"
    choices = [(MOVE, "Move to the next train"), (CANCEL, "Cancel the release")]


def next_train_window(release: Release, *, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The release's window on the next occurrence of its train (a fortnight without one)."""
    length = release.window_end - release.window_start
    local = release.window_start.astimezone(IST)
    step = dt.timedelta(days=release.train.interval_days if release.train_id else 14)
    day = local.date() + step
    if release.train_id:
        day = release.train.occurrences(local.date() + dt.timedelta(days=1), 1)[0]
    start = ist_datetime(day, local.time())
    while start <= now:
        start += step
    return start, start + length


@transaction.atomic
def go_no_go_decide(
    *,
    release: Release,
    actor: User,
    decision: str,
    reason: str = "",
    override_reason: str = "",
    then: str = "",
) -> GoNoGoDecision:
    if not actor.has_role(Role.RELEASE_MANAGER):
        raise PermissionDenied("Only the Release Manager records the Go/No-Go decision.")
    # The release row lock serialises two RMs deciding at once; the second sees the new status.
    locked = Release.objects.select_for_update().get(pk=release.pk)
    if decision == SignOffDecision.GO:
        row = _decide_go(locked, actor, reason.strip(), override_reason.strip())
    elif decision == SignOffDecision.NO_GO:
        row = _decide_no_go(locked, actor, _text(reason, "A reason for No-Go"), then)
    else:
        raise ReadinessError("Choose Go or No-Go.")
    release.refresh_from_db()
    return row


def _current_decision(release: Release) -> GoNoGoDecision | None:
    return current_of(GoNoGoDecision.objects.filter(release=release))


def _decide_go(release: Release, actor: User, note: str, override: str) -> GoNoGoDecision:
    if release.status not in (S.PLANNED, S.FROZEN):
        raise ReadinessError(f"{release.version} is {release.get_status_display()}; no Go now.")
    blockers = go_no_go_state(release).blockers
    if blockers and not override:
        raise NotReady(blockers)
    row = _append(
        GoNoGoDecision,
        "Another decision was recorded at the same moment; reload to see it.",
        release=release,
        decision=SignOffDecision.GO,
        reason=override if blockers else note,
        overridden=bool(blockers),
        actor=actor,
        supersedes=_current_decision(release),
    )
    if blockers:
        ManualIntervention.objects.create(
            release=release,
            kind=InterventionKind.GO_OVERRIDE,
            actor=actor,
            reason=override,
            at=row.at,
        )
        record_event(
            verb="readiness.override",
            target=row,
            release=release,
            actor=actor,
            summary=f"Go overriding: {'; '.join(blockers)}"[:300],
            reason=override,
            before={"blockers": blockers},
        )
    record_event(
        verb="readiness.decision_go",
        target=row,
        release=release,
        actor=actor,
        summary=f"{release.version}: Go" + (" (override)" if blockers else ""),
        reason=row.reason,
    )
    releases.release_transition(release, S.GO, actor=actor, reason=row.reason or "Go")
    return row


def _decide_no_go(release: Release, actor: User, reason: str, then: str) -> GoNoGoDecision:
    if release.status not in (S.PLANNED, S.FROZEN, S.GO):
        raise ReadinessError(f"{release.version} is {release.get_status_display()}; no No-Go now.")
    if then not in (Then.MOVE, Then.CANCEL):
        raise ReadinessError("Choose whether the release moves to the next train or is cancelled.")
    row = _append(
        GoNoGoDecision,
        "Another decision was recorded at the same moment; reload to see it.",
        release=release,
        decision=SignOffDecision.NO_GO,
        reason=reason,
        actor=actor,
        supersedes=_current_decision(release),
    )
    record_event(
        verb="readiness.decision_no_go",
        target=row,
        release=release,
        actor=actor,
        summary=f"{release.version}: No-Go, {dict(Then.choices)[then].lower()}",
        reason=reason,
    )
    releases.release_transition(release, S.NO_GO, actor=actor, reason=reason)
    if then == Then.CANCEL:
        releases.release_cancel(release, actor=actor, reason=f"No-Go: {reason}")
    else:
        start, end = next_train_window(release, now=timezone.now())
        releases.release_move(
            release, window_start=start, window_end=end, actor=actor, reason=f"No-Go: {reason}"
        )
        releases.release_transition(
            release, S.PLANNED, actor=actor, reason="Moved to the next train after No-Go"
        )
    return row


# QA ----------------------------------------------------------------------------------------


def _require_qa(actor: User) -> None:
    if not actor.has_role(Role.QA_LEAD):
        raise PermissionDenied("Only the QA Lead logs smoke and regression results.")


@transaction.atomic
def smoke_record(item: ChecklistItem, *, actor: User, outcome: str, notes: str = "") -> SmokeResult:
    _require_qa(actor)
    if item.phase != Phase.SMOKE:
        raise ReadinessError("That is not a smoke checklist item.")
    if outcome not in SmokeOutcome.values:
        raise ReadinessError("Choose pass or fail.")
    notes = _text(notes, "Notes on the failure", required=outcome == SmokeOutcome.FAILED)
    release = Release.objects.get(pk=item.release_id)
    if release.status not in SMOKE_STATUSES:
        raise ReadinessError(
            f"{release.version} is {release.get_status_display()}; smoke runs after Go."
        )
    current = current_of(SmokeResult.objects.filter(item=item))
    row = _append(
        SmokeResult,
        f"A result for {item.text} was logged at the same moment; reload to see it.",
        release=release,
        item=item,
        outcome=outcome,
        notes=notes,
        actor=actor,
        supersedes=current,
    )
    record_event(
        verb=f"readiness.smoke_{outcome}",
        target=row,
        release=release,
        actor=actor,
        summary=f"Smoke {item.text}: {SmokeOutcome(outcome).label}",
        reason=notes,
    )
    return row


@transaction.atomic
def regression_record(
    *,
    release: Release,
    actor: User,
    suite: str,
    passed: int,
    failed: int,
    skipped: int,
    link: str = "",
) -> RegressionResult:
    _require_qa(actor)
    if suite not in Suite.values:
        raise ReadinessError("Choose a suite.")
    if min(passed, failed, skipped) < 0:
        raise ReadinessError("Counts cannot be negative.")
    release = Release.objects.get(pk=release.pk)
    if not release.is_open:
        raise ReadinessError(f"{release.version} is {release.get_status_display()}.")
    current = current_of(RegressionResult.objects.filter(release=release, suite=suite))
    row = _append(
        RegressionResult,
        f"{Suite(suite).label} results were logged at the same moment; reload to see them.",
        release=release,
        suite=suite,
        passed=passed,
        failed=failed,
        skipped=skipped,
        link=link.strip(),
        actor=actor,
        supersedes=current,
    )
    record_event(
        verb="readiness.regression_logged",
        target=row,
        release=release,
        actor=actor,
        summary=f"{Suite(suite).label} regression: {passed} passed, {failed} failed, "
        f"{skipped} skipped",
        after={"link": row.link},
    )
    return row


@transaction.atomic
def meeting_record(
    *, release: Release, actor: User, attendees: list[User], notes: str, decisions: str
) -> MeetingRecord:
    if not actor.has_role(Role.RELEASE_MANAGER):
        raise PermissionDenied("Only the Release Manager keeps the meeting record.")
    if not attendees:
        raise ReadinessError("List who attended.")
    release = Release.objects.get(pk=release.pk)
    if not release.is_open:
        raise ReadinessError(f"{release.version} is {release.get_status_display()}.")
    current = current_of(MeetingRecord.objects.filter(release=release))
    row = _append(
        MeetingRecord,
        "The meeting record was saved by someone else at the same moment; reload to see it.",
        release=release,
        notes=notes.strip(),
        decisions=decisions.strip(),
        actor=actor,
        supersedes=current,
    )
    MeetingAttendee.objects.bulk_create(MeetingAttendee(meeting=row, user=u) for u in attendees)
    record_event(
        verb="readiness.meeting_recorded",
        target=row,
        release=release,
        actor=actor,
        summary=f"Pre-release meeting record ({len(attendees)} attendees)"
        + (", revised" if current else ""),
        after={"attendees": sorted(str(u) for u in attendees)},
    )
    return row
