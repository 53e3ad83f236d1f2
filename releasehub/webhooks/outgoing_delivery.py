"""Sending outgoing webhook deliveries: sign, POST to a checked address, log, retry, disable.

The same shape as the notify outbox (notify/services.py): claim the row with a guarded update
that stamps a lease and counts the attempt, send outside any transaction, record the outcome
in a second short transaction guarded by that attempt number. A second task for the same row
while the lease is live does nothing, so running a delivery twice cannot send twice.
"""

import datetime as dt
import hashlib
import hmac
import json
import logging
import time

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.audit.timeline import record_event
from releasehub.notify.models import Channel, DeliveryStatus, Outbox
from releasehub.notify.services import DeliveryFailed, backoff_seconds, lease
from releasehub.notify.services import enqueue_deliveries as enqueue_mail
from releasehub.notify.targets import WebhookRefused, post_checked
from releasehub.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

# A pending delivery this late has lost its task (broker restart, killed worker): re-enqueue it.
STALE_AFTER = dt.timedelta(minutes=1)


def enqueue_deliveries(ids: list[int]) -> None:
    # By name: tasks.py calls this module, so importing it here would make a loop.
    try:
        for pk in ids:
            current_app.send_task("webhooks.deliver", args=(pk,))
    except Exception:
        # The rows stay pending; the recovery sweep re-enqueues them when the broker is back.
        log.exception("could not enqueue %d webhook deliveries", len(ids))


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", hex: what `ReleaseHub-Signature: v1=` carries."""
    signed = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signed_request(row: WebhookDelivery, secret: str, now: dt.datetime) -> tuple[bytes, dict]:
    """The exact bytes sent and the headers that sign them (docs/integrations.md)."""
    body = json.dumps(row.body, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(now.timestamp()))
    headers = {
        "User-Agent": "ReleaseHub-Webhooks/1",
        "ReleaseHub-Timestamp": timestamp,
        "ReleaseHub-Signature": f"v1={signature(secret, timestamp, body)}",
        "ReleaseHub-Event": row.type,
        "ReleaseHub-Delivery": str(row.code),
    }
    return body, headers


def _claim(delivery_id: int, now: dt.datetime) -> WebhookDelivery | None:
    """Take the row for one attempt, or None if it is not pending or another attempt holds it."""
    until = now + lease()
    with transaction.atomic():
        claimed = (
            WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
            # next_attempt_at moves with the lease, so the recovery sweep finds a crashed attempt.
            .update(claimed_until=until, next_attempt_at=until, attempts=F("attempts") + 1)
        )
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)


def _post(row: WebhookDelivery, now: dt.datetime) -> tuple[int | None, str, bool]:
    """(status code, error, refused): the error is empty for a 2xx answer."""
    body, headers = signed_request(row, row.endpoint.secret, now)
    try:
        status, reason = post_checked(
            row.endpoint.url, body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS
        )
    except WebhookRefused as exc:  # an internal address or a redirect: retrying cannot help
        return None, f"Refused target: {exc}"[:2000], True
    except Exception as exc:  # unreachable, timed out: retried until the deadline
        return None, f"{type(exc).__name__}: {exc}"[:2000], False
    return status, "" if 200 <= status < 300 else f"HTTP {status} {reason}"[:2000], False


