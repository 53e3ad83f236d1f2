"""Planning: which timed actions exist, written in the caller's transaction.

Callers (release created, moved, cancelled, completed, service promoted, hotfix deployed, SEV-1
recorded) call these functions after changing the release, inside their own transaction, so an
action exists exactly when the change that causes it was committed. Moving a release bumps its
`schedule_version` first: every live row of an older version is superseded and the new clock is
planned. Nothing is ever revoked in the broker: a stale message finds its row no longer live.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from releasehub.catalog.models import Service
from releasehub.releases.clock import IST, POST_RELEASE_WATCH, ist_datetime
from releasehub.releases.models import Release
from releasehub.schedule.models import LIVE_STATUSES, ActionKind, ActionStatus, ScheduledAction

# Reminders later than this are skipped; the freeze has no grace: it always happens.
REMINDER_GRACE = dt.timedelta(hours=2)
GO_NO_GO_GRACE = dt.timedelta(minutes=30)
# A quarterly or post-incident review is still worth asking for days late.
REVIEW_GRACE = dt.timedelta(days=7)
BACK_MERGE_EVERY = dt.timedelta(hours=4)
RUNBOOK_REVIEW_AT = dt.time(10, 0)
# Health gates: a window's rules each minute, the watch's every 10; a check later than its
# grace is pointless (the next one is due), so it is skipped.
HEALTH_CHECK_EVERY = dt.timedelta(minutes=1)
WATCH_HEALTH_CHECK_EVERY = dt.timedelta(minutes=10)
HEALTH_CHECK_GRACE = dt.timedelta(minutes=5)

# The kinds `replan()` derives from the release's clock and status. The others are planned by
# an event (a promotion, a hotfix deploy, an incident) and only a move or a cancel touches them.
CLOCK_KINDS = (
    ActionKind.PRE_RELEASE_DUE,
    ActionKind.FREEZE,
    ActionKind.PRE_RELEASE_MEETING,
    ActionKind.GO_NO_GO_REMINDER,
    ActionKind.GO_NO_GO_SUMMARY,
    ActionKind.POST_RELEASE_WATCH_ENDS,
)
# A review of the runbook after a SEV-1 is owed even when the release was rolled back.
KINDS_A_RELEASE_CANNOT_CANCEL = (ActionKind.RUNBOOK_REVIEW,)


def monitoring_window() -> dt.timedelta:
    """The watch after each production promotion (MONITORING_WINDOW_MINUTES; runbook: 15)."""
    return dt.timedelta(minutes=settings.MONITORING_WINDOW_MINUTES)


def planned_actions(release: Release) -> list[tuple[str, dt.datetime, dt.timedelta | None]]:
    """(kind, due_at, grace) for the release's clock in its current status."""
    if release.status in (Release.Status.CANCELLED, Release.Status.ROLLED_BACK):
        return []
    if release.status == Release.Status.COMPLETED:
        return []
    if release.status == Release.Status.MONITORING:
        # Closing the watch moves the release on, so it is never skipped however late.
        completed_at = release.completed_at or timezone.now()  # set by the same transition
        return [(ActionKind.POST_RELEASE_WATCH_ENDS, completed_at + POST_RELEASE_WATCH, None)]
    if release.is_hotfix:
        return []
    clock = release.clock
    milestones = [
        (ActionKind.PRE_RELEASE_DUE, clock.pre_release_due, REMINDER_GRACE),
        (ActionKind.FREEZE, clock.freeze_at, None),
        (ActionKind.PRE_RELEASE_MEETING, clock.pre_release_meeting, REMINDER_GRACE),
        (ActionKind.GO_NO_GO_REMINDER, clock.go_no_go_reminder, GO_NO_GO_GRACE),
        (ActionKind.GO_NO_GO_SUMMARY, clock.go_no_go, GO_NO_GO_GRACE),
    ]
    # A milestone the release does not have (no freeze) is not planned.
    return [(kind, due, grace) for kind, due, grace in milestones if due is not None]


