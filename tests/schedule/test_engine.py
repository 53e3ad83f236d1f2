"""The engine on the Python clock (time-machine): claim, run once, skip late reminders, recover."""

import datetime as dt

import pytest

from releasehub.audit.models import TimelineEvent
from releasehub.notify.models import Outbox
from releasehub.releases.models import Release
from releasehub.schedule import effects, tasks
from releasehub.schedule import services as engine
from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction
from releasehub.schedule.selectors import overdue_count
from tests.schedule.conftest import fire_due

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def _row(release, kind) -> ScheduledAction:
    return ScheduledAction.objects.get(
        release=release, kind=kind, schedule_version=release.schedule_version
    )


def test_creating_a_release_plans_its_clock_in_utc(release):
    due = dict(release.actions.values_list("kind", "due_at"))
    assert due == {
        ActionKind.PRE_RELEASE_DUE: dt.datetime(2026, 11, 30, 4, 30, tzinfo=UTC),
        ActionKind.FREEZE: dt.datetime(2026, 11, 30, 12, 30, tzinfo=UTC),
        ActionKind.PRE_RELEASE_MEETING: dt.datetime(2026, 12, 1, 4, 30, tzinfo=UTC),
        ActionKind.GO_NO_GO_REMINDER: dt.datetime(2026, 12, 2, 3, 30, tzinfo=UTC),
        ActionKind.GO_NO_GO_SUMMARY: dt.datetime(2026, 12, 2, 4, 0, tzinfo=UTC),
    }
    assert all(d.tzinfo is not None for d in due.values())
    assert _row(release, ActionKind.FREEZE).grace is None


def test_nothing_is_claimed_before_it_is_due(release, clock):
    clock.move_to(dt.datetime(2026, 11, 30, 4, 29, 59, tzinfo=UTC))
    assert engine.claim_due(on_claimed=lambda ids: None) == []


def test_a_due_row_is_claimed_once_with_a_lease(release, clock):
    clock.move_to(dt.datetime(2026, 11, 30, 4, 30, tzinfo=UTC))
    enqueued: list[int] = []
    first = engine.claim_due(on_claimed=enqueued.extend)
    assert engine.claim_due(on_claimed=enqueued.extend) == []
    row = _row(release, ActionKind.PRE_RELEASE_DUE)
    assert first == [row.pk]
    assert row.status == ActionStatus.DISPATCHED and row.attempts == 1
    assert row.lease_expires_at == dt.datetime(2026, 11, 30, 4, 30, 20, tzinfo=UTC)


def _at_freeze(clock) -> None:
    clock.move_to(dt.datetime(2026, 11, 30, 4, 30, tzinfo=UTC))
    assert fire_due() == [ActionStatus.DONE]  # T-48h first
    clock.move_to(dt.datetime(2026, 11, 30, 12, 30, tzinfo=UTC))


def test_duplicate_delivery_does_nothing(release, clock, people):
    _at_freeze(clock)
    (pk,) = engine.claim_due(on_claimed=lambda ids: None)
    assert engine.run_action(pk) == ActionStatus.DONE
    messages = Outbox.objects.count()
    events = TimelineEvent.objects.count()
    assert engine.run_action(pk) is None  # the broker delivered the message again
    tasks.run_action(pk)  # and once more through the task
    assert Outbox.objects.count() == messages
    assert TimelineEvent.objects.count() == events
    assert _row(release, ActionKind.FREEZE).attempts == 1


def test_a_reminder_later_than_its_grace_is_skipped_and_logged(release, clock, caplog):
    # Beat was down: T-48h (Monday 10:00 IST) is noticed at 12:31 IST, past its 2 h grace.
    clock.move_to(dt.datetime(2026, 11, 30, 7, 1, tzinfo=UTC))
    assert fire_due() == [ActionStatus.SKIPPED]
    row = _row(release, ActionKind.PRE_RELEASE_DUE)
    assert row.status == ActionStatus.SKIPPED
    assert row.lateness == dt.timedelta(hours=2, minutes=31)
    assert "past its grace" in row.note
    assert not Outbox.objects.filter(action=row).exists()
    assert TimelineEvent.objects.filter(verb="schedule.skipped", release=release).count() == 1
    assert "skipped" in caplog.text


def test_a_reminder_within_its_grace_still_fires(release, clock):
    clock.move_to(dt.datetime(2026, 11, 30, 6, 0, tzinfo=UTC))  # 90 min late, grace 2 h
    assert fire_due() == [ActionStatus.DONE]


def test_the_freeze_is_never_skipped_however_late(release, clock):
    # The whole system was down from Monday afternoon to Tuesday evening.
    clock.move_to(dt.datetime(2026, 12, 1, 14, 0, tzinfo=UTC))
    statuses = dict(zip(engine.claim_due(on_claimed=lambda ids: None), [None] * 9, strict=False))
    results = {ScheduledAction.objects.get(pk=pk).kind: engine.run_action(pk) for pk in statuses}
    assert results[ActionKind.FREEZE] == ActionStatus.DONE
    assert results[ActionKind.PRE_RELEASE_DUE] == ActionStatus.SKIPPED
    assert results[ActionKind.PRE_RELEASE_MEETING] == ActionStatus.SKIPPED
    release.refresh_from_db()
    assert release.status == Release.Status.FROZEN


