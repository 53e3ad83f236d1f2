"""How long sweeps take is recorded for /-/metrics without a write of its own: each worker
process reports its previous pass with the mark of its next one."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from releasehub.schedule import services as engine
from releasehub.schedule.models import ActionKind, ScheduledAction, SweepMark

T = dt.datetime(2026, 11, 30, 4, 30, tzinfo=dt.UTC)
SWEEPS = [("schedule.sweep", engine.sweep), ("schedule.recover", engine.recovery_sweep)]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch):
    """A worker process that has not swept yet."""
    monkeypatch.setattr(engine, "_finished_passes", {})


def _mark_writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if "schedule_sweepmark" in q["sql"] and q["sql"].startswith(("UPDATE", "INSERT"))
    ]


@pytest.mark.parametrize(("name", "sweep"), SWEEPS)
def test_a_pass_is_reported_with_the_next_mark_and_costs_no_write_of_its_own(name, sweep):
    with time_machine.travel(T, tick=False) as traveller:
        ScheduledAction.objects.create(kind=ActionKind.PROBE, due_at=T)
        sweep()  # the first pass of this process: nothing to report yet
        mark = SweepMark.objects.get(name=name)
        assert mark.last_pass_seconds is None and mark.last_pass_at is None
        traveller.shift(dt.timedelta(seconds=6))
        with CaptureQueriesContext(connection) as second:
            sweep()
    assert len(_mark_writes(second)) == 1  # the mark, carrying the report; nothing more
    mark.refresh_from_db()
    assert mark.ran_at == T + dt.timedelta(seconds=6)
    assert mark.last_pass_at == T  # the first pass, reported by the second
    assert mark.last_pass_seconds is not None and 0 < mark.last_pass_seconds < 5


def test_a_deduplicated_sweep_is_not_a_pass_and_reports_nothing():
    with time_machine.travel(T, tick=False):
        engine.sweep()
        engine.sweep()  # a backlog message: returns at once
    assert set(engine._finished_passes) == {"schedule.sweep"}
    assert SweepMark.objects.get(name="schedule.sweep").last_pass_seconds is None