def _lock(release: Release) -> None:
    # Releases are always locked before their actions (the executor does the same), so a
    # planner and an executor of the same release queue up instead of deadlocking.
    Release.objects.select_for_update().filter(pk=release.pk).exists()


@transaction.atomic
def replan(release: Release) -> None:
    """Make the release's live actions match its clock, status and schedule version."""
    _lock(release)
    now = timezone.now()
    live = ScheduledAction.objects.filter(release=release, status__in=LIVE_STATUSES).exclude(
        kind__in=KINDS_A_RELEASE_CANNOT_CANCEL
    )
    live.exclude(schedule_version=release.schedule_version).update(
        status=ActionStatus.SUPERSEDED, finished_at=now, lease_expires_at=None
    )
    if release.status in (Release.Status.CANCELLED, Release.Status.ROLLED_BACK):
        live.update(status=ActionStatus.CANCELLED, finished_at=now, lease_expires_at=None)
        return
    wanted = {kind: (due, grace) for kind, due, grace in planned_actions(release)}
    live.filter(kind__in=CLOCK_KINDS).exclude(kind__in=list(wanted)).update(
        status=ActionStatus.CANCELLED, finished_at=now, lease_expires_at=None
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


def _next_sequence(release: Release, kind: str, service: Service | None = None) -> int:
    last = ScheduledAction.objects.filter(
        release=release, kind=kind, service=service, schedule_version=release.schedule_version
    ).aggregate(last=Max("sequence"))["last"]
    return 0 if last is None else last + 1


@transaction.atomic
def plan_monitoring_window(
    release: Release, service: Service, promoted_at: dt.datetime
) -> ScheduledAction:
    """Service promoted to production: its 15-minute watch closes at `promoted_at + 15 min`.

    The release-day code records the promotion and calls this in the same transaction; a
    re-promotion of the same service replaces the earlier, still running, window.
    """
    _lock(release)
    ScheduledAction.objects.filter(
        release=release,
        service=service,
        kind=ActionKind.MONITORING_WINDOW_CLOSES,
        status__in=LIVE_STATUSES,
    ).update(status=ActionStatus.SUPERSEDED, finished_at=timezone.now(), lease_expires_at=None)
    return ScheduledAction.objects.create(
        release=release,
        service=service,
        kind=ActionKind.MONITORING_WINDOW_CLOSES,
        due_at=promoted_at + monitoring_window(),
        grace=None,  # a gate, not a reminder: the next promotion waits for it
        schedule_version=release.schedule_version,
        sequence=_next_sequence(release, ActionKind.MONITORING_WINDOW_CLOSES, service),
    )


@transaction.atomic
def plan_health_checks(
    release: Release, service: Service, promoted_at: dt.datetime
) -> list[ScheduledAction]:
    """Health gates: evaluate the service's rules each minute of its window (the window's
    close judges it). A re-promotion supersedes the checks of the earlier window."""
    _lock(release)
    ScheduledAction.objects.filter(
        release=release, service=service, kind=ActionKind.HEALTH_CHECK, status__in=LIVE_STATUSES
    ).update(status=ActionStatus.SUPERSEDED, finished_at=timezone.now(), lease_expires_at=None)
    first = _next_sequence(release, ActionKind.HEALTH_CHECK, service)
    closes_at = promoted_at + monitoring_window()
    dues = []
    due = promoted_at + HEALTH_CHECK_EVERY
    while due < closes_at:
        dues.append(due)
        due += HEALTH_CHECK_EVERY
    return ScheduledAction.objects.bulk_create(
        ScheduledAction(
            release=release,
            service=service,
            kind=ActionKind.HEALTH_CHECK,
            due_at=due,
            grace=HEALTH_CHECK_GRACE,
            schedule_version=release.schedule_version,
            sequence=first + i,
        )
        for i, due in enumerate(dues)
    )


def plan_health_check(
    release: Release, service: Service | None, due_at: dt.datetime, *, note: str = ""
) -> ScheduledAction:
    """One more check, in the caller's transaction (the release is locked): a service's retry
    after a close that could not judge (service), or the watch's next (no service)."""
    kind = ActionKind.HEALTH_CHECK if service else ActionKind.WATCH_HEALTH_CHECK
    return ScheduledAction.objects.create(
        release=release,
        service=service,
        kind=kind,
        due_at=due_at,
        grace=HEALTH_CHECK_GRACE,
        schedule_version=release.schedule_version,
        sequence=_next_sequence(release, kind, service),
        note=note,
    )


@transaction.atomic
def plan_back_merge_reminders(
    release: Release, *, deployed_at: dt.datetime | None = None
) -> ScheduledAction:
    """Hotfix deployed: the back-merge is due now; remind every 4 hours until it is confirmed.

    Only the next reminder exists as a row; firing it plans the one after (see effects), so
    `stop_back_merge_reminders()` on confirmation is one update.
    """
    _lock(release)
    stop_back_merge_reminders(release)
    return ScheduledAction.objects.create(
        release=release,
        kind=ActionKind.BACK_MERGE_REMINDER,
        due_at=(deployed_at or timezone.now()) + BACK_MERGE_EVERY,
        grace=REMINDER_GRACE,
        schedule_version=release.schedule_version,
        sequence=_next_sequence(release, ActionKind.BACK_MERGE_REMINDER),
    )


def plan_next_back_merge_reminder(action: ScheduledAction, now: dt.datetime) -> ScheduledAction:
    """The reminder after `action`: 4 hours on, or the first such slot still ahead of `now`."""
    due = action.due_at + BACK_MERGE_EVERY
    while due <= now:
        due += BACK_MERGE_EVERY
    return ScheduledAction.objects.create(
        release=action.release,
        kind=ActionKind.BACK_MERGE_REMINDER,
        due_at=due,
        grace=action.grace,
        schedule_version=action.schedule_version,
        sequence=action.sequence + 1,
    )


def stop_back_merge_reminders(release: Release) -> int:
    """The back-merge was confirmed: cancel the pending reminder (the chain ends with it)."""
    return ScheduledAction.objects.filter(
        release=release, kind=ActionKind.BACK_MERGE_REMINDER, status__in=LIVE_STATUSES
    ).update(status=ActionStatus.CANCELLED, finished_at=timezone.now(), lease_expires_at=None)


@transaction.atomic
def plan_runbook_review(
    *, release: Release, due_at: dt.datetime | None = None, note: str = ""
) -> ScheduledAction:
    """A SEV-1 incident caused by `release` was recorded: ask for a runbook review now."""
    _lock(release)
    return ScheduledAction.objects.create(
        release=release,
        kind=ActionKind.RUNBOOK_REVIEW,
        due_at=due_at or timezone.now(),
        grace=REVIEW_GRACE,
        schedule_version=release.schedule_version,
        sequence=_next_sequence(release, ActionKind.RUNBOOK_REVIEW),
        note=note,
    )


def next_quarter_start(now: dt.datetime) -> dt.datetime:
    """The first day of the next calendar quarter, 10:00 IST, strictly after `now`."""
    local = now.astimezone(IST)
    month = 3 * ((local.month - 1) // 3) + 4
    year = local.year + (month > 12)
    month = month - 12 if month > 12 else month
    return ist_datetime(dt.date(year, month, 1), RUNBOOK_REVIEW_AT)


def ensure_quarterly_runbook_review(now: dt.datetime | None = None) -> bool:
    """Keep the next quarter's review planned (the recovery sweep calls this every few seconds).

    The row has no release and a unique (kind, due_at), so concurrent sweeps insert it once.
    Returns whether the row was missing.
    """
    due = next_quarter_start(now or timezone.now())
    rows = ScheduledAction.objects.filter(kind=ActionKind.RUNBOOK_REVIEW, release=None, due_at=due)
    if rows.exists():
        return False
    ScheduledAction.objects.bulk_create(
        [ScheduledAction(kind=ActionKind.RUNBOOK_REVIEW, due_at=due, grace=REVIEW_GRACE)],
        ignore_conflicts=True,
    )
    return True
