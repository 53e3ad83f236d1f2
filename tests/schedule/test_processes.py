"""End to end and under faults, with real processes: a private redis-server (port 6390, never the
shared 6379), `celery worker` and `celery beat` subprocesses with the settings' beat schedule, and
the live PostgreSQL test database. Each action must happen exactly once."""

import datetime as dt

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from releasehub.accounts.models import Role
from releasehub.audit.models import TimelineEvent
from releasehub.celery import app
from releasehub.notify.models import DeliveryStatus, Outbox
from releasehub.releases.clock import default_window
from releasehub.releases.models import Release
from releasehub.releases.services.lifecycle import release_create
from releasehub.schedule.clock import db_now
from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction
from releasehub.schedule.services import LEASE, claim_due, recover_expired_leases
from tests.factories import UserFactory, next_wednesday
from tests.schedule.processes import start_stack, wait_for

pytestmark = [
    pytest.mark.real_clock,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def stack(postgres, tmp_path, settings):
    stack = start_stack(tmp_path)
    yield stack
    stack.stop()


@pytest.fixture
def release():
    rm = UserFactory(username="asha", roles=[Role.RELEASE_MANAGER])
    UserFactory(username="priya", roles=[(Role.SQUAD_REP, "patient")])
    start, end = default_window(next_wednesday(timezone.localdate() + dt.timedelta(days=7)))
    release = release_create(
        version="e2e.1", window_start=start, window_end=end, actor=rm, release_manager=rm
    )
    # Only the freeze stays live, due two seconds from now.
    release.actions.exclude(kind=ActionKind.FREEZE).update(status=ActionStatus.CANCELLED)
    release.actions.filter(kind=ActionKind.FREEZE).update(
        due_at=timezone.now() + dt.timedelta(seconds=2)
    )
    return release


def _freeze(release) -> ScheduledAction:
    return ScheduledAction.objects.get(release=release, kind=ActionKind.FREEZE)


def _publish_to(url: str):
    """Enqueue claimed rows on the private Redis (this test process's broker is another)."""
    from releasehub.schedule.tasks import run_action

    def publish(ids: list[int]) -> None:
        with app.connection_for_write(url) as conn:
            for pk in ids:
                run_action.apply_async((pk,), connection=conn)

    return publish


def _assert_frozen_once(release) -> None:
    release.refresh_from_db()
    assert release.status == Release.Status.FROZEN
    frozen = TimelineEvent.objects.filter(release=release, verb="release.status")
    assert frozen.count() == 1
    assert Outbox.objects.filter(action__release=release).count() == 2  # RM + squad rep


def test_freeze_fires_through_real_beat_worker_and_redis_and_its_email_is_sent(stack, release):
    stack.worker()
    stack.beat()
    ok = wait_for(lambda: _freeze(release).status == ActionStatus.DONE, timeout=40)
    assert ok, stack.logs()
    _assert_frozen_once(release)
    row = _freeze(release)
    assert dt.timedelta(0) <= row.lateness < dt.timedelta(seconds=5), row.lateness
    sent = lambda: set(Outbox.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}  # noqa: E731
    assert wait_for(sent, timeout=20), stack.logs()
    mails = "".join(p.read_text() for p in stack.mail_dir.iterdir())
    assert "Subject: [e2e.1] Code freeze has started" in mails
    assert "priya@example.com" in mails and "IST" in mails


def test_a_worker_whose_clock_is_300_s_ahead_fires_on_the_database_clock(stack, release):
    # Beat stamps its sweeps with this machine's clock; the worker would have found them all
    # expired (nothing fired) and, claiming by its own clock, fired five minutes early.
    worker = stack.worker(clock_ahead=300)
    stack.beat()
    due = _freeze(release).due_at
    ok = wait_for(lambda: _freeze(release).status == ActionStatus.DONE, timeout=40)
    assert ok, stack.logs()
    assert "Discarding revoked task" not in worker.output()
    _assert_frozen_once(release)
    row = _freeze(release)
    assert row.fired_at >= due and row.lateness < dt.timedelta(seconds=5), row.lateness
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement_timestamp()")
        (database_now,) = cursor.fetchone()
    assert row.fired_at <= database_now  # recorded on the database's clock, not the worker's


def test_a_worker_killed_mid_action_still_fires_it_once(stack, release):
    worker = stack.worker()
    stack.beat()
    with transaction.atomic():
        # Hold the release: the worker claims the freeze and blocks inside run_action.
        Release.objects.select_for_update().get(pk=release.pk)
        assert wait_for(lambda: _waiting_on_a_lock(), timeout=40), stack.logs()
        assert _freeze(release).status == ActionStatus.DISPATCHED
        worker.kill()  # SIGKILL to the worker and its pool processes
    assert _freeze(release).status == ActionStatus.DISPATCHED
    release.refresh_from_db()
    assert release.status == Release.Status.PLANNED  # nothing half-done
    stack.worker()
    # The lost message is unacknowledged in Redis for an hour; the lease expires in a minute.
    # The engine reads the database's clock, which time-machine cannot move: pass the time.
    assert recover_expired_leases(now=db_now() + LEASE + dt.timedelta(seconds=1)) == 1
    ok = wait_for(lambda: _freeze(release).status == ActionStatus.DONE, timeout=40)
    assert ok, stack.logs()
    assert _freeze(release).attempts == 2
    # The old message turns up after all (Redis restores it after the visibility timeout).
    _publish_to(stack.redis.url)([_freeze(release).pk])
    wait_for(lambda: False, timeout=1.5)
    _assert_frozen_once(release)


def _waiting_on_a_lock() -> bool:
    # pg_locks, not pg_stat_activity: the latter is a snapshot frozen for the transaction.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0] > 0


def test_redis_restarted_with_messages_in_it_still_fires_each_action_once(stack, release):
    now = timezone.now()
    probes = ScheduledAction.objects.bulk_create(
        ScheduledAction(kind=ActionKind.PROBE, due_at=now - dt.timedelta(milliseconds=i))
        for i in range(1, 21)
    )
    _freeze(release)
    ScheduledAction.objects.filter(release=release).update(due_at=now - dt.timedelta(seconds=1))
    # Claimed and enqueued with no worker running: the messages wait in Redis ...
    claimed = claim_due(on_claimed=_publish_to(stack.redis.url))
    assert len(claimed) == 21
    # ... which restarts without persistence: all of them are lost.
    stack.redis.restart()
    later = ScheduledAction.objects.bulk_create(
        ScheduledAction(kind=ActionKind.PROBE, due_at=now + dt.timedelta(seconds=2, milliseconds=i))
        for i in range(5)
    )
    stack.worker()
    stack.beat()
    # Rows due after the restart fire normally; the lost ones wait for their lease.
    done = ActionStatus.DONE
    assert wait_for(
        lambda: (
            ScheduledAction.objects.filter(pk__in=[p.pk for p in later], status=done).count() == 5
        ),
        timeout=40,
    ), stack.logs()
    assert (
        ScheduledAction.objects.filter(pk__in=claimed, status=ActionStatus.DISPATCHED).count() == 21
    )
    assert recover_expired_leases(now=db_now() + LEASE + dt.timedelta(seconds=1)) == 21
    lost = ScheduledAction.objects.filter(pk__in=claimed)
    assert wait_for(lambda: lost.filter(status=done).count() == 21, timeout=40), stack.logs()
    assert set(lost.values_list("attempts", flat=True)) == {2}
    assert ScheduledAction.objects.filter(pk__in=[p.pk for p in probes + later]).count() == 25
    _assert_frozen_once(release)


def test_healthz_is_degraded_while_beat_is_stopped_and_ok_once_the_worker_caught_up(
    stack, client, settings, monkeypatch
):
    # /healthz's broker check asks the stack's Redis, like a web process of this deployment.
    monkeypatch.setattr(app.conf, "broker_url", stack.redis.url)
    stack.worker("schedule,celery")
    beat = stack.beat()
    probe = ScheduledAction.objects.create(kind=ActionKind.PROBE, due_at=timezone.now())
    assert wait_for(lambda: _all_done([probe.pk]), timeout=60), stack.logs()
    beat.kill()
    now = timezone.now()
    due = ScheduledAction.objects.bulk_create(
        ScheduledAction(kind=ActionKind.PROBE, due_at=now - dt.timedelta(milliseconds=i))
        for i in range(1, 4)
    )
    ids = [row.pk for row in due]
    assert _healthz(client)[0] == 200  # due, but not late enough to worry anyone
    past_threshold = now + dt.timedelta(seconds=settings.HEALTH_OVERDUE_SECONDS + 5)
    # Only this process's clock moves: nothing sweeps while beat is away, whatever the time.
    with time_machine.travel(past_threshold, tick=True):
        code, body = _healthz(client)
    assert code == 503 and body["status"] == "degraded", body
    assert body["overdue_actions"] == 3 and body["database"] and body["broker"]
    assert body["reasons"] == [
        f"3 timed action(s) overdue, the oldest by {body['oldest_overdue_seconds']} s "
        f"(threshold {settings.HEALTH_OVERDUE_SECONDS} s)"
    ]
    assert ScheduledAction.objects.filter(pk__in=ids, status=ActionStatus.PENDING).count() == 3

    stack.beat()
    assert wait_for(lambda: _all_done(ids), timeout=60), stack.logs()
    with time_machine.travel(past_threshold, tick=True):
        code, body = _healthz(client)
    assert (code, body["status"], body["overdue_actions"]) == (200, "ok", 0), body


def _all_done(ids: list[int]) -> bool:
    return not ScheduledAction.objects.filter(pk__in=ids).exclude(status=ActionStatus.DONE).exists()


def _healthz(client) -> tuple[int, dict]:
    response = client.get("/healthz")
    return response.status_code, response.json()
