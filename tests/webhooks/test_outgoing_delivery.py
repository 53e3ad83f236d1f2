"""Outgoing webhooks over real HTTP (#17 item 3): a signed event the receiver verifies with the
docs' example, retries with backoff, disabling after repeated failures, and address checks."""

import datetime as dt
import json
import time

import pytest
import time_machine
from django.db import transaction

from releasehub.audit.models import TimelineEvent
from releasehub.audit.timeline import record_event
from releasehub.core.errors import ServiceError
from releasehub.notify.models import Outbox
from releasehub.notify.services import DeliveryFailed
from releasehub.releases.clock import IST, default_window
from releasehub.releases.services.lifecycle import release_create, release_move
from releasehub.webhooks import outgoing_delivery
from releasehub.webhooks.models import EventType, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from releasehub.webhooks.outgoing import endpoint_create, endpoint_url_problem
from releasehub.webhooks.tasks import deliver
from tests.factories import UserFactory, rm
from tests.webhooks.outgoing_server import Receiver, capture_enqueued, docs_verifier

pytestmark = [pytest.mark.clock, pytest.mark.django_db]

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=IST)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def local(settings):
    """The receiver runs on this machine: loopback and plain http allowed, as in development."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    settings.WEBHOOK_DISABLE_AFTER = 3


@pytest.fixture
def enqueued(monkeypatch) -> list[int]:
    return capture_enqueued(monkeypatch)


@pytest.fixture
def staff():
    return UserFactory(username="ops-admin", is_staff=True, email="ops@example.com")


def _endpoint(receiver: Receiver, staff, events=(EventType.RELEASE_MOVED,)) -> WebhookEndpoint:
    endpoint = endpoint_create(actor=staff, name="Deploy bot", url=receiver.url, events=events)
    receiver.secret = endpoint.secret
    return endpoint


def _moved_release(django_capture_on_commit_callbacks):
    start, end = default_window(dt.date(2026, 12, 2))
    release = release_create(version="2026.12.02", window_start=start, window_end=end, actor=rm())
    later = default_window(dt.date(2026, 12, 9))
    with django_capture_on_commit_callbacks(execute=True):
        release_move(
            release=release, window_start=later[0], window_end=later[1], actor=rm(), reason="Late"
        )
    return release


def test_a_moved_release_reaches_the_endpoint_signed_and_verified(
    local, enqueued, staff, django_capture_on_commit_callbacks
):
    with Receiver([204]) as receiver:
        endpoint = _endpoint(receiver, staff)
        release = _moved_release(django_capture_on_commit_callbacks)
        (delivery,) = WebhookDelivery.objects.all()  # the creation is not an event it wants
        assert enqueued == [delivery.pk]
        deliver(delivery.pk)
    (got,) = receiver.received
    assert got.verified
    body = json.loads(got.body)
    event = TimelineEvent.objects.get(verb="release.moved")
    assert got.headers["ReleaseHub-Event"] == "release.moved"
    assert got.headers["ReleaseHub-Delivery"] == str(delivery.code)
    assert got.headers["ReleaseHub-Timestamp"] == str(int(NOW.timestamp()))
    assert body["id"] == str(event.code) and body["type"] == "release.moved"
    assert body["release"]["version"] == "2026.12.02"
    assert body["release"]["code"] == str(release.code)
    assert body["release"]["window_start"] == "2026-12-09T04:30:00+00:00"
    assert body["release"]["url"].endswith(f"/releases/{release.code}/")
    assert body["data"]["reason"] == "Late"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("sent", 1, 204)
    (attempt,) = WebhookAttempt.objects.all()
    assert attempt.ok and attempt.status_code == 204 and attempt.duration_ms >= 0
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).consecutive_failures == 0


def test_a_receiver_refuses_a_body_changed_after_signing(local, enqueued, staff):
    with Receiver([200]) as receiver:
        endpoint = _endpoint(receiver, staff)
    verify = docs_verifier()
    row = WebhookDelivery(type="webhook.test", body={"id": "x"})
    body, headers = outgoing_delivery.signed_request(row, endpoint.secret, NOW)
    assert verify(endpoint.secret, headers, body)
    assert not verify(endpoint.secret, headers, body.replace(b"x", b"y"))
    assert not verify("whsec_other", headers, body)
    # Past the tolerance an old signature is a replay.
    with time_machine.travel(time.time() + 301):
        assert not verify(endpoint.secret, headers, body)


def test_two_failures_then_the_third_attempt_succeeds_after_the_backoff(
    local, enqueued, staff, clock, django_capture_on_commit_callbacks
):
    with Receiver([500, 500, 200]) as receiver:
        endpoint = _endpoint(receiver, staff)
        _moved_release(django_capture_on_commit_callbacks)
        (delivery,) = WebhookDelivery.objects.all()
        for backoff in (5, 10):
            with pytest.raises(DeliveryFailed, match="HTTP 500"):
                deliver(delivery.pk)
            assert outgoing_delivery.retry_countdown(delivery.pk) == backoff
            clock.shift(dt.timedelta(seconds=backoff))
        deliver(delivery.pk)
    assert [r.verified for r in receiver.received] == [True, True, True]
    assert len({r.headers["ReleaseHub-Delivery"] for r in receiver.received}) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 3)
    log = list(WebhookAttempt.objects.values_list("status_code", "ok", "attempted_at"))
    assert log == [
        (500, False, NOW),
        (500, False, NOW + dt.timedelta(seconds=5)),
        (200, True, NOW + dt.timedelta(seconds=15)),
    ]
    # Two failures are under WEBHOOK_DISABLE_AFTER = 3, and the success starts the count again.
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.consecutive_failures == 0
    assert deliver(delivery.pk) is None and len(receiver.received) == 3  # a duplicate task


def test_an_endpoint_is_disabled_after_the_configured_failures_and_staff_are_told(
    local, enqueued, staff, clock, django_capture_on_commit_callbacks
):
    UserFactory(username="rep", email="rep@example.com")  # not staff: not told
    with Receiver([503]) as receiver:
        endpoint = _endpoint(receiver, staff)
        _moved_release(django_capture_on_commit_callbacks)
        (delivery,) = WebhookDelivery.objects.all()
        for attempt in range(3):
            with django_capture_on_commit_callbacks(execute=False):
                if attempt < 2:
                    with pytest.raises(DeliveryFailed):
                        deliver(delivery.pk)
                else:
                    deliver(delivery.pk)  # the third failure disables: no retry
            clock.shift(dt.timedelta(minutes=1))
        assert deliver(delivery.pk) is None
    assert len(receiver.received) == 3
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.consecutive_failures == 3
    assert endpoint.disabled_reason == "Disabled after 3 failed attempts in a row"
    delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.last_status_code == 503
    (mail,) = Outbox.objects.all()
    assert mail.recipient == "ops@example.com" and "Deploy bot disabled" in mail.subject
    assert f"/integrations/webhooks/{endpoint.code}/" in mail.body
    assert TimelineEvent.objects.filter(verb="webhooks.endpoint_disabled").count() == 1


def test_no_event_is_queued_for_a_disabled_endpoint_or_one_that_does_not_want_it(
    local, enqueued, staff, django_capture_on_commit_callbacks
):
    with Receiver([200]) as receiver:
        _endpoint(receiver, staff, events=[EventType.RELEASE_CREATED])
        off = _endpoint(receiver, staff, events=[EventType.RELEASE_MOVED])
        WebhookEndpoint.objects.filter(pk=off.pk).update(enabled=False)
        _moved_release(django_capture_on_commit_callbacks)
    assert list(WebhookDelivery.objects.values_list("type", flat=True)) == ["release.created"]


def test_an_event_rolled_back_with_its_change_sends_nothing(local, enqueued, staff):
    with Receiver([200]) as receiver:
        _endpoint(receiver, staff, events=[EventType.RELEASE_CREATED])
    start, end = default_window(dt.date(2026, 12, 2))
    with pytest.raises(RuntimeError), transaction.atomic():
        release_create(version="2026.12.02", window_start=start, window_end=end, actor=rm())
        raise RuntimeError("the request failed after the event")
    assert not WebhookDelivery.objects.exists() and enqueued == []


def test_the_listener_costs_no_query_for_other_events_and_one_for_webhook_events(
    staff, django_assert_num_queries
):
    # Every state change runs it: a verb that is no webhook event reads nothing.
    with django_assert_num_queries(1):  # the event's own INSERT
        record_event(verb="readiness.item_updated", target=staff, summary="x")
    with django_assert_num_queries(2):  # the INSERT and the enabled endpoints
        record_event(verb="incident.resolved", target=staff, summary="x")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:19400/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://169.254.169.254/latest",
        "https://[::1]/hook",
    ],
)
def test_an_internal_address_is_refused(settings, url):
    settings.WEBHOOK_ALLOW_HTTP = True
    assert "Not an allowed target" in endpoint_url_problem(url)
    with pytest.raises(ServiceError, match="Not an allowed target"):
        endpoint_create(
            actor=UserFactory(is_staff=True), name="x", url=url, events=["hotfix.approved"]
        )
    assert not WebhookEndpoint.objects.exists()


def test_plain_http_and_loopback_need_their_settings(settings):
    assert endpoint_url_problem("http://127.0.0.1:19400/") == "An endpoint must use https://."
    settings.WEBHOOK_ALLOW_HTTP = True
    assert "loopback" in endpoint_url_problem("http://127.0.0.1:19400/")
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    assert endpoint_url_problem("http://127.0.0.1:19400/") == ""
    assert "private" in endpoint_url_problem("http://10.0.0.1/")  # loopback only


def test_a_delivery_to_a_target_no_longer_allowed_fails_at_once_without_a_request(
    local, settings, enqueued, staff, django_capture_on_commit_callbacks
):
    with Receiver([200]) as receiver:
        _endpoint(receiver, staff)
        _moved_release(django_capture_on_commit_callbacks)
        settings.WEBHOOK_ALLOW_LOOPBACK = False
        (delivery,) = WebhookDelivery.objects.all()
        deliver(delivery.pk)  # refused: no retry
    assert receiver.received == []
    delivery.refresh_from_db()
    assert delivery.status == "failed" and "loopback" in delivery.last_error
