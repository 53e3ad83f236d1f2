"""`/-/metrics`: the engine and the outbox in Prometheus text format, counted at scrape time."""

import datetime as dt

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from releasehub.notify.models import DeliveryAttempt, DeliveryStatus, Outbox
from releasehub.schedule import services as engine
from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction, SweepMark

# Overdue actions, failing deliveries, actions by status, lateness, outbox counts, failed
# attempts, sweep marks.
METRICS_QUERIES = 7


def _action(due_in: dt.timedelta, status=ActionStatus.PENDING, late: float | None = None):
    due_at = timezone.now() + due_in
    fired_at = due_at + dt.timedelta(seconds=late) if late is not None else None
    return ScheduledAction.objects.create(
        kind=ActionKind.PROBE, due_at=due_at, status=status, fired_at=fired_at
    )


def _outbox(n: int, status=DeliveryStatus.PENDING, failed_attempts: int = 0) -> Outbox:
    row = Outbox.objects.create(
        action=_action(dt.timedelta(days=-30, seconds=n), ActionStatus.DONE),
        recipient=f"person{n}@example.com",
        subject="Freeze",
        body="Body",
        status=status,
        attempts=failed_attempts,
        next_attempt_at=timezone.now(),
    )
    for _ in range(failed_attempts):
        DeliveryAttempt.objects.create(outbox=row, attempted_at=timezone.now(), ok=False)
    return row