def test_an_expired_lease_returns_the_row_to_pending(release, clock):
    _at_freeze(clock)
    (pk,) = engine.claim_due(on_claimed=lambda ids: None)
    # The worker that got the message was killed: nothing runs it.
    clock.shift(engine.LEASE - dt.timedelta(seconds=1))
    assert engine.recover_expired_leases() == 0
    clock.shift(dt.timedelta(seconds=2))
    assert engine.recover_expired_leases() == 1
    assert ScheduledAction.objects.get(pk=pk).status == ActionStatus.PENDING
    assert engine.claim_due(on_claimed=lambda ids: None) == [pk]
    assert engine.run_action(pk) == ActionStatus.DONE
    row = ScheduledAction.objects.get(pk=pk)
    assert row.attempts == 2 and row.lateness == engine.LEASE + dt.timedelta(seconds=1)
    # The lost message turns up after all: nothing happens.
    assert engine.run_action(pk) is None
    assert TimelineEvent.objects.filter(verb="release.status", release=release).count() == 1


def test_a_failing_effect_rolls_back_is_retried_and_finally_fails(release, clock, monkeypatch):
    def broken(action):
        effects.outbox_add(action=action, users=[release.release_manager], subject="x", body="y")
        raise RuntimeError("mail templates missing")

    monkeypatch.setitem(effects.EFFECTS, ActionKind.FREEZE, broken)
    _at_freeze(clock)
    for attempt in range(1, engine.MAX_ATTEMPTS + 1):
        (pk,) = engine.claim_due(on_claimed=lambda ids: None)
        tasks.run_action(pk)
        row = ScheduledAction.objects.get(pk=pk)
        assert row.attempts == attempt
        assert "mail templates missing" in row.note
        assert not Outbox.objects.filter(action=row).exists()  # rolled back with the row
        if attempt < engine.MAX_ATTEMPTS:
            assert row.status == ActionStatus.DISPATCHED
            clock.move_to(row.lease_expires_at + dt.timedelta(seconds=1))
            assert engine.recover_expired_leases() == 1
    assert row.status == ActionStatus.FAILED
    release.refresh_from_db()
    assert release.status == Release.Status.PLANNED


def test_a_failed_action_can_be_retried_by_hand(release, clock, people):
    row = _row(release, ActionKind.FREEZE)
    ScheduledAction.objects.filter(pk=row.pk).update(status=ActionStatus.FAILED, attempts=5)
    assert engine.action_retry(row, actor=people["sre"])
    assert not engine.action_retry(row, actor=people["sre"])
    _at_freeze(clock)
    assert fire_due() == [ActionStatus.DONE]


def test_healthz_counts_overdue_actions(release, clock, client):
    assert client.get("/healthz").json()["overdue_actions"] == 0
    # Beat stopped: past HEALTH_OVERDUE_SECONDS (60 s) for both the freeze and T-48h rows.
    clock.move_to(dt.datetime(2026, 11, 30, 12, 32, tzinfo=UTC))
    assert overdue_count() == 2
    assert client.get("/healthz").json()["overdue_actions"] == 2
    fire_due()
    assert client.get("/healthz").json()["overdue_actions"] == 0


def test_a_row_superseded_after_its_claim_does_nothing(release, clock):
    clock.move_to(dt.datetime(2026, 11, 30, 4, 30, tzinfo=UTC))
    engine.claim_due(on_claimed=lambda ids: None)
    # Planned for a version the release has left (the mover forgot to replan, say).
    Release.objects.filter(pk=release.pk).update(schedule_version=2)
    pk = _row(release, ActionKind.PRE_RELEASE_DUE).pk
    assert engine.run_action(pk) == ActionStatus.SUPERSEDED
    assert not Outbox.objects.exists()


def test_after_beat_was_stopped_ten_minutes_every_due_action_fires_once(clock):
    start = dt.datetime(2026, 11, 30, 4, 30, tzinfo=UTC)
    ScheduledAction.objects.bulk_create(
        ScheduledAction(kind=ActionKind.PROBE, due_at=start + dt.timedelta(seconds=3 * i))
        for i in range(200)
    )
    clock.move_to(start + dt.timedelta(minutes=10, seconds=1))  # beat comes back
    assert fire_due() == [ActionStatus.DONE] * 200
    assert fire_due() == []
    assert set(ScheduledAction.objects.values_list("attempts", flat=True)) == {1}


def test_no_action_is_stored_with_a_naive_datetime(release):
    for row in ScheduledAction.objects.all():
        for value in (row.due_at, row.created_at):
            assert value.tzinfo is not None and value.utcoffset() == dt.timedelta(0)
