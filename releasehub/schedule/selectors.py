import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from releasehub.catalog.models import Service
from releasehub.releases.models import Release
from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction

# A row a healthy engine has not claimed this long after its due time is overdue (the sweeper
# runs every second, so anything older means beat or the workers are not running).
OVERDUE_AFTER = dt.timedelta(seconds=30)
PAGE_ROWS = 25  # rows per page of each list on the timed-actions page


def overdue_count(now: dt.datetime | None = None) -> int:
    """Pending actions whose due time has passed (the sweeper should have claimed them)."""
    now = now or timezone.now()
    return ScheduledAction.objects.filter(
        status=ActionStatus.PENDING, due_at__lt=now - OVERDUE_AFTER
    ).count()


def actions_for_release(release: Release) -> list[ScheduledAction]:
    """Every action of the release, live and past, oldest due first (1 query)."""
    return list(
        ScheduledAction.objects.filter(release=release)
        .select_related("service")
        .order_by("due_at", "id")
    )


def monitoring_window_closed(release: Release, service: Service) -> bool:
    """For the release-day code: has the service's latest monitoring window closed?"""
    latest = (
        ScheduledAction.objects.filter(
            release=release,
            service=service,
            kind=ActionKind.MONITORING_WINDOW_CLOSES,
            schedule_version=release.schedule_version,
        )
        .exclude(status__in=[ActionStatus.SUPERSEDED, ActionStatus.CANCELLED])
        .order_by("-sequence")
        .first()
    )
    return latest is not None and latest.status == ActionStatus.DONE


def overview(now: dt.datetime | None = None) -> dict[str, QuerySet[ScheduledAction]]:
    """The SRE page's lists across releases: overdue, upcoming and failed actions, unevaluated
    so that the page reads one page of each (2 queries a list: its count and its rows)."""
    now = now or timezone.now()
    base = ScheduledAction.objects.select_related("release", "service")
    pending = base.filter(status=ActionStatus.PENDING)
    return {
        "overdue": pending.filter(due_at__lt=now - OVERDUE_AFTER).order_by("due_at", "id"),
        "upcoming": pending.filter(due_at__gte=now - OVERDUE_AFTER).order_by("due_at", "id"),
        "failed": base.filter(status=ActionStatus.FAILED).order_by("-finished_at", "-id"),
    }
