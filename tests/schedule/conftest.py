import datetime as dt

import pytest
import time_machine

from releasehub.accounts.models import Role
from releasehub.releases.clock import default_window
from releasehub.releases.services.lifecycle import release_create
from releasehub.schedule.services import claim_due, run_action
from tests.factories import UserFactory

UTC = dt.UTC
# DESIGN.md's worked example: window Wednesday 2026-12-02 10:00 IST = 04:30 UTC.
WINDOW = default_window(dt.date(2026, 12, 2))
A_WEEK_BEFORE = dt.datetime(2026, 11, 25, 4, 30, tzinfo=UTC)


@pytest.fixture
def clock():
    """The Python clock, stopped a week before the window; tests move it."""
    with time_machine.travel(A_WEEK_BEFORE, tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(db) -> dict:
    return {
        "rm": UserFactory(username="asha", roles=[Role.RELEASE_MANAGER]),
        "rm2": UserFactory(username="vikram", roles=[Role.RELEASE_MANAGER]),
        "patient": UserFactory(username="priya", roles=[(Role.SQUAD_REP, "patient")]),
        "doctor": UserFactory(username="rahul", roles=[(Role.SQUAD_REP, "doctor")]),
        "sre": UserFactory(username="kiran", roles=[Role.SRE]),
        "qa": UserFactory(username="neha", roles=[Role.QA_LEAD]),
        "leader": UserFactory(username="arjun", roles=[Role.LEADERSHIP]),
    }


@pytest.fixture
def release(clock, people):
    start, end = WINDOW
    return release_create(
        version="2026.12.02",
        window_start=start,
        window_end=end,
        actor=people["rm"],
        release_manager=people["rm"],
        summary="Booking: slot holds; Payments: UPI retries",
    )


def fire_due() -> list:
    """One sweep and the runs it claimed, in this thread (the broker is not involved)."""
    return [run_action(pk) for pk in claim_due(on_claimed=lambda ids: None)]
