"""A release's life: planned (by hand or by its train), its status changes, moved, cancelled or
skipped, handed over to another RM."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from releasehub.accounts.models import RotaMember, User
from releasehub.accounts.rota import next_release_manager
from releasehub.audit.timeline import record_event
from releasehub.core.errors import ServiceError
from releasehub.releases.clock import IST, default_window, ist
from releasehub.releases.hooks import Change, announce
from releasehub.releases.models import (
    MOVABLE_STATUSES,
    FollowUp,
    Hotfix,
    HotfixFollowUp,
    Release,
    Train,
)

S = Release.Status

# Which status may follow which. Anything else is a programming or a user error.
TRANSITIONS: dict[str, set[str]] = {
    S.PLANNED: {S.FROZEN, S.GO, S.NO_GO, S.DEPLOYING, S.CANCELLED},
    S.FROZEN: {S.PLANNED, S.GO, S.NO_GO, S.CANCELLED},
    S.GO: {S.DEPLOYING, S.NO_GO, S.CANCELLED},
    S.NO_GO: {S.PLANNED, S.CANCELLED},
    S.DEPLOYING: {S.VERIFYING, S.ROLLED_BACK},
    S.VERIFYING: {S.MONITORING, S.COMPLETED, S.ROLLED_BACK},
    S.MONITORING: {S.COMPLETED, S.ROLLED_BACK},
    S.COMPLETED: {S.ROLLED_BACK},
    S.ROLLED_BACK: set(),
    S.CANCELLED: set(),
}


class TransitionError(ServiceError):
    """The release is not in a status the requested change can start from."""


def lock_open(release: Release) -> Release:
    """The release, locked for this transaction; refused once its scope is closed. The lock
    serialises every scope write and decision of the release."""
    locked = Release.objects.select_for_update().get(pk=release.pk)
    if not locked.is_open:
        raise ServiceError(f"{locked.version} is {locked.get_status_display()}; scope is closed.")
    return locked


def version_suggest(*, day: dt.date, kind: str = Release.Kind.REGULAR) -> str:
    """`2026.12.02` for a train date; hotfixes add `-hf1`, `-hf2`, ... to the day."""
    base = day.strftime("%Y.%m.%d")
    if kind == Release.Kind.REGULAR:
        return base
    taken = Release.objects.filter(version__startswith=f"{base}-hf").count()
    return f"{base}-hf{taken + 1}"


@transaction.atomic
def release_create(
    *,
    version: str,
    window_start: dt.datetime,
    window_end: dt.datetime,
    actor: User | None,
    kind: str = Release.Kind.REGULAR,
    train: Train | None = None,
    train_date: dt.date | None = None,
    release_manager: User | None = None,
    summary: str = "",
    at: dt.datetime | None = None,
) -> Release:
    if window_end <= window_start:
        raise ServiceError("The window must end after it starts.")
    if Release.objects.filter(version=version).exists():
        raise ServiceError(f"Version {version} already exists.")
    if train and Release.objects.filter(train=train, train_date=train_date).exists():
        raise ServiceError(f"The train already has a release for {train_date:%d %b %Y}.")
    if release_manager is None:
        last = Release.objects.exclude(release_manager=None).order_by("-created_at", "-id").first()
        release_manager = next_release_manager(last.release_manager if last else None)
    try:
        with transaction.atomic():
            release = Release.objects.create(
                version=version,
                kind=kind,
                window_start=window_start,
                window_end=window_end,
                train=train,
                train_date=train_date,
                release_manager=release_manager,
                summary=summary,
            )
    except IntegrityError:
        # Two people created the same version at once; the first one stands.
        raise ServiceError(f"Version {version} already exists.") from None
    record_event(
        verb="release.created",
        target=release,
        release=release,
        actor=actor,
        summary=f"{release.get_kind_display()} release {version} planned",
        after={"window_start": window_start.isoformat(), "rm": str(release_manager or "")},
        occurred_at=at,
    )
    announce(Change.CLOCK, release)
    announce(Change.CREATED, release)
    return release


@transaction.atomic
def release_transition(
    *,
    release: Release,
    to: str,
    actor: User | None,
    reason: str = "",
    at: dt.datetime | None = None,
) -> Release:
    """Move `release` to status `to`, guarded so that two concurrent requests change it once."""
    before = Release.objects.select_for_update().get(pk=release.pk)
    if to not in TRANSITIONS[before.status]:
        raise TransitionError(
            f"{release.version} is {before.get_status_display()}; it cannot become "
            f"{Release.Status(to).label}."
        )
    if before.is_hotfix and to != S.CANCELLED and before.status == S.PLANNED:
        hotfix = Hotfix.objects.filter(release=before).select_related("approval").first()
        # A hotfix requested through ReleaseHub waits for the RM; rows without a request are
        # history imported as already approved.
        if hotfix is not None and not hotfix.is_approved:
            raise TransitionError(f"Hotfix {release.version} cannot proceed before RM approval.")
    fields: dict[str, object] = {"status": to}
    if to in (S.MONITORING, S.COMPLETED) and before.completed_at is None:
        # Deployment and verification are done: the 24-hour post-release watch starts here.
        fields["completed_at"] = at or timezone.now()
    Release.objects.filter(pk=release.pk).update(**fields)
    for name, value in fields.items():
        setattr(release, name, value)
    record_event(
        verb="release.status",
        target=release,
        release=release,
        actor=actor,
        summary=f"{release.version}: {before.get_status_display()} → {Release.Status(to).label}",
        reason=reason,
        before={"status": before.status},
        after={"status": to},
        occurred_at=at,
    )
    announce(Change.CLOCK, release)
    if release.is_hotfix and to == S.VERIFYING:
        # Deployed: the back-merge into main is due now, reminded every 4 hours until confirmed.
        back_merged = HotfixFollowUp.objects.filter(
            hotfix__release=release, kind=FollowUp.BACK_MERGE
        ).exists()
        if not back_merged:
            announce(Change.HOTFIX_DEPLOYED, release, deployed_at=at)
    return release


def release_freeze(*, release: Release, actor: User | None = None) -> Release:
    """Monday 18:00 IST: the timed-action engine calls this (tests may call it directly)."""
    return release_transition(
        release=release,
        to=S.FROZEN,
        actor=actor,
        reason="Code freeze (Monday 18:00 IST before the window)",
    )


def _check_window(window_start: dt.datetime, window_end: dt.datetime) -> None:
    if window_end <= window_start:
        raise ServiceError("The window must end after it starts.")
    if window_start <= timezone.now():
        raise ServiceError("The window must start in the future.")


@transaction.atomic
def release_move(
    *,
    release: Release,
    window_start: dt.datetime,
    window_end: dt.datetime,
    actor: User,
    reason: str,
) -> Release:
    """Move the window and with it the whole clock: bump schedule_version, then replan."""
    if not reason.strip():
        raise ServiceError("Give a reason for moving the release.")
    _check_window(window_start, window_end)
    old = Release.objects.select_for_update().get(pk=release.pk)
    if old.status not in MOVABLE_STATUSES:
        raise TransitionError(f"{old.version} is {old.get_status_display()}; it cannot move.")
    changed = Release.objects.filter(pk=old.pk, schedule_version=old.schedule_version).update(
        window_start=window_start,
        window_end=window_end,
        schedule_version=old.schedule_version + 1,
    )
    if changed != 1:
        raise ServiceError("The release changed meanwhile; reload and try again.")
    release.refresh_from_db()
    record_event(
        verb="release.moved",
        target=release,
        release=release,
        actor=actor,
        summary=f"{release.version} moved from {ist(old.window_start)} to {ist(window_start)}",
        reason=reason,
        before={
            "window_start": old.window_start.isoformat(),
            "window_end": old.window_end.isoformat(),
        },
        after={"window_start": window_start.isoformat(), "window_end": window_end.isoformat()},
    )
    announce(Change.CLOCK, release)
    freeze_at = release.freeze_at
    if release.status == S.FROZEN and freeze_at is not None and timezone.now() < freeze_at:
        # Moved past its freeze: scope opens again until the new Monday 18:00.
        release_transition(
            release=release, to=S.PLANNED, actor=actor, reason="Moved before its new freeze"
        )
    return release


def release_cancel(*, release: Release, actor: User, reason: str, skip: bool = False) -> Release:
    """Cancel a release, or skip one train occurrence (the train goes on from the next one)."""
    if not reason.strip():
        raise ServiceError("Give a reason.")
    label = "Skipped this train occurrence" if skip else "Cancelled"
    with transaction.atomic():
        release_transition(
            release=release, to=S.CANCELLED, actor=actor, reason=f"{label}: {reason.strip()}"
        )
        if release.train is not None:
            train_fill(train=release.train, actor=actor)
    return release


@transaction.atomic
def release_handover(*, release: Release, to: User, actor: User, reason: str = "") -> Release:
    if not RotaMember.objects.filter(user=to, active=True).exists():
        raise ServiceError(f"{to} is not on the Release Manager rota.")
    locked = Release.objects.select_for_update().get(pk=release.pk)
    if locked.release_manager_id == to.pk:
        raise ServiceError(f"{to} is already the Release Manager of {locked.version}.")
    Release.objects.filter(pk=locked.pk).update(release_manager=to)
    record_event(
        verb="release.handover",
        target=release,
        release=release,
        actor=actor,
        summary=f"{locked.version}: RM handed over from {locked.release_manager} to {to}",
        reason=reason,
        before={"rm": str(locked.release_manager or "")},
        after={"rm": str(to)},
    )
    release.release_manager = to
    return release


# Trains ------------------------------------------------------------------------------------

TRAIN_HORIZON = 4


def train_next_occurrences(*, train: Train, count: int = 1) -> list[dt.date]:
    """The next `count` occurrences whose window is still ahead and that have no release yet
    (a skipped or cancelled occurrence keeps its release row, so it is not offered again)."""
    now = timezone.now()
    taken = set(
        Release.objects.filter(
            train=train, train_date__gte=now.date() - dt.timedelta(days=1)
        ).values_list("train_date", flat=True)
    )
    found: list[dt.date] = []
    for day in train.occurrences(now.astimezone(IST).date(), count + len(taken) + 1):
        if day not in taken and default_window(day)[0] > now:
            found.append(day)
        if len(found) == count:
            break
    return found


@transaction.atomic
def train_fill(*, train: Train, actor: User | None = None) -> list[Release]:
    """Keep the next four occurrences planned: create what is missing, with suggested versions."""
    if not train.active:
        return []
    now = timezone.now()
    planned = Release.objects.filter(
        train=train, status__in=Release.OPEN_STATUSES, window_start__gt=now
    ).count()
    created = []
    for day in train_next_occurrences(train=train, count=max(TRAIN_HORIZON - planned, 0)):
        version = version_suggest(day=day)
        if Release.objects.filter(version=version).exists():
            continue
        start, end = default_window(day)
        created.append(
            release_create(
                version=version,
                window_start=start,
                window_end=end,
                actor=actor,
                train=train,
                train_date=day,
                summary=f"{train.name}: {day:%d %b %Y}",
            )
        )
    return created
