"""`/healthz`: up, down, or degraded when timed actions or deliveries fall behind."""

import datetime as dt

import pytest
from django.utils import timezone

from releasehub.celery import app as celery_app
from releasehub.notify.models import DeliveryAttempt, DeliveryStatus, Outbox
from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction

# The database answers SELECT 1, then one aggregate for actions and one for deliveries.
HEALTHZ_QUERIES = 3


def _action(due_in: dt.timedelta, status: str = ActionStatus.PENDING) -> ScheduledAction:
    return ScheduledAction.objects.create(
        kind=ActionKind.PROBE, due_at=timezone.now() + due_in, status=status
    )


def _failing_delivery() -> Outbox:
    """A pending e-mail whose first attempt has just failed (the mail server is down)."""
    now = timezone.now()
    row = Outbox.objects.create(
        action=_action(dt.timedelta(0), ActionStatus.DONE),
        recipient="priya@example.com",
        subject="Freeze",
        body="Body",
        attempts=1,
        next_attempt_at=now + dt.timedelta(seconds=5),
        last_error="SMTPServerDisconnected",
    )
    DeliveryAttempt.objects.create(
        outbox=row, attempted_at=now, ok=False, error="SMTPServerDisconnected"
    )
    return row


@pytest.mark.django_db
def test_healthz_reports_database_broker_overdue_actions_and_failing_deliveries(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "reasons": [],
        "database": True,
        "broker": True,
        "overdue_actions": 0,
        "oldest_overdue_seconds": 0,
        "failing_deliveries": 0,
        "oldest_failing_delivery_seconds": 0,
    }


@pytest.mark.django_db
def test_healthz_is_degraded_while_actions_are_overdue_past_the_threshold(
    client, fixed_clock, settings
):
    settings.HEALTH_OVERDUE_SECONDS = 60
    action = _action(dt.timedelta(seconds=10))
    assert client.get("/healthz").json()["status"] == "ok"

    fixed_clock.shift(dt.timedelta(seconds=40))  # 30 s late: the sweeper may still catch up
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["overdue_actions"] == 0

    fixed_clock.shift(dt.timedelta(seconds=60))  # 90 s late
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"] is True and body["broker"] is True
    assert body["overdue_actions"] == 1
    assert 90 <= body["oldest_overdue_seconds"] < 95
    assert body["reasons"] == ["1 timed action(s) overdue, the oldest by 90 s (threshold 60 s)"]

    # A claimed but unfinished action is still overdue: the worker may be dead.
    ScheduledAction.objects.filter(pk=action.pk).update(status=ActionStatus.DISPATCHED)
    assert client.get("/healthz").status_code == 503

    ScheduledAction.objects.filter(pk=action.pk).update(
        status=ActionStatus.DONE, fired_at=timezone.now()
    )
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["overdue_actions"] == 0


@pytest.mark.django_db
def test_healthz_overdue_threshold_is_a_setting(client, fixed_clock, settings):
    settings.HEALTH_OVERDUE_SECONDS = 300
    _action(dt.timedelta(seconds=-120))
    assert client.get("/healthz").status_code == 200
    fixed_clock.shift(dt.timedelta(seconds=200))
    assert client.get("/healthz").status_code == 503


@pytest.mark.django_db
def test_healthz_is_degraded_while_deliveries_keep_failing_past_the_threshold(
    client, fixed_clock, settings
):
    settings.HEALTH_DELIVERY_FAILING_SECONDS = 900
    row = _failing_delivery()
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["failing_deliveries"] == 1

    fixed_clock.shift(dt.timedelta(minutes=10))
    DeliveryAttempt.objects.create(outbox=row, attempted_at=timezone.now(), ok=False)
    assert client.get("/healthz").status_code == 200  # failing for 10 minutes: not yet

    fixed_clock.shift(dt.timedelta(minutes=6))
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["failing_deliveries"] == 1
    assert 960 <= body["oldest_failing_delivery_seconds"] < 965
    assert body["reasons"] == ["1 delivery(ies) failing, the oldest for 960 s (threshold 900 s)"]

    # Given up for good is still failing until someone retries it.
    Outbox.objects.filter(pk=row.pk).update(status=DeliveryStatus.FAILED)
    assert client.get("/healthz").status_code == 503

    Outbox.objects.filter(pk=row.pk).update(status=DeliveryStatus.SENT, sent_at=timezone.now())
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["failing_deliveries"] == 0


@pytest.mark.django_db
def test_healthz_query_count_does_not_grow_with_data(
    client, fixed_clock, django_assert_num_queries
):
    for seconds in range(5):
        _action(dt.timedelta(seconds=-seconds))
        _failing_delivery()
    fixed_clock.shift(dt.timedelta(hours=1))
    with django_assert_num_queries(HEALTHZ_QUERIES):
        response = client.get("/healthz")
    assert response.json()["reasons"] and response.status_code == 503


@pytest.mark.django_db
def test_healthz_is_down_when_the_broker_is_unreachable(client, monkeypatch):
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:9/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] is False
    assert response.json()["status"] == "down"


@pytest.mark.django_db
def test_healthz_down_wins_over_degraded(client, fixed_clock, monkeypatch):
    _action(dt.timedelta(hours=-1))
    monkeypatch.setattr(celery_app.conf, "broker_url", "redis://127.0.0.1:9/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "down"
    assert response.json()["overdue_actions"] == 1


def test_healthz_refuses_writes(client):
    assert client.post("/healthz").status_code == 405
