"""Delivery never blocks the worker or holds a row lock across the network, and outlives outages."""

import contextlib
import datetime as dt
import smtplib
import socket
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.test import override_settings

from releasehub.accounts.models import Role
from releasehub.notify import services
from releasehub.notify.models import Channel, DeliveryAttempt, DeliveryStatus, Outbox
from releasehub.schedule.models import ActionKind, ScheduledAction
from tests.factories import ReleaseFactory, UserFactory, readiness_reference_data

pytestmark = [pytest.mark.clock]
NOW = dt.datetime(2026, 11, 30, 12, 30, tzinfo=dt.UTC)


class SilentServer:
    """Accepts TCP connections and never answers: an SMTP server or webhook that hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.accepted = threading.Event()
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)
            self.accepted.set()

    def __enter__(self) -> "SilentServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()
        for conn in self.connections:
            conn.close()
        self.thread.join(5)


def _smtp(port: int) -> dict:
    # No timeout in OPTIONS: EMAIL_TIMEOUT_SECONDS must still apply.
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port},
        }
    }


def _outbox(**fields) -> Outbox:
    readiness_reference_data()  # squads: an earlier transactional test may have emptied them
    release = ReleaseFactory()
    action = ScheduledAction.objects.create(release=release, kind=ActionKind.FREEZE, due_at=NOW)
    user = UserFactory(username="priya", roles=[(Role.SQUAD_REP, "patient")])
    (row,) = services.outbox_add(action=action, users=[user], subject="Freeze", body="Body")
    if fields:
        Outbox.objects.filter(pk=row.pk).update(**fields)
        row.refresh_from_db()
    return row


def _elapsed(fn) -> float:
    import time

    start = time.monotonic()
    fn()
    return time.monotonic() - start


@pytest.mark.django_db
def test_a_silent_smtp_server_fails_the_attempt_within_the_timeout():
    row = _outbox()
    with (
        SilentServer() as server,
        override_settings(MAILERS=_smtp(server.port), EMAIL_TIMEOUT_SECONDS=1),
    ):

        def deliver():
            with pytest.raises(services.DeliveryFailed):
                services.outbox_deliver(row.pk)

        assert _elapsed(deliver) < 5
    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING and row.attempts == 1
    assert "timed out" in row.last_error
    assert DeliveryAttempt.objects.filter(outbox=row, ok=False).count() == 1


@pytest.mark.django_db
def test_a_silent_chat_webhook_fails_the_attempt_within_the_timeout():
    row = _outbox()
    with (
        SilentServer() as server,
        override_settings(
            WEBHOOK_TIMEOUT_SECONDS=1,
            WEBHOOK_ALLOW_HTTP=True,
            WEBHOOK_ALLOWED_HOSTS=["127.0.0.1"],
            WEBHOOK_ALLOW_LOOPBACK=True,
        ),
    ):
        Outbox.objects.filter(pk=row.pk).update(
            channel=Channel.CHAT, recipient=f"http://127.0.0.1:{server.port}/hook"
        )

        def deliver():
            with pytest.raises(services.DeliveryFailed):
                services.outbox_deliver(row.pk)

        assert _elapsed(deliver) < 5
    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING and "timed out" in row.last_error


def test_the_settings_give_smtp_and_webhooks_a_timeout(settings):
    assert settings.EMAIL_TIMEOUT_SECONDS == 10
    assert settings.WEBHOOK_TIMEOUT_SECONDS == 10
    assert settings.DELIVERY_RETRY_HOURS == 24


@pytest.mark.django_db
def test_a_second_delivery_while_one_is_sending_does_not_send(monkeypatch):
    row = _outbox()
    sends, inner = [], []

    def send(outbox):
        sends.append(outbox.pk)
        if len(sends) == 1:
            inner.append(services.outbox_deliver(outbox.pk))

    monkeypatch.setattr(services, "_send", send)
    assert services.outbox_deliver(row.pk) == DeliveryStatus.SENT
    assert sends == [row.pk]
    assert inner == [DeliveryStatus.PENDING]


@pytest.mark.django_db
def test_a_crash_between_send_and_record_leaves_the_message_to_be_sent_again(monkeypatch):
    row = _outbox()
    with time_machine.travel(NOW, tick=False) as clock:
        Outbox.objects.filter(pk=row.pk).update(created_at=NOW, next_attempt_at=NOW)

        def crash(outbox):
            raise KeyboardInterrupt  # the worker is killed mid-send: nothing is recorded

        monkeypatch.setattr(services, "_send", crash)
        with pytest.raises(KeyboardInterrupt):
            services.outbox_deliver(row.pk)
        monkeypatch.undo()
        assert services.requeue_stale() == 0  # the claim is still live
        assert services.outbox_deliver(row.pk) == DeliveryStatus.PENDING
        assert mail.outbox == []
        clock.shift(services.lease() + services.STALE_AFTER + dt.timedelta(seconds=1))
        enqueued: list[int] = []
        monkeypatch.setattr(services, "enqueue_deliveries", enqueued.extend)
        assert services.requeue_stale() == 1 and enqueued == [row.pk]
        assert services.outbox_deliver(row.pk) == DeliveryStatus.SENT
    assert len(mail.outbox) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_row_lock_is_held_while_the_smtp_server_hangs(postgres):
    row = _outbox()
    outcome: list[object] = []

    def first_delivery():
        try:
            services.outbox_deliver(row.pk)
        except services.DeliveryFailed as exc:
            outcome.append(exc)
        finally:
            connection.close()

    with (
        SilentServer() as server,
        override_settings(MAILERS=_smtp(server.port), EMAIL_TIMEOUT_SECONDS=5),
    ):
        worker = threading.Thread(target=first_delivery)
        worker.start()
        assert server.accepted.wait(5)
        with transaction.atomic():
            locked = Outbox.objects.select_for_update(nowait=True).get(pk=row.pk)
            Outbox.objects.filter(pk=locked.pk).update(last_error="touched")
        assert services.outbox_deliver(row.pk) == DeliveryStatus.PENDING
        assert len(server.connections) == 1
        worker.join(15)
    assert outcome and not worker.is_alive()
    row.refresh_from_db()
    assert row.attempts == 1 and "timed out" in row.last_error


@pytest.mark.django_db
def test_a_ten_minute_smtp_outage_ends_with_the_message_delivered_once(monkeypatch):
    row = _outbox()
    outage = {"on": True}
    real_send = services._send

    def send(outbox):
        if outage["on"]:
            raise smtplib.SMTPConnectError(421, "down")
        real_send(outbox)

    monkeypatch.setattr(services, "_send", send)
    with time_machine.travel(NOW, tick=False) as clock:
        Outbox.objects.filter(pk=row.pk).update(created_at=NOW, next_attempt_at=NOW)
        end = NOW + dt.timedelta(minutes=10)
        while True:
            row.refresh_from_db()
            assert row.status == DeliveryStatus.PENDING
            clock.move_to(row.next_attempt_at)
            if row.next_attempt_at >= end:
                outage["on"] = False
            try:
                status = services.outbox_deliver(row.pk)
            except services.DeliveryFailed:
                continue
            break
    assert status == DeliveryStatus.SENT
    assert len(mail.outbox) == 1
    assert DeliveryAttempt.objects.filter(outbox=row, ok=True).count() == 1


@pytest.mark.django_db
def test_retries_back_off_to_fifteen_minutes_and_fail_after_24_hours(monkeypatch):
    row = _outbox()
    monkeypatch.setattr(services, "_send", lambda outbox: (_ for _ in ()).throw(OSError("down")))
    waits = []
    with time_machine.travel(NOW, tick=False) as clock:
        Outbox.objects.filter(pk=row.pk).update(created_at=NOW, next_attempt_at=NOW)
        status = None
        while status is None:
            row.refresh_from_db()
            waits.append((row.next_attempt_at - dt.datetime.now(dt.UTC)).total_seconds())
            clock.move_to(row.next_attempt_at)
            with contextlib.suppress(services.DeliveryFailed):
                status = services.outbox_deliver(row.pk)
        assert dt.datetime.now(dt.UTC) >= NOW + dt.timedelta(hours=24)
    assert status == DeliveryStatus.FAILED
    assert waits[1:5] == [5, 10, 20, 40]
    assert max(waits) == 900
    assert len(mail.outbox) == 0


@pytest.mark.django_db
def test_the_task_retries_a_refused_delivery_when_the_row_says(monkeypatch):
    from releasehub.notify.tasks import deliver

    row = _outbox()
    calls = []

    def flaky(outbox):
        calls.append(1)
        if len(calls) < 8:  # more than the old six attempts
            raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(services, "_send", flaky)
    deliver.apply(args=[row.pk])  # eager: Celery runs the retries in place
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT and row.attempts == 8


@pytest.mark.django_db
@override_settings(DEFAULT_FROM_EMAIL="ReleaseHub <noreply@releases.example.org>")
def test_an_email_carries_a_message_id_derived_from_its_outbox_row():
    row = _outbox()
    services.outbox_deliver(row.pk)
    (sent,) = mail.outbox
    assert sent.extra_headers["Message-ID"] == f"<outbox-{row.code}@releases.example.org>"
    assert f"Message-ID: <outbox-{row.code}@releases.example.org>" in sent.message().as_string()


@pytest.mark.django_db
@override_settings(DEFAULT_FROM_EMAIL="releasehub")
def test_the_message_id_falls_back_to_releasehub_when_the_sender_has_no_domain():
    row = _outbox()
    assert services.message_id(row) == f"<outbox-{row.code}@releasehub>"
