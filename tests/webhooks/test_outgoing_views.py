"""The staff pages of the outgoing webhooks: register with checkboxes, the delivery log at a
fixed query count, "Send test event", re-enable; everyone else gets a 403 and writes nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from releasehub.accounts.models import Role
from releasehub.audit.models import TimelineEvent
from releasehub.webhooks.models import (
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from tests.factories import SESSION_QUERIES, UserFactory, user_with
from tests.webhooks.outgoing_server import capture_enqueued

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:19401/hook"


@pytest.fixture(autouse=True)
def local(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_LOOPBACK = True


@pytest.fixture
def enqueued(monkeypatch) -> list[int]:
    return capture_enqueued(monkeypatch)


@pytest.fixture
def staff(client):
    user = UserFactory(username="ops-admin", is_staff=True)
    client.force_login(user)
    return user


@pytest.fixture
def endpoint() -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        name="Deploy bot", url=URL, events=[EventType.RELEASE_MOVED]
    )


def _writes() -> tuple[int, int, int]:
    return (
        WebhookEndpoint.objects.count(),
        WebhookDelivery.objects.count(),
        TimelineEvent.objects.count(),
    )


@pytest.mark.parametrize("role", [Role.RELEASE_MANAGER, Role.SRE, Role.LEADERSHIP])
def test_others_are_refused_every_action_and_nothing_is_written(client, endpoint, role):
    client.force_login(user_with(role))
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False)
    before = _writes()
    base = f"/integrations/webhooks/{endpoint.code}/"
    form = {"name": "Mine", "url": URL, "events": [EventType.RELEASE_CREATED]}
    for path, data in [
        (f"{base}test/", {}),
        (f"{base}enable/", {}),
        (f"{base}edit/", form),
        ("/integrations/webhooks/new/", form),
    ]:
        assert client.post(path, data).status_code == 403, path
    for path in ["/integrations/webhooks/", base, f"{base}edit/"]:
        assert client.get(path).status_code == 403, path
    assert _writes() == before
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.name == "Deploy bot"


def test_staff_register_an_endpoint_with_its_events_as_checkboxes(client, staff):
    page = client.get("/integrations/webhooks/new/").content.decode()
    assert 'type="checkbox" name="events" value="release.moved"' in page
    response = client.post(
        "/integrations/webhooks/new/",
        {"name": "Deploy bot", "url": URL, "events": ["release.moved", "hotfix.approved"]},
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/integrations/webhooks/{endpoint.code}/"
    assert endpoint.events == ["hotfix.approved", "release.moved"]
    assert endpoint.secret.startswith("whsec_") and endpoint.created_by == staff
    assert TimelineEvent.objects.filter(verb="webhooks.endpoint_created").count() == 1
    detail = client.get(response["Location"]).content.decode()
    assert endpoint.secret in detail  # staff may read it back
    assert "Deploy bot" in client.get("/integrations/webhooks/").content.decode()


def test_a_private_address_or_no_event_is_a_message_and_writes_nothing(client, staff):
    response = client.post(
        "/integrations/webhooks/new/",
        {"name": "Inside", "url": "http://10.0.0.7/hook", "events": ["release.moved"]},
    )
    assert response.status_code == 400
    assert "10.0.0.7, a private address" in response.content.decode()
    response = client.post("/integrations/webhooks/new/", {"name": "None", "url": URL})
    assert response.status_code == 400 and "Choose at least one event." in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_staff_edit_the_events_of_an_endpoint(client, staff, endpoint):
    response = client.post(
        f"/integrations/webhooks/{endpoint.code}/edit/",
        {"name": "Deploy bot 2", "url": URL, "events": ["incident.opened"]},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.events) == ("Deploy bot 2", ["incident.opened"])
    event = TimelineEvent.objects.get(verb="webhooks.endpoint_updated")
    assert event.before["events"] == ["release.moved"]


def test_send_test_event_queues_a_signed_test_delivery_for_that_endpoint(
    client, staff, endpoint, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/integrations/webhooks/{endpoint.code}/test/")
    assert response.status_code == 302
    delivery = WebhookDelivery.objects.get()
    assert enqueued == [delivery.pk]
    assert delivery.type == "webhook.test" and delivery.endpoint_id == endpoint.pk
    assert delivery.body["data"] == {"endpoint": "Deploy bot", "sent_by": "ops-admin"}
    assert delivery.body["release"] is None
    page = client.get(response["Location"]).content.decode()
    assert "Test event queued" in page and "webhook.test" in page


def test_a_disabled_endpoint_is_re_enabled_by_staff(client, staff, endpoint):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        enabled=False, disabled_reason="Disabled after 10 failed attempts in a row"
    )
    page = client.get(f"/integrations/webhooks/{endpoint.code}/").content.decode()
    assert "Disabled after 10 failed attempts in a row" in page and "Re-enable" in page
    test = client.post(f"/integrations/webhooks/{endpoint.code}/test/", follow=True)
    assert "is disabled; re-enable it first" in test.content.decode()
    assert not WebhookDelivery.objects.exists()
    client.post(f"/integrations/webhooks/{endpoint.code}/enable/")
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.consecutive_failures == 0 and not endpoint.disabled_reason
    assert TimelineEvent.objects.filter(verb="webhooks.endpoint_enabled").count() == 1
    again = client.post(f"/integrations/webhooks/{endpoint.code}/enable/", follow=True)
    assert "already enabled" in again.content.decode()


def _log(endpoint: WebhookEndpoint, n: int) -> None:
    now = timezone.now()
    for i in range(n):
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_id=f"00000000-0000-0000-0000-{i:012d}",
            type="release.moved",
            body={},
            next_attempt_at=now,
            created_at=now - dt.timedelta(minutes=i),
            status="sent",
            attempts=2,
        )
        for code in (500, 200):
            WebhookAttempt.objects.create(
                delivery=delivery, attempted_at=now, ok=code == 200, status_code=code, duration_ms=7
            )


def test_the_delivery_log_is_paginated_at_a_fixed_query_count(
    client, staff, endpoint, django_assert_num_queries
):
    url = f"/integrations/webhooks/{endpoint.code}/"
    _log(endpoint, 3)
    # session, user, the user's roles (header), endpoint, count, deliveries, their attempts
    with django_assert_num_queries(SESSION_QUERIES + 6):
        page = client.get(url).content.decode()
    assert page.count("HTTP 500") == 3 and page.count("HTTP 200") == 3
    WebhookDelivery.objects.all().delete()
    _log(endpoint, 40)
    with django_assert_num_queries(SESSION_QUERIES + 6):
        page = client.get(url).content.decode()
    assert page.count("HTTP 200") == 25 and 'rel="next"' in page
    second = client.get(url + "?page=2").content.decode()
    assert second.count("HTTP 200") == 15
