import datetime as dt

import icalendar
import pytest
from django.urls import reverse

from releasehub.feeds.services import feed_token_create
from releasehub.releases.models import Release
from tests.factories import ReleaseFactory

UTC = dt.UTC
# DESIGN.md's example: the window opens 2026-12-02 10:00 IST = 04:30 UTC.
WINDOW = dt.datetime(2026, 12, 2, 4, 30, tzinfo=UTC)


def design_release(**kwargs) -> Release:
    kwargs.setdefault("version", "2026.12")
    return ReleaseFactory(window_start=WINDOW, window_end=WINDOW + dt.timedelta(hours=2), **kwargs)


def feed_path(secret: str, which: str = "train") -> str:
    return reverse(f"feeds:{which}", kwargs={"secret": secret})


def parse(body: bytes) -> icalendar.Calendar:
    calendar = icalendar.Calendar.from_ical(body)
    assert not calendar.errors, calendar.errors
    return calendar


def events(calendar: icalendar.Calendar) -> dict[str, icalendar.Event]:
    """VEVENTs by UID."""
    found = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert len(found) == len(calendar.walk("VEVENT")), "UIDs repeat"
    return found


def utc(event: icalendar.Event, name: str = "DTSTART") -> dt.datetime:
    return event[name].dt.astimezone(UTC)


@pytest.fixture
def fetch(client):
    """GET a feed with no session and return it parsed (asserting a 200 ICS answer)."""

    def get(secret: str, which: str = "train") -> icalendar.Calendar:
        client.logout()
        response = client.get(feed_path(secret, which))
        assert response.status_code == 200, response.content[:300]
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        return parse(response.content)

    return get


@pytest.fixture
def secret_for():
    def make(user) -> str:
        return feed_token_create(user=user)

    return make
