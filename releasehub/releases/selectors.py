"""Reads for the pages. Each loads a fixed number of queries whatever the number of releases."""

import calendar
import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from releasehub.accounts.models import Role, User
from releasehub.catalog.models import FrontendApp, Service
from releasehub.releases.clock import IST, Milestone
from releasehub.releases.models import (
    FreezeException,
    Hotfix,
    Release,
    RollbackPlan,
    ScopeTicket,
)


def with_scope(queryset: QuerySet[Release], *, tickets: bool = True) -> QuerySet[Release]:
    """Releases with everything their ticket page and the dashboard show, prefetched (without
    the tickets and rollback plans for a page that shows neither)."""
    scope = [
        Prefetch(
            "tickets",
            queryset=ScopeTicket.objects.select_related("squad", "added_by").prefetch_related(
                "services", "apps"
            ),
        ),
        Prefetch(
            "rollback_plans",
            queryset=RollbackPlan.objects.select_related("service", "app", "updated_by"),
        ),
    ]
    return queryset.select_related(
        "release_manager",
        "train",
        "hotfix__supervising_sre",
        "hotfix__requested_by",
        "hotfix__approval__decided_by",
    ).prefetch_related(
        *(scope if tickets else []),
        Prefetch(
            "exceptions",
            queryset=FreezeException.objects.select_related("requested_by", "decision__decided_by"),
        ),
        "hotfix__follow_ups__confirmed_by",
        "hotfix__services",
        "hotfix__apps",
    )


def changed_components(release: Release) -> list[Service | FrontendApp]:
    """Services (in promotion order), then apps, that the release's tickets change."""
    services: dict[int, Service] = {}
    apps: dict[int, FrontendApp] = {}
    for ticket in release.tickets.all():
        services.update((s.pk, s) for s in ticket.services.all())
        apps.update((a.pk, a) for a in ticket.apps.all())
    return sorted(services.values(), key=lambda s: s.promotion_order) + sorted(
        apps.values(), key=lambda a: (a.display_order, a.slug)
    )


def missing_plans(release: Release) -> list[Service | FrontendApp]:
    planned = {("s", p.service_id) for p in release.rollback_plans.all() if p.service_id} | {
        ("a", p.app_id) for p in release.rollback_plans.all() if p.app_id
    }
    return [
        c
        for c in changed_components(release)
        if (("s" if isinstance(c, Service) else "a"), c.pk) not in planned
    ]


@dataclass
class ScopeProblems:
    unmerged: list[ScopeTicket] = field(default_factory=list)
    failing: list[ScopeTicket] = field(default_factory=list)
    missing_plans: list = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.unmerged or self.failing or self.missing_plans)


def scope_problems(release: Release) -> ScopeProblems:
    tickets = list(release.tickets.all())
    return ScopeProblems(
        unmerged=[t for t in tickets if not t.merged],
        failing=[t for t in tickets if not t.ci_passing],
        missing_plans=missing_plans(release),
    )


def pending_exceptions(release: Release) -> list[FreezeException]:
    return [e for e in release.exceptions.all() if e.is_pending]


def next_milestone(release: Release, now: dt.datetime) -> Milestone | None:
    return release.clock.next_milestone(now) if release.is_open else None


@dataclass
class Approval:
    """Something waiting for the logged-in user's decision."""

    release: Release
    what: str
    anchor: str


def pending_approvals_for(user: User) -> list[Approval]:
    """Freeze exceptions and hotfixes waiting for an RM (never the requester's own)."""
    if not user.has_role(Role.RELEASE_MANAGER):
        return []
    exceptions = (
        FreezeException.objects.filter(
            decision__isnull=True, release__status__in=Release.OPEN_STATUSES
        )
        .exclude(requested_by=user)
        .select_related("release")
        .order_by("requested_at")
    )
    hotfixes = (
        Hotfix.objects.filter(approval__isnull=True, release__status=Release.Status.PLANNED)
        .exclude(requested_by=user)
        .select_related("release")
        .order_by("requested_at")
    )
    return [
        Approval(e.release, f"Freeze exception: {', '.join(e.keys)}", "freeze-exceptions")
        for e in exceptions
    ] + [Approval(h.release, f"Hotfix: {h.problem[:80]}", "hotfix") for h in hotfixes]


# Calendar ----------------------------------------------------------------------------------


@dataclass
class CalendarEvent:
    at: dt.datetime
    kind: str
    label: str
    release: Release

    @property
    def local(self) -> dt.datetime:
        return self.at.astimezone(IST)


@dataclass
class CalendarDay:
    day: dt.date
    in_month: bool
    frozen: bool = False
    events: list[CalendarEvent] = field(default_factory=list)


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    first = dt.datetime(year, month, 1, tzinfo=IST)
    last_day = calendar.monthrange(year, month)[1]
    return first, dt.datetime(year, month, last_day, tzinfo=IST) + dt.timedelta(days=1)


def release_events(release: Release) -> list[CalendarEvent]:
    clock = release.clock
    name = f"{'Hotfix ' if release.is_hotfix else ''}{release.version}"
    events = [CalendarEvent(clock.window_start, "window", f"{name} window", release)]
    freeze_at = clock.freeze_at
    if freeze_at is not None:  # a hotfix has only its window
        events = [
            CalendarEvent(clock.pre_release_due, "t48", f"T-48h {name}", release),
            CalendarEvent(freeze_at, "freeze", f"Freeze {name}", release),
            CalendarEvent(clock.pre_release_meeting, "t24", f"T-24h {name}", release),
            CalendarEvent(clock.go_no_go, "gonogo", f"Go/No-Go {name}", release),
            *events,
        ]
    return events


def month_calendar(year: int, month: int) -> tuple[list[list[CalendarDay]], list[CalendarEvent]]:
    """Weeks (Monday first) of days with their events, and the month's events as one list."""
    start, end = month_bounds(year, month)
    # A freeze starts up to nine days before its window: look a little beyond the month.
    releases = list(
        Release.objects.filter(
            window_start__gte=start - dt.timedelta(days=3),
            window_start__lt=end + dt.timedelta(days=10),
        )
        .exclude(status=Release.Status.CANCELLED)
        .order_by("window_start")
    )
    events = sorted(
        (e for r in releases for e in release_events(r)), key=lambda e: (e.at, e.release.pk)
    )
    frozen_days: set[dt.date] = set()
    for release in releases:
        freeze_at = release.freeze_at
        if freeze_at is None:  # a hotfix
            continue
        day = freeze_at.astimezone(IST).date()
        while day <= release.window_start.astimezone(IST).date():
            frozen_days.add(day)
            day += dt.timedelta(days=1)
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        days = []
        for day in week:
            days.append(
                CalendarDay(
                    day=day,
                    in_month=day.month == month,
                    frozen=day in frozen_days,
                    events=[e for e in events if e.local.date() == day],
                )
            )
        weeks.append(days)
    in_month = [e for e in events if start <= e.at < end]
    return weeks, in_month


def with_scope_of(release: Release) -> Release:
    """`release` again with its scope prefetched (for a form that needs the components)."""
    return with_scope(Release.objects.filter(pk=release.pk)).get()