def scrape(client, **extra) -> dict[str, dict[tuple, float]]:
    """{sample name: {sorted label items: value}} of one scrape."""
    response = client.get("/-/metrics", **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    return samples[name][tuple(sorted(labels.items()))]


@pytest.mark.django_db
def test_metrics_of_an_idle_engine_are_all_zero(client):
    samples = scrape(client)
    assert value(samples, "releasehub_timed_actions_overdue") == 0
    assert value(samples, "releasehub_timed_actions", status="pending") == 0
    assert set(dict(k)["status"] for k in samples["releasehub_timed_actions"]) == set(
        ActionStatus.values
    )
    assert value(samples, "releasehub_timed_action_lateness_seconds_bucket", le="+Inf") == 0
    assert value(samples, "releasehub_outbox_backlog") == 0
    assert value(samples, "releasehub_outbox_failed") == 0
    assert value(samples, "releasehub_outbox_attempts_failed_total") == 0


@pytest.mark.django_db
def test_metrics_count_overdue_actions_and_actions_by_status(client, fixed_clock, settings):
    settings.HEALTH_OVERDUE_SECONDS = 60
    _action(dt.timedelta(seconds=-90))
    _action(dt.timedelta(seconds=-120), ActionStatus.DISPATCHED)
    _action(dt.timedelta(seconds=-30))  # late, within the threshold
    _action(dt.timedelta(hours=1))
    _action(dt.timedelta(hours=-2), ActionStatus.CANCELLED)
    samples = scrape(client)
    assert value(samples, "releasehub_timed_actions_overdue") == 2
    assert 120 <= value(samples, "releasehub_timed_actions_oldest_overdue_seconds") < 125
    assert value(samples, "releasehub_timed_actions", status="pending") == 3
    assert value(samples, "releasehub_timed_actions", status="dispatched") == 1
    assert value(samples, "releasehub_timed_actions", status="cancelled") == 1
    assert value(samples, "releasehub_timed_actions", status="done") == 0

    fixed_clock.shift(dt.timedelta(seconds=45))
    assert value(scrape(client), "releasehub_timed_actions_overdue") == 3


@pytest.mark.django_db
def test_lateness_histogram_covers_the_actions_fired_in_the_last_hour(client, fixed_clock):
    for late in (0.1, 0.3, 1.5, 1.5, 7.0):
        _action(dt.timedelta(minutes=-10, seconds=late * 10), ActionStatus.DONE, late=late)
    _action(dt.timedelta(hours=-3), ActionStatus.DONE, late=40.0)  # fired too long ago
    samples = scrape(client)
    bucket = "releasehub_timed_action_lateness_seconds_bucket"
    assert value(samples, bucket, le="0.25") == 1
    assert value(samples, bucket, le="0.5") == 2
    assert value(samples, bucket, le="1.0") == 2
    assert value(samples, bucket, le="2.0") == 4
    assert value(samples, bucket, le="10.0") == 5
    assert value(samples, bucket, le="+Inf") == 5
    assert value(samples, "releasehub_timed_action_lateness_seconds_gcount") == 5
    assert value(samples, "releasehub_timed_action_lateness_seconds_gsum") == pytest.approx(10.4)

    fixed_clock.shift(dt.timedelta(hours=1))
    assert value(scrape(client), bucket, le="+Inf") == 0


@pytest.mark.django_db
def test_metrics_count_the_outbox_backlog_failures_and_failed_attempts(client, fixed_clock):
    _outbox(1)
    _outbox(2, failed_attempts=2)
    _outbox(3, DeliveryStatus.FAILED, failed_attempts=3)
    _outbox(4, DeliveryStatus.SENT)
    samples = scrape(client)
    assert value(samples, "releasehub_outbox_backlog") == 2
    assert value(samples, "releasehub_outbox_failed") == 1
    assert value(samples, "releasehub_outbox_attempts_failed_total") == 5
    assert value(samples, "releasehub_outbox_oldest_failing_seconds") < 5

    fixed_clock.shift(dt.timedelta(minutes=20))
    assert 1200 <= value(scrape(client), "releasehub_outbox_oldest_failing_seconds") < 1205


@pytest.mark.django_db
def test_metrics_query_count_does_not_grow_with_data(client, django_assert_num_queries):
    for n in range(5):
        _action(dt.timedelta(minutes=-n), ActionStatus.DONE, late=n)
        _outbox(n, failed_attempts=n)
        SweepMark.objects.create(name=f"sweep{n}", ran_at=timezone.now(), last_pass_seconds=0.1)
    with django_assert_num_queries(METRICS_QUERIES):
        client.get("/-/metrics")


@pytest.mark.django_db
def test_metrics_show_how_long_the_last_sweep_took_and_when_sweeps_last_ran(
    client, fixed_clock, monkeypatch
):
    monkeypatch.setattr(engine, "_finished_passes", {})  # a worker process that has not swept
    samples = scrape(client)
    assert "releasehub_sweep_duration_seconds" not in samples  # no sweep has run yet
    first = timezone.now()
    engine.sweep()
    engine.recovery_sweep()
    fixed_clock.shift(dt.timedelta(seconds=10))
    engine.sweep()  # reports the first pass with its mark
    samples = scrape(client)
    duration = value(samples, "releasehub_sweep_duration_seconds", sweep="schedule.sweep")
    assert duration == SweepMark.objects.get(name="schedule.sweep").last_pass_seconds
    assert 0 < duration < 5
    # The recovery sweep's first pass is reported by its next one.
    assert (("sweep", "schedule.recover"),) not in samples["releasehub_sweep_duration_seconds"]
    last_run = "releasehub_sweep_last_run_timestamp_seconds"
    assert value(samples, last_run, sweep="schedule.sweep") == pytest.approx(
        first.timestamp() + 10, abs=1
    )
    assert value(samples, last_run, sweep="schedule.recover") == pytest.approx(
        first.timestamp(), abs=1
    )


@pytest.mark.django_db
def test_metrics_need_no_login_but_only_allowed_addresses_may_scrape(client, settings):
    assert client.get("/-/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    refused = client.get("/-/metrics", REMOTE_ADDR="203.0.113.7")
    assert refused.status_code == 403
    assert "releasehub_" not in refused.text
    settings.METRICS_ALLOWED_IPS = ["203.0.113.0/24"]
    assert client.get("/-/metrics", REMOTE_ADDR="203.0.113.7").status_code == 200
    assert client.get("/-/metrics").status_code == 403  # 127.0.0.1 is no longer listed


def test_metrics_refuse_writes(client):
    assert client.post("/-/metrics").status_code == 405
