"""The RM's Go/No-Go decision: Go when ready (or overriding what blocks it, with a reason, in
the manual-intervention ledger), No-Go moving the release to the next train or cancelling it."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.audit.evidence import evidence_append
from releasehub.audit.interventions import intervention_record
from releasehub.audit.models import InterventionKind
from releasehub.audit.timeline import record_event
from releasehub.readiness import rules
from releasehub.readiness.errors import Conflict, ReadinessError, clean_text
from releasehub.readiness.evidence import current_of
from releasehub.readiness.models import GoNoGoDecision, SignOffDecision
from releasehub.readiness.panels import go_no_go_state
from releasehub.releases.clock import next_train_window
from releasehub.releases.models import Release
from releasehub.releases.services.lifecycle import (
    release_cancel,
    release_move,
    release_transition,
)

S = Release.Status


class NotReady(ReadinessError):
    """Go refused: sign-offs or the pre-release checklist are not complete."""

    def __init__(self, blockers: list[str]) -> None:
        self.blockers = blockers
        super().__init__(
            "Not ready for Go: " + "; ".join(blockers) + ". Record No-Go, or override with a "
            "reason."
        )


class Then:
    """What follows a No-Go."""

    MOVE = "move"
    CANCEL = "cancel"
    choices = [(MOVE, "Move to the next train"), (CANCEL, "Cancel the release")]


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
    if not rules.decides(actor):
        raise PermissionDenied("Only the Release Manager records the Go/No-Go decision.")
    # The release row lock serialises two RMs deciding at once; the second sees the new status.
    locked = Release.objects.select_for_update().get(pk=release.pk)
    if decision == SignOffDecision.GO:
        row = _decide_go(locked, actor, reason.strip(), override_reason.strip())
    elif decision == SignOffDecision.NO_GO:
        row = _decide_no_go(locked, actor, clean_text(reason, "A reason for No-Go"), then)
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
    row = evidence_append(
        GoNoGoDecision,
        conflict=Conflict("Another decision was recorded at the same moment; reload to see it."),
        at=timezone.now(),
        release=release,
        decision=SignOffDecision.GO,
        reason=override if blockers else note,
        overridden=bool(blockers),
        actor=actor,
        supersedes=_current_decision(release),
    )
    if blockers:
        intervention_record(
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
    release_transition(release=release, to=S.GO, actor=actor, reason=row.reason or "Go")
    return row


def _decide_no_go(release: Release, actor: User, reason: str, then: str) -> GoNoGoDecision:
    if release.status not in (S.PLANNED, S.FROZEN, S.GO):
        raise ReadinessError(f"{release.version} is {release.get_status_display()}; no No-Go now.")
    if then not in (Then.MOVE, Then.CANCEL):
        raise ReadinessError("Choose whether the release moves to the next train or is cancelled.")
    row = evidence_append(
        GoNoGoDecision,
        conflict=Conflict("Another decision was recorded at the same moment; reload to see it."),
        at=timezone.now(),
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
    release_transition(release=release, to=S.NO_GO, actor=actor, reason=reason)
    if then == Then.CANCEL:
        release_cancel(release=release, actor=actor, reason=f"No-Go: {reason}")
    else:
        start, end = next_train_window(release, now=timezone.now())
        release_move(
            release=release,
            window_start=start,
            window_end=end,
            actor=actor,
            reason=f"No-Go: {reason}",
        )
        release_transition(
            release=release,
            to=S.PLANNED,
            actor=actor,
            reason="Moved to the next train after No-Go",
        )
    return row
