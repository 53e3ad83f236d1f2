import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from releasehub.releases.clock import IST, default_window
from releasehub.releases.models import Release
from releasehub.releases.selectors import month_calendar
from releasehub.releases.services.lifecycle import release_move
from tests.factories import ReleaseFactory, rm

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


@pytest.fixture
def december():
    start, end = default_window(dt.date(2026, 12, 2))
    regular = ReleaseFactory(version="2026.12.02", window_start=start, window_end=end)
    hotfix_start = dt.datetime(2026, 12, 10, 15, 0, tzinfo=IST)
    hotfix = ReleaseFactory(
        version="2026.12.10-hf1",
        kind=Release.Kind.HOTFIX,
        window_start=hotfix_start,
        window_end=hotfix_start + dt.timedelta(hours=1),
    )
    start, end = default_window(dt.date(2026, 12, 16))
    ReleaseFactory(version="2026.12.16", window_start=start, window_end=end, status="cancelled")
    return regular, hotfix


def _day(weeks, day):
    return next(d for week in weeks for d in week if d.day == day)


def test_the_month_shows_every_milestone_of_the_worked_example_in_ist(december):
    weeks, events = month_calendar(2026, 12)
    monday = _day(weeks, dt.date(2026, 11, 30))
    assert [(e.kind, e.local.strftime("%H:%M")) for e in monday.events] == [
        ("t48", "10:00"),
        ("freeze", "18:00"),
    ]
    assert [
        (e.kind, e.local.strftime("%H:%M")) for e in _day(weeks, dt.date(2026, 12, 1)).events
    ] == [("t24", "10:00")]
    wednesday = _day(weeks, dt.date(2026, 12, 2)).events
    assert [(e.kind, e.local.strftime("%H:%M")) for e in wednesday] == [
        ("gonogo", "09:30"),
        ("window", "10:00"),
    ]
    assert _day(weeks, dt.date(2026, 12, 1)).frozen
    assert not _day(weeks, dt.date(2026, 12, 3)).frozen
    hotfix_day = _day(weeks, dt.date(2026, 12, 10))
    assert [e.label for e in hotfix_day.events] == ["Hotfix 2026.12.10-hf1 window"]
    # The cancelled release is not on the calendar; November's freeze is outside the list.
    assert not any(e.release.version == "2026.12.16" for e in events)
    assert events[0].at.astimezone(IST).date() == dt.date(2026, 12, 1)


def test_the_calendar_page_has_a_grid_a_list_and_month_navigation(client, december):
    client.force_login(rm())
    html = client.get(reverse("releases:calendar") + "?month=2026-12").content.decode()
    assert "December 2026" in html
    assert "?month=2026-11" in html and "?month=2027-01" in html
    assert 'class="month-list"' in html and 'class="month"' in html
    assert "09:30 Go/No-Go 2026.12.02" in html
    partial = client.get(
        reverse("releases:calendar") + "?month=2027-01", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert partial.lstrip().startswith('<div id="calendar">') and "January 2027" in partial


def test_a_moved_release_moves_on_the_calendar(december):
    regular, _ = december
    start, end = default_window(dt.date(2026, 12, 9))
    with time_machine.travel(dt.datetime(2026, 11, 27, tzinfo=IST), tick=False):
        release_move(release=regular, window_start=start, window_end=end, actor=rm(), reason="Late")
    weeks, _ = month_calendar(2026, 12)
    assert [e.kind for e in _day(weeks, dt.date(2026, 12, 9)).events] == ["gonogo", "window"]
    assert [e.kind for e in _day(weeks, dt.date(2026, 12, 7)).events] == ["t48", "freeze"]
    assert not _day(weeks, dt.date(2026, 12, 2)).events
