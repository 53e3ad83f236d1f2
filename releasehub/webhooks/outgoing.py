"""Staff's writes on outgoing webhook endpoints: register, edit, re-enable, send a test event.

Where an endpoint may point is checked like a chat webhook (notify/targets.py): https (http
only with WEBHOOK_ALLOW_HTTP), and no loopback, private or other internal address unless
WEBHOOK_ALLOW_LOOPBACK allows loopback; checked when saved and again at every delivery, which
connects only to the addresses it checked. There is no host allow-list: endpoints are any
public system staff choose.
"""

import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.audit.timeline import record_event
from releasehub.core.errors import ServiceError
from releasehub.notify.targets import WebhookRefused, checked_addresses
from releasehub.webhooks.models import TEST_EVENT, WebhookDelivery, WebhookEndpoint
from releasehub.webhooks.outgoing_events import deliveries_add, event_body


def manages_webhooks(user: User) -> bool:
    """Outgoing endpoints carry a signing secret and reach other systems: staff only."""
    return user.is_staff


def endpoint_url_problem(url: str) -> str:
    """Why `url` may not be an endpoint ("" when it may): its scheme, where its host resolves."""
    parts = urlsplit(url)
    schemes = ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)
    if parts.scheme.lower() not in schemes:
        return "An endpoint must use https://." if len(schemes) == 1 else "Use http(s)://."
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        return "The port is not a number."
    if not host:
        return "The URL has no host."
    try:
        checked_addresses(host, port or 443)
    except WebhookRefused as exc:
        return f"Not an allowed target: {exc}."
    except OSError:
        return f"{host} cannot be resolved."
    return ""


def _check(url: str) -> None:
    if problem := endpoint_url_problem(url):
        raise ServiceError(problem)


@transaction.atomic
def endpoint_create(*, actor: User, name: str, url: str, events: list[str]) -> WebhookEndpoint:
    _check(url)
    endpoint = WebhookEndpoint.objects.create(
        name=name, url=url, events=sorted(events), created_by=actor
    )
    record_event(
        verb="webhooks.endpoint_created",
        target=endpoint,
        actor=actor,
        summary=f"Webhook endpoint {name} registered for {len(events)} event types",
        after={"url": url, "events": endpoint.events},
    )
    return endpoint


@transaction.atomic
def endpoint_update(
    *, endpoint: WebhookEndpoint, actor: User, name: str, url: str, events: list[str]
) -> WebhookEndpoint:
    _check(url)
    before = {"name": endpoint.name, "url": endpoint.url, "events": endpoint.events}
    after = {"name": name, "url": url, "events": sorted(events)}
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(**after)
    for field, value in after.items():
        setattr(endpoint, field, value)
    record_event(
        verb="webhooks.endpoint_updated",
        target=endpoint,
        actor=actor,
        summary=f"Webhook endpoint {name} edited",
        before=before,
        after=after,
    )
    return endpoint


@transaction.atomic
def endpoint_enable(*, endpoint: WebhookEndpoint, actor: User) -> WebhookEndpoint:
    """Send to it again, counting failures afresh; the deliveries failed meanwhile stay failed."""
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=False).update(
        enabled=True, disabled_reason="", consecutive_failures=0
    )
    if not changed:
        raise ServiceError(f"{endpoint.name} is already enabled.")
    record_event(
        verb="webhooks.endpoint_enabled",
        target=endpoint,
        actor=actor,
        summary=f"Webhook endpoint {endpoint.name} re-enabled",
        before={"disabled_reason": endpoint.disabled_reason},
    )
    endpoint.refresh_from_db()
    return endpoint


@transaction.atomic
def endpoint_send_test(*, endpoint: WebhookEndpoint, actor: User) -> WebhookDelivery:
    """A `webhook.test` event to this endpoint only, through the same outbox and signature."""
    if not WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=True).exists():
        raise ServiceError(f"{endpoint.name} is disabled; re-enable it first.")
    event_id = uuid.uuid4()
    body = event_body(
        event_id=event_id,
        event_type=TEST_EVENT,
        occurred_at=timezone.now(),
        release=None,
        data={"endpoint": endpoint.name, "sent_by": actor.get_username()},
    )
    (row,) = deliveries_add(
        endpoints=[endpoint], event_id=event_id, event_type=TEST_EVENT, body=body
    )
    record_event(
        verb="webhooks.test_sent",
        target=endpoint,
        actor=actor,
        summary=f"Test event sent to webhook endpoint {endpoint.name}",
    )
    return row
