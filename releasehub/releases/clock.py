"""A release's clock: every milestone derives from its window, so moving the window moves it all.

Times are aware datetimes in UTC in the database; the runbook speaks IST (Asia/Kolkata, +05:30,
no daylight saving), so calendar rules (Monday 18:00, Wednesday 10:00) are computed in IST.
"""

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from releasehub.releases.models import Release

IST = ZoneInfo("Asia/Kolkata")
UTC = dt.UTC

WINDOW_OPENS = dt.time(10, 0)
WINDOW_LENGTH = dt.timedelta(hours=2)
FREEZE_TIME = dt.time(18, 0)
PRE_RELEASE_CHECKLIST_BEFORE = dt.timedelta(hours=48)
PRE_RELEASE_MEETING_BEFORE = dt.timedelta(hours=24)
GO_NO_GO_BEFORE = dt.timedelta(minutes=30)
GO_NO_GO_REMINDER_BEFORE = dt.timedelta(minutes=60)
POST_RELEASE_WATCH = dt.timedelta(hours=24)
# The house format of a moment in messages, timeline summaries and pages: "Wed 02 Dec 2026, 10:00".
IST_FORMAT = "%a %d %b %Y, %H:%M"


def ist(moment: dt.datetime, fmt: str = IST_FORMAT) -> str:
    """`moment` as the runbook says it: in IST, named so ("Wed 02 Dec 2026, 10:00 IST")."""
    return f"{moment.astimezone(IST):{fmt}} IST"


def ist_datetime(day: dt.date, at: dt.time) -> dt.datetime:
    """`day` at `at` IST, as an aware UTC datetime."""
    return dt.datetime.combine(day, at, tzinfo=IST).astimezone(UTC)


def default_window(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = ist_datetime(day, WINDOW_OPENS)
    return start, start + WINDOW_LENGTH


def next_train_window(release: "Release", *, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The release's window on the next occurrence of its train (a fortnight without one), at
    the same IST time of day and of the same length, and after `now`."""
    length = release.window_end - release.window_start
    local = release.window_start.astimezone(IST)
    train = release.train
    step = dt.timedelta(days=train.interval_days if train else 14)
    day = local.date() + step
    if train:
        day = train.occurrences(local.date() + dt.timedelta(days=1), 1)[0]
    start = ist_datetime(day, local.time())
    while start <= now:
        start += step
    return start, start + length


def freeze_start(window_start: dt.datetime) -> dt.datetime:
    """The last Monday 18:00 IST strictly before the window opens."""
    local = window_start.astimezone(IST)
    monday = local.date() - dt.timedelta(days=local.weekday())
    candidate = ist_datetime(monday, FREEZE_TIME)
    if candidate >= window_start:
        candidate = ist_datetime(monday - dt.timedelta(days=7), FREEZE_TIME)
    return candidate


@dataclass(frozen=True)
class Milestone:
    key: str
    label: str
    at: dt.datetime


@dataclass(frozen=True)
class ReleaseClock:
    window_start: dt.datetime
    window_end: dt.datetime
    is_hotfix: bool = False

    @property
    def freeze_at(self) -> dt.datetime | None:
        return None if self.is_hotfix else freeze_start(self.window_start)

    @property
    def pre_release_due(self) -> dt.datetime:
        return self.window_start - PRE_RELEASE_CHECKLIST_BEFORE

    @property
    def pre_release_meeting(self) -> dt.datetime:
        return self.window_start - PRE_RELEASE_MEETING_BEFORE

    @property
    def go_no_go(self) -> dt.datetime:
        return self.window_start - GO_NO_GO_BEFORE

    @property
    def go_no_go_reminder(self) -> dt.datetime:
        return self.window_start - GO_NO_GO_REMINDER_BEFORE

    def milestones(self) -> list[Milestone]:
        """The regular release's milestones in time order (a hotfix has only its window)."""
        if self.is_hotfix:
            return [
                Milestone("window_start", "Hotfix window opens", self.window_start),
                Milestone("window_end", "Hotfix window closes", self.window_end),
            ]
        return [
            Milestone("pre_release_due", "Pre-release checklist due (T-48h)", self.pre_release_due),
            Milestone("freeze", "Code freeze starts", freeze_start(self.window_start)),
            Milestone(
                "pre_release_meeting", "Pre-release meeting (T-24h)", self.pre_release_meeting
            ),
            Milestone("go_no_go", "Go/No-Go", self.go_no_go),
            Milestone("window_start", "Release window opens", self.window_start),
            Milestone("window_end", "Release window closes", self.window_end),
        ]

    def next_milestone(self, now: dt.datetime) -> Milestone | None:
        return next((m for m in sorted(self.milestones(), key=lambda m: m.at) if m.at > now), None)
