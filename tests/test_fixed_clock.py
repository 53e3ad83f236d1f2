"""Every test runs at the run's fixed instant, and data placed relative to today is only made
by tests marked `clock`, which CI runs at five instants of the week."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.conftest import test_now
from tests.factories import release_in


def test_the_clock_starts_at_the_runs_fixed_instant_and_ticks():
    first = timezone.now()
    assert dt.timedelta(0) <= first - test_now() < dt.timedelta(minutes=1)
    assert timezone.now() >= first


def test_a_clock_relative_factory_refuses_a_test_not_marked_clock(db):
    with pytest.raises(RuntimeError, match=r"mark the test @pytest\.mark\.clock"):
        release_in(days=7)


@pytest.mark.clock
def test_a_marked_test_may_place_a_release_relative_to_today(db):
    release = release_in(days=7)
    assert release.window_start > timezone.now()


@pytest.mark.clock
def test_a_test_moves_the_fixed_clock_instead_of_waiting(fixed_clock):
    before = timezone.now()
    fixed_clock.shift(dt.timedelta(hours=26))
    assert timezone.now() - before >= dt.timedelta(hours=26)
