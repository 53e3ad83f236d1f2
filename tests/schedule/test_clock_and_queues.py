"""The engine against other machines: its own queue, one reference clock, sweeps deduplicated."""

import datetime as dt

import pytest
import time_machine

from releasehub.celery import app
from releasehub.schedule import clock as reference_clock
from releasehub.schedule import services as engine
from releasehub.schedule import tasks
from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction
from tests.schedule.conftest import fire_due

UTC = dt.UTC
T48 = dt.datetime(2026, 11, 30, 4, 30, tzinfo=UTC)  # the release fixture's PRE_RELEASE_DUE
SKEW = dt.timedelta(seconds=300)


def _queue(task: str) -> str:
    return app.amqp.router.route({}, task)["queue"].name


@pytest.mark.parametrize("task", ["schedule.sweep", "schedule.recover", "schedule.run_action"])
def test_schedule_tasks_go_to_the_schedule_queue(task):
    assert _queue(task) == "schedule"


@pytest.mark.parametrize("task", ["notify.deliver", "notify.recover"])
def test_delivery_tasks_go_to_the_notify_queue(task):
    assert _queue(task) == "notify"


def test_no_engine_beat_entry_expires_by_another_machines_clock(settings):
    # A mailer whose clock ran 600 s ahead of beat's (libfaketime) discarded every
    # notify.recover as expired, as skewed workers once did every sweep.
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        if entry["task"].startswith(("schedule.", "notify.")):
            assert "expires" not in entry.get("options", {}), name


@pytest.mark.django_db
def test_a_backlog_of_sweep_messages_costs_one_claim_pass(monkeypatch):
    passes: list[int] = []
    real_claim = engine.claim_due

    def counting_claim(**kwargs):
        passes.append(1)
        return real_claim(**kwargs)

    monkeypatch.setattr(engine, "claim_due", counting_claim)
    with time_machine.travel(T48, tick=False) as traveller:
        for _ in range(50):  # beat kept publishing while the worker was away
            tasks.sweep()
        assert len(passes) == 1
        traveller.shift(dt.timedelta(seconds=1))  # the next beat tick sweeps again
        tasks.sweep()
    assert len(passes) == 2


@pytest.mark.django_db
def test_a_backlog_of_recovery_messages_costs_one_recovery_pass(monkeypatch):
    passes: list[int] = []
    monkeypatch.setattr(engine, "recover_expired_leases", lambda: passes.append(1) or 0)
    with time_machine.travel(T48, tick=False) as traveller:
        for _ in range(50):
            tasks.recover()
        traveller.shift(dt.timedelta(seconds=5))
        tasks.recover()
    assert len(passes) == 2


@pytest.mark.django_db
def test_a_sweep_runs_again_after_the_clock_went_back(monkeypatch):
    passes: list[int] = []
    monkeypatch.setattr(engine, "claim_due", lambda **kw: passes.append(1) or [])
    with time_machine.travel(T48, tick=False) as traveller:
        tasks.sweep()
        traveller.move_to(T48 - dt.timedelta(minutes=5))
        tasks.sweep()
    assert len(passes) == 2


@pytest.fixture
def database_clock(monkeypatch):
    """The reference clock (the database's), held apart from this worker's Python clock."""
    now = [T48]
    monkeypatch.setattr(reference_clock, "db_now", lambda: now[0])
    return now


def test_a_worker_clock_300_s_ahead_fires_each_action_once_on_time(release, clock, database_clock):
    row = ScheduledAction.objects.get(release=release, kind=ActionKind.PRE_RELEASE_DUE)
    database_clock[0] = T48 - dt.timedelta(seconds=1)
    clock.move_to(database_clock[0] + SKEW)  # this worker thinks it is 04:34:59
    assert fire_due() == []  # not early
    database_clock[0] = T48
    clock.move_to(T48 + SKEW)
    assert fire_due() == [ActionStatus.DONE]
    assert fire_due() == []  # once
    row.refresh_from_db()
    assert row.fired_at == T48 and row.finished_at == T48
    assert row.lateness == dt.timedelta(0)


def test_a_worker_clock_300_s_ahead_neither_expires_leases_early_nor_backs_off_wrongly(
    release, clock, database_clock
):
    clock.move_to(T48 + SKEW)
    (pk,) = engine.claim_due(on_claimed=lambda ids: None)
    row = ScheduledAction.objects.get(pk=pk)
    assert row.lease_expires_at == T48 + engine.LEASE
    database_clock[0] = T48 + engine.LEASE - dt.timedelta(seconds=1)
    clock.move_to(database_clock[0] + SKEW)
    assert engine.recover_expired_leases() == 0  # the Python clock says it expired 299 s ago
    engine.action_failed(pk, "boom")
    row.refresh_from_db()
    assert row.lease_expires_at == database_clock[0] + engine.RETRY_BACKOFF * 2


@pytest.mark.django_db
def test_the_reference_clock_is_the_database_s(settings, django_assert_num_queries):
    from django.db import connection

    if connection.vendor == "postgresql":
        settings.SCHEDULE_CLOCK = reference_clock.DATABASE
        with django_assert_num_queries(1):
            now = reference_clock.db_now()
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement_timestamp()")
            (server,) = cursor.fetchone()
        assert dt.timedelta(0) <= server - now < dt.timedelta(seconds=5)
    else:
        # SQLite is a file in this process: its clock is this host's, the one tests move.
        with time_machine.travel(T48, tick=False), django_assert_num_queries(0):
            assert reference_clock.db_now() == T48


def test_a_lost_message_is_run_within_half_a_minute(release, clock, settings):
    # Killed worker or a Redis restart: the row is dispatched and nothing will run it.
    assert settings.CELERY_BEAT_SCHEDULE["schedule-recover"]["schedule"] <= 5
    clock.move_to(T48)
    (pk,) = engine.claim_due(on_claimed=lambda ids: None)
    clock.shift(dt.timedelta(seconds=25))  # a recovery sweep comes within 5 s of this
    assert engine.recover_expired_leases() == 1
    assert fire_due() == [ActionStatus.DONE]
    assert ScheduledAction.objects.get(pk=pk).lateness <= dt.timedelta(seconds=30)


def test_a_failing_effect_still_backs_off_from_a_minute(release, clock, monkeypatch):
    def broken(action):
        raise RuntimeError("mail templates missing")

    monkeypatch.setitem(engine.EFFECTS, ActionKind.PRE_RELEASE_DUE, broken)
    clock.move_to(T48)
    (pk,) = engine.claim_due(on_claimed=lambda ids: None)
    tasks.run_action(pk)
    assert ScheduledAction.objects.get(pk=pk).lease_expires_at == T48 + dt.timedelta(minutes=2)
