"""Planning: which timed actions a release needs, written in the caller's transaction.

Callers (release created, moved, cancelled, completed, service promoted) call `replan()` after
changing the release; moving a release bumps `schedule_version` first, so every live row of an
older version is superseded and the new clock is planned. Nothing is ever revoked in the broker.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from releasehub.releases.clock import POST_RELEASE_WATCH
from releasehub.releases.models import Release
from releasehub.schedule.models import LIVE_STATUSES, ActionKind, ActionStatus, ScheduledAction

# Reminders later than this are skipped; the freeze has no grace: it always happens.
REMINDER_GRACE = dt.timedelta(hours=2)


def planned_actions(release: Release) -> list[tuple[str, dt.datetime, dt.timedelta | None]]:
    """(kind, due_at, grace) for the release's clock in its current status."""
    if release.status in (Release.Status.CANCELLED, Release.Status.ROLLED_BACK):
        return []
    if release.status == Release.Status.COMPLETED:
        return []
    if release.status == Release.Status.MONITORING:
        # Closing the watch moves the release on, so it is never skipped however late.
        watch_ends = release.completed_at + POST_RELEASE_WATCH
        return [(ActionKind.POST_RELEASE_WATCH_ENDS, watch_ends, None)]
    if release.is_hotfix:
        return []
    clock = release.clock
    return [
        (ActionKind.PRE_RELEASE_DUE, clock.pre_release_due, REMINDER_GRACE),
        (ActionKind.FREEZE, clock.freeze_at, None),
        (ActionKind.PRE_RELEASE_MEETING, clock.pre_release_meeting, REMINDER_GRACE),
        (ActionKind.GO_NO_GO_REMINDER, clock.go_no_go_reminder, dt.timedelta(minutes=30)),
        (ActionKind.GO_NO_GO_SUMMARY, clock.go_no_go, dt.timedelta(minutes=30)),
    ]


@transaction.atomic
def replan(release: Release) -> None:
    """Make the release's live actions match its clock, status and schedule version."""
    live = ScheduledAction.objects.filter(release=release, service=None, status__in=LIVE_STATUSES)
    live.exclude(schedule_version=release.schedule_version).update(
        status=ActionStatus.SUPERSEDED, finished_at=timezone.now()
    )
    wanted = {kind: (due, grace) for kind, due, grace in planned_actions(release)}
    current = live.filter(schedule_version=release.schedule_version)
    current.exclude(kind__in=list(wanted)).update(
        status=ActionStatus.CANCELLED, finished_at=timezone.now()
    )
    existing = set(
        ScheduledAction.objects.filter(
            release=release, service=None, schedule_version=release.schedule_version
        ).values_list("kind", flat=True)
    )
    ScheduledAction.objects.bulk_create(
        ScheduledAction(
            release=release,
            kind=kind,
            due_at=due,
            grace=grace,
            schedule_version=release.schedule_version,
        )
        for kind, (due, grace) in wanted.items()
        if kind not in existing
    )
