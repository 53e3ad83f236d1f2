import datetime as dt

from django.template import Context, Template

from releasehub.releases.clock import (
    IST,
    ReleaseClock,
    default_window,
    freeze_start,
    ist,
    next_train_window,
)
from releasehub.releases.models import Release, Train

UTC = dt.UTC


def test_design_worked_example():
    """DESIGN.md: window 2026-12-02 10:00 IST."""
    start, end = default_window(dt.date(2026, 12, 2))
    clock = ReleaseClock(start, end)
    assert start == dt.datetime(2026, 12, 2, 4, 30, tzinfo=UTC)
    assert end == dt.datetime(2026, 12, 2, 6, 30, tzinfo=UTC)
    assert clock.freeze_at == dt.datetime(2026, 11, 30, 12, 30, tzinfo=UTC)
    assert clock.pre_release_due == dt.datetime(2026, 11, 30, 4, 30, tzinfo=UTC)
    assert clock.pre_release_meeting == dt.datetime(2026, 12, 1, 4, 30, tzinfo=UTC)
    assert clock.go_no_go == dt.datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
    assert clock.go_no_go_reminder == dt.datetime(2026, 12, 2, 3, 30, tzinfo=UTC)


def test_milestones_are_in_time_order():
    clock = ReleaseClock(*default_window(dt.date(2026, 12, 2)))
    times = [m.at for m in clock.milestones()]
    assert times == sorted(times)


def test_moving_the_window_moves_the_whole_clock():
    old = ReleaseClock(*default_window(dt.date(2026, 12, 2)))
    new = ReleaseClock(*default_window(dt.date(2026, 12, 16)))
    shift = dt.timedelta(days=14)
    for a, b in zip(old.milestones(), new.milestones(), strict=True):
        assert b.at - a.at == shift


def test_freeze_is_the_monday_before_even_for_a_thursday_window():
    start = dt.datetime(2026, 12, 3, 10, 0, tzinfo=IST)
    assert freeze_start(start) == dt.datetime(2026, 11, 30, 18, 0, tzinfo=IST)


def test_a_monday_morning_window_freezes_the_monday_before():
    start = dt.datetime(2026, 12, 7, 10, 0, tzinfo=IST)
    assert freeze_start(start) == dt.datetime(2026, 11, 30, 18, 0, tzinfo=IST)


def test_hotfix_has_no_freeze():
    clock = ReleaseClock(*default_window(dt.date(2026, 12, 3)), is_hotfix=True)
    assert clock.freeze_at is None
    assert [m.key for m in clock.milestones()] == ["window_start", "window_end"]


def test_times_shown_elsewhere_convert_from_ist():
    start, _ = default_window(dt.date(2026, 12, 2))
    assert start.astimezone(dt.timezone(dt.timedelta(hours=-5))).hour == 23  # New York, 1 Dec


def test_one_house_format_for_a_moment_in_ist():
    start, _ = default_window(dt.date(2026, 12, 2))
    assert ist(start) == "Wed 02 Dec 2026, 10:00 IST"
    assert ist(start, "%H:%M") == "10:00 IST"


def test_the_ist_filter_shows_the_house_format_and_nothing_for_no_moment():
    template = Template("{% load clock %}{{ at|ist }}|{{ missing|ist }}|{{ at|ist:'%H:%M' }}")
    start, _ = default_window(dt.date(2026, 12, 2))
    html = template.render(Context({"at": start, "missing": None}))
    assert html == "Wed 02 Dec 2026, 10:00 IST||10:00 IST"


def test_after_a_no_go_the_next_window_is_the_trains_next_occurrence_at_the_same_time():
    weekly = Train(name="Weekly", anchor_date=dt.date(2026, 12, 2), interval_days=7)
    release = Release(
        window_start=dt.datetime(2026, 12, 2, 11, 0, tzinfo=IST),
        window_end=dt.datetime(2026, 12, 2, 13, 30, tzinfo=IST),
        train=weekly,
    )
    start, end = next_train_window(release, now=dt.datetime(2026, 12, 2, 9, 0, tzinfo=IST))
    assert start == dt.datetime(2026, 12, 9, 11, 0, tzinfo=IST)
    assert end - start == dt.timedelta(hours=2, minutes=30)


def test_without_a_train_the_next_window_is_a_fortnight_on_and_after_now():
    release = Release(
        window_start=dt.datetime(2026, 12, 2, 10, 0, tzinfo=IST),
        window_end=dt.datetime(2026, 12, 2, 12, 0, tzinfo=IST),
    )
    start, _ = next_train_window(release, now=dt.datetime(2026, 12, 20, 9, 0, tzinfo=IST))
    assert start == dt.datetime(2026, 12, 30, 10, 0, tzinfo=IST)
