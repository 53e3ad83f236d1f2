"""The outbox: one message per (action, channel, recipient), delivered once, retried."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction

from releasehub.accounts.models import Role
from releasehub.notify import services
from releasehub.notify.models import DeliveryAttempt, DeliveryStatus, Outbox
from releasehub.notify.selectors import deliveries_for_release
from releasehub.notify.tasks import deliver
from releasehub.schedule.models import ActionKind, ScheduledAction
from tests.factories import ReleaseFactory, UserFactory

pytestmark = [pytest.mark.clock, pytest.mark.django_db]
NOW = dt.datetime(2026, 11, 30, 12, 30, tzinfo=dt.UTC)


@pytest.fixture
def message():
    release = ReleaseFactory()
    action = ScheduledAction.objects.create(release=release, kind=ActionKind.FREEZE, due_at=NOW)
    user = UserFactory(username="priya", roles=[(Role.SQUAD_REP, "patient")])
    (row,) = services.outbox_add(action=action, users=[user, user], subject="Freeze", body="Body")
    return row


def test_one_message_per_recipient_even_if_named_twice(message):
    assert Outbox.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Outbox.objects.create(
            action=message.action,
            channel=message.channel,
            recipient=message.recipient,
            subject="again",
            body="again",
            next_attempt_at=NOW,
        )


def test_delivery_sends_through_the_mail_backend_once(message):
    assert services.outbox_deliver(message.pk) == DeliveryStatus.SENT
    assert services.outbox_deliver(message.pk) == DeliveryStatus.SENT
    deliver(message.pk)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["priya@example.com"]
    assert mail.outbox[0].subject == "Freeze"
    message.refresh_from_db()
    assert message.attempts == 1 and message.sent_at is not None
    assert DeliveryAttempt.objects.filter(outbox=message, ok=True).count() == 1


def test_backoff_grows_and_is_capped():
    assert [services.backoff_seconds(n) for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert services.backoff_seconds(20) == services.BACKOFF_MAX_SECONDS


def test_a_message_whose_task_was_lost_is_enqueued_again(message, monkeypatch):
    enqueued = []
    monkeypatch.setattr(services, "enqueue_deliveries", enqueued.extend)
    with time_machine.travel(message.next_attempt_at + dt.timedelta(seconds=30), tick=False):
        assert services.requeue_stale() == 0
    with time_machine.travel(message.next_attempt_at + dt.timedelta(minutes=2), tick=False):
        assert services.requeue_stale() == 1
    assert enqueued == [message.pk]


def test_the_delivery_log_of_a_release_is_one_query(message, django_assert_num_queries):
    services.outbox_deliver(message.pk)
    release = message.action.release
    with django_assert_num_queries(1):
        rows = deliveries_for_release(release)
        assert [(r.recipient, r.status, r.action.kind) for r in rows] == [
            ("priya@example.com", "sent", "freeze")
        ]