def delivery_send(delivery_id: int) -> DeliveryStatus | None:
    """One attempt unless the row is sent, failed or being sent; DeliveryFailed to retry."""
    row = _claim(delivery_id, timezone.now())
    if row is None:
        status = WebhookDelivery.objects.filter(pk=delivery_id).values_list("status", flat=True)
        return DeliveryStatus(status[0]) if status else None
    endpoint = row.endpoint
    if not endpoint.enabled:
        code, error, refused, duration = None, "Endpoint disabled", True, 0
    else:
        started = time.monotonic()
        code, error, refused = _post(row, timezone.now())
        duration = round((time.monotonic() - started) * 1000)
    now = timezone.now()
    changes: dict = {"claimed_until": None, "last_status_code": code, "last_error": error}
    if not error:
        changes |= {"status": DeliveryStatus.SENT, "sent_at": now}
    elif refused or now >= _deadline(row):
        changes["status"] = DeliveryStatus.FAILED
    else:
        changes["next_attempt_at"] = min(
            now + dt.timedelta(seconds=backoff_seconds(row.attempts)), _deadline(row)
        )
    with transaction.atomic():
        # Guarded by the attempt number: a lease that ran out and was taken over is not ours.
        WebhookDelivery.objects.filter(pk=row.pk, attempts=row.attempts).update(**changes)
        WebhookAttempt.objects.create(
            delivery=row,
            attempted_at=now,
            ok=not error,
            status_code=code,
            error=error,
            duration_ms=duration,
        )
        if endpoint.enabled:
            _count_outcome(endpoint, ok=not error)
    row.refresh_from_db(fields=["status"])
    if error:
        log.warning("webhook delivery %s failed (attempt %d): %s", row.pk, row.attempts, error)
        if row.status == DeliveryStatus.PENDING:
            raise DeliveryFailed(error)
    return DeliveryStatus(row.status)


def _deadline(row: WebhookDelivery) -> dt.datetime:
    return row.created_at + dt.timedelta(hours=settings.DELIVERY_RETRY_HOURS)


def _count_outcome(endpoint: WebhookEndpoint, *, ok: bool) -> None:
    """A success resets the endpoint's count of failures in a row; the Nth failure disables it."""
    endpoints = WebhookEndpoint.objects.filter(pk=endpoint.pk)
    if ok:
        endpoints.update(consecutive_failures=0)
        return
    endpoints.update(consecutive_failures=F("consecutive_failures") + 1)
    limit = settings.WEBHOOK_DISABLE_AFTER
    reason = f"Disabled after {limit} failed attempts in a row"
    # Guarded: of two workers failing at once, one disables it and tells staff.
    if endpoints.filter(enabled=True, consecutive_failures__gte=limit).update(
        enabled=False, disabled_reason=reason
    ):
        _after_disabled(endpoint, reason)


def _after_disabled(endpoint: WebhookEndpoint, reason: str) -> None:
    # Nothing more goes to it; staff re-enable it on the endpoints page and send a test event.
    WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, last_error="Endpoint disabled", claimed_until=None
    )
    record_event(
        verb="webhooks.endpoint_disabled",
        target=endpoint,
        summary=f"Webhook endpoint {endpoint.name} disabled",
        reason=reason,
    )
    _tell_staff(endpoint, reason)


def _tell_staff(endpoint: WebhookEndpoint, reason: str) -> None:
    """An e-mail to every active staff member with an address, through the notify outbox."""
    page = settings.SITE_URL + f"/integrations/webhooks/{endpoint.code}/"
    body = (
        f"The outgoing webhook endpoint {endpoint.name} ({endpoint.url}) was disabled: "
        f"{reason}.\n\nNo events are sent to it until it is re-enabled: {page}"
    )
    staff = User.objects.filter(is_staff=True, is_active=True).exclude(email="")
    now = timezone.now()
    rows = Outbox.objects.bulk_create(
        Outbox(
            channel=Channel.EMAIL,
            recipient=user.email,
            user=user,
            subject=f"Webhook endpoint {endpoint.name} disabled"[:200],
            body=body,
            next_attempt_at=now,
        )
        for user in staff
    )
    ids = [row.pk for row in rows]
    transaction.on_commit(lambda: enqueue_mail(ids))


def retry_countdown(delivery_id: int) -> float:
    """Seconds until the row's next attempt, for the task's retry."""
    next_at = (
        WebhookDelivery.objects.filter(pk=delivery_id)
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    return max(0.0, (next_at - timezone.now()).total_seconds()) if next_at else 0.0


def requeue_stale(now: dt.datetime | None = None, limit: int = 500) -> int:
    """Re-enqueue pending deliveries whose task was lost; a duplicate task does nothing."""
    now = now or timezone.now()
    pending = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING)
    ids = list(
        pending.filter(next_attempt_at__lt=now - STALE_AFTER).values_list("pk", flat=True)[:limit]
    )
    if ids:
        # Push the next look further out so that one slow broker does not get flooded.
        pending.filter(pk__in=ids).update(next_attempt_at=now)
        enqueue_deliveries(ids)
    return len(ids)
