"""The release train as an ICS feed: the clock's milestones, stable UIDs, moves and cancels."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from releasehub.feeds.models import FeedToken
from releasehub.releases.clock import IST
from releasehub.releases.models import Release
from releasehub.releases.services.lifecycle import release_cancel, release_move
from tests.factories import ReleaseFactory, rm
from tests.feeds.conftest import UTC, WINDOW, design_release, events, feed_path, utc

pytestmark = pytest.mark.django_db


def _at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_every_event_has_uid_dtstamp_and_a_start_in_ist(fetch, secret_for):
    design_release()
    ReleaseFactory(
        version="2026.12.1",
        kind=Release.Kind.HOTFIX,
        window_start=WINDOW + dt.timedelta(days=1),
        window_end=WINDOW + dt.timedelta(days=1, hours=1),
    )
    calendar = fetch(secret_for(rm()))
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Kolkata"]
    found = calendar.walk("VEVENT")
    assert len(found) == 5 + 1  # the regular release's five events, the hotfix's window
    for event in found:
        assert event["UID"] and event["DTSTAMP"].dt.tzinfo is not None
        assert event["DTSTART"].params["TZID"] == "Asia/Kolkata"
        assert event["DTSTART"].dt.utcoffset() == dt.timedelta(hours=5, minutes=30)
        assert event["DTSTAMP"].dt.utcoffset() == dt.timedelta(0)  # RFC 5545: in UTC
        assert event["URL"].startswith("http") and "/releases/" in event["URL"]
        assert event["URL"] in event["DESCRIPTION"]


def test_the_design_example_lands_at_the_right_utc_instants(fetch, secret_for):
    release = design_release()
    found = events(fetch(secret_for(rm())))
    uid = f"{release.code}-{{}}@releasehub".format
    assert utc(found[uid("window")]) == _at(2026, 12, 2, 4, 30)
    assert utc(found[uid("window")], "DTEND") == _at(2026, 12, 2, 6, 30)
    assert utc(found[uid("freeze")]) == _at(2026, 11, 30, 12, 30)
    assert utc(found[uid("pre_release_due")]) == _at(2026, 11, 30, 4, 30)
    assert utc(found[uid("pre_release_meeting")]) == _at(2026, 12, 1, 4, 30)
    assert utc(found[uid("go_no_go")]) == _at(2026, 12, 2, 4, 0)
    assert found[uid("window")]["DTSTART"].dt.astimezone(IST).hour == 10
    assert str(found[uid("freeze")]["SUMMARY"]) == "2026.12: Code freeze starts"


def test_moving_a_release_moves_dtstart_and_raises_sequence_under_the_same_uid(fetch, secret_for):
    manager = rm()
    release = design_release(release_manager=manager)
    secret = secret_for(manager)
    before = events(fetch(secret))
    release_move(
        release=release,
        window_start=WINDOW + dt.timedelta(days=7),
        window_end=WINDOW + dt.timedelta(days=7, hours=2),
        actor=manager,
        reason="Payments needs a week",
    )
    after = events(fetch(secret))
    assert after.keys() == before.keys()
    for uid, event in after.items():
        assert utc(event) == utc(before[uid]) + dt.timedelta(days=7)
        assert event["SEQUENCE"] == before[uid]["SEQUENCE"] + 1
        assert event["STATUS"] == "CONFIRMED"


def test_a_cancelled_release_stays_in_the_feed_as_cancelled(fetch, secret_for):
    manager = rm()
    release = design_release(release_manager=manager)
    secret = secret_for(manager)
    before = events(fetch(secret))
    release_cancel(release=release, actor=manager, reason="Nothing in scope")
    after = events(fetch(secret))
    assert after.keys() == before.keys()
    for uid, event in after.items():
        assert event["STATUS"] == "CANCELLED"
        assert event["SEQUENCE"] > before[uid]["SEQUENCE"]
        assert str(event["SUMMARY"]).startswith("Cancelled: ")


def test_releases_more_than_ninety_days_old_are_left_out(fetch, secret_for):
    old = ReleaseFactory(
        status=Release.Status.COMPLETED,
        window_start=WINDOW - dt.timedelta(days=120),
        window_end=WINDOW - dt.timedelta(days=120) + dt.timedelta(hours=2),
    )
    recent = design_release()
    uids = events(fetch(secret_for(rm()))).keys()
    assert any(str(recent.code) in uid for uid in uids)
    assert not any(str(old.code) in uid for uid in uids)


def _add(count: int) -> None:
    known = Release.objects.count()
    for i in range(known, known + count):
        start = WINDOW + dt.timedelta(days=14 * i)
        Release.objects.create(
            version=f"load.{i}",
            kind=Release.Kind.HOTFIX if i % 3 == 2 else Release.Kind.REGULAR,
            status=Release.Status.CANCELLED if i % 4 == 3 else Release.Status.PLANNED,
            window_start=start,
            window_end=start + dt.timedelta(hours=2),
        )


def test_the_feed_costs_the_same_queries_for_one_release_or_forty(client, secret_for):
    secret = secret_for(rm())
    client.get(feed_path(secret))  # the first fetch stamps last_used_at (hourly at most)
    counts = []
    for count in (1, 39):
        _add(count)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(feed_path(secret))
        assert response.status_code == 200
        assert response.content.count(b"BEGIN:VEVENT") >= Release.objects.count()
        counts.append(len(queries))
    assert counts == [2, 2], counts  # the link, the releases


def test_the_first_fetch_in_an_hour_stamps_the_link_as_used(client, secret_for, fixed_clock):
    secret = secret_for(rm())
    token = FeedToken.objects.get()
    assert token.last_used_at is None
    client.get(feed_path(secret))
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    fixed_clock.shift(dt.timedelta(minutes=30))
    client.get(feed_path(secret))
    token.refresh_from_db()
    assert token.last_used_at == first
    fixed_clock.shift(dt.timedelta(minutes=31))
    client.get(feed_path(secret))
    token.refresh_from_db()
    assert token.last_used_at > first
