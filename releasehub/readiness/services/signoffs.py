"""Go/No-Go sign-offs, one chain per squad and SRE, and which squads are involved at all."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from releasehub.accounts.models import Squad, User
from releasehub.audit.evidence import evidence_append
from releasehub.audit.timeline import record_event
from releasehub.readiness import rules
from releasehub.readiness.errors import Conflict, ReadinessError, clean_text
from releasehub.readiness.evidence import current_of
from releasehub.readiness.models import SignOff, SignOffDecision, SquadInvolvement
from releasehub.readiness.panels import SIGNING_STATUSES, Slot, slots, stale_before
from releasehub.releases.models import Release


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
    if not rules.signs_for(actor, slot):
        raise PermissionDenied(f"You cannot sign for {slot.label}.")
    if decision not in SignOffDecision.values:
        raise ReadinessError("Choose Go or No-Go.")
    comment = clean_text(comment, "A No-Go comment", required=decision == SignOffDecision.NO_GO)
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
    cut = stale_before(release)
    if current is not None and _same_sign_off(current, actor, decision, comment, cut):
        # A resubmission (double click, second tab) of the sign-off that stands: nothing new.
        return current
    row = evidence_append(
        SignOff,
        conflict=Conflict(
            f"Another sign-off for {slot.label} was recorded at the same moment; reload to see it."
        ),
        at=timezone.now(),
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
    current: SignOff, actor: User, decision: str, comment: str, cut: dt.datetime | None
) -> bool:
    same = (current.actor_id, current.decision, current.comment) == (actor.pk, decision, comment)
    return same and (cut is None or current.at > cut)


@transaction.atomic
def squad_involvement_set(
    *, release: Release, actor: User, squad: Squad, involved: bool, reason: str = ""
) -> SquadInvolvement:
    if not rules.decides(actor):
        raise PermissionDenied("Only the Release Manager marks squads not involved.")
    reason = clean_text(reason, "A reason", required=not involved)
    release = Release.objects.get(pk=release.pk)
    if release.status not in SIGNING_STATUSES:
        raise ReadinessError(f"{release.version} is {release.get_status_display()}.")
    current = current_of(SquadInvolvement.objects.filter(release=release, squad=squad))
    if (current.involved if current else True) == involved:
        raise ReadinessError(f"{squad} is already marked {'' if involved else 'not '}involved.")
    row = evidence_append(
        SquadInvolvement,
        conflict=Conflict(
            f"{squad}'s involvement was changed at the same moment; reload to see it."
        ),
        at=timezone.now(),
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
