"""Writes that change releases. Each runs in one transaction and records a timeline event."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.accounts.rota import next_release_manager
from releasehub.audit.timeline import record_event
from releasehub.releases.models import Release, Train
from releasehub.schedule.planning import replan

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


class TransitionError(Exception):
    """The release is not in a status the requested change can start from."""


def suggest_version(day: dt.date, kind: str = Release.Kind.REGULAR) -> str:
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
) -> Release:
    if release_manager is None:
        last = Release.objects.exclude(release_manager=None).order_by("-created_at", "-id").first()
        release_manager = next_release_manager(last.release_manager if last else None)
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
    record_event(
        verb="release.created",
        target=release,
        release=release,
        actor=actor,
        summary=f"{release.get_kind_display()} release {version} planned",
        after={"window_start": window_start.isoformat(), "rm": str(release_manager or "")},
    )
    replan(release)
    return release


@transaction.atomic
def release_transition(
    release: Release,
    to: str,
    *,
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
    fields = {"status": to}
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
    replan(release)
    return release
