"""The outbox: messages are written with the change that causes them and delivered after commit.

Delivery locks the row, sends, and marks it sent in one transaction, so two deliveries of the
same message (a retried task and a recovery re-enqueue) send it once. The one gap left is a
process killed between the SMTP server accepting the message and the commit: the message is
then sent again, which e-mail (an at-least-once channel anyway) tolerates.
"""

import datetime as dt
import json
import logging
import urllib.request
from collections.abc import Iterable

from celery import current_app
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.notify.models import Channel, DeliveryAttempt, DeliveryStatus, Outbox

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# A chat webhook that hangs must not hold a worker (and the row lock) for long.
CHAT_TIMEOUT_SECONDS = 5
BACKOFF_BASE_SECONDS = 5
BACKOFF_MAX_SECONDS = 600
# A pending message this late has lost its task (broker restart, killed worker): re-enqueue it.
STALE_AFTER = dt.timedelta(minutes=1)


class DeliveryFailed(Exception):
    """The channel refused or could not be reached; the task retries with a backoff."""


def backoff_seconds(attempts: int) -> int:
    """Seconds before retry number `attempts` (1 → 5 s, 2 → 10 s, ... at most 10 minutes)."""
    return min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))


def outbox_add(*, action, users: Iterable[User], subject: str, body: str) -> list[Outbox]:
    """Queue one e-mail per distinct recipient address; delivery starts when the caller commits."""

    now = timezone.now()
    recipients: dict[str, User] = {}
    for user in users:
        if user.email and user.is_active:
            recipients.setdefault(user.email.lower(), user)
    rows = Outbox.objects.bulk_create(
        Outbox(
            action=action,
            release_id=action.release_id,
            channel=Channel.EMAIL,
            recipient=email,
            user=user,
            subject=subject[:200],
            body=body,
            next_attempt_at=now,
        )
        for email, user in sorted(recipients.items())
    )
    ids = [row.pk for row in rows]
    transaction.on_commit(lambda: enqueue_deliveries(ids))
    return rows


def outbox_add_for_message(
    *, message, recipients: Iterable[tuple[str, str, User | None]], subject: str, body: str
) -> list[Outbox]:
    """Queue a sent release message: one row per distinct (channel, recipient)."""
    now = timezone.now()
    unique: dict[tuple[str, str], User | None] = {}
    for channel, recipient, user in recipients:
        key = (channel, recipient.lower() if channel == Channel.EMAIL else recipient)
        if key[1] and (key not in unique or unique[key] is None):
            unique[key] = user
    rows = Outbox.objects.bulk_create(
        Outbox(
            message=message,
            release_id=message.release_id,
            channel=channel,
            recipient=recipient,
            user=user,
            subject=subject[:200],
            body=body,
            next_attempt_at=now,
        )
        for (channel, recipient), user in sorted(unique.items(), key=lambda kv: kv[0])
    )
    ids = [row.pk for row in rows]
    transaction.on_commit(lambda: enqueue_deliveries(ids))
    return rows


def enqueue_deliveries(ids: list[int]) -> None:
    # By name: the tasks module calls this one, so importing it here would make a loop.
    try:
        for pk in ids:
            current_app.send_task("notify.deliver", args=(pk,))
    except Exception:
        # The rows stay pending; the recovery sweep re-enqueues them when the broker is back.
        log.exception("could not enqueue %d outbox deliveries", len(ids))


def post_chat(url: str, text: str) -> None:
    """POST Slack's incoming-webhook JSON; any non-2xx answer or timeout raises."""
    if not url.startswith(("https://", "http://")):
        raise DeliveryFailed("a chat webhook must be an http(s) URL")
    request = urllib.request.Request(
        url,
        data=json.dumps({"text": text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=CHAT_TIMEOUT_SECONDS) as answer:
        answer.read(1024)


def _send(row: Outbox) -> None:
    if row.channel == Channel.CHAT:
        post_chat(row.recipient, f"*{row.subject}*\n{row.body}")
    elif row.channel == Channel.EMAIL:
        send_mail(
            row.subject, row.body, settings.DEFAULT_FROM_EMAIL, [row.recipient], using="default"
        )
    else:
        raise DeliveryFailed(f"unknown channel {row.channel}")


def outbox_deliver(outbox_id: int) -> DeliveryStatus | None:
    """Send one message unless it was already sent; raise DeliveryFailed to be retried."""
    error = ""
    with transaction.atomic():
        row = Outbox.objects.select_for_update().filter(pk=outbox_id).first()
        if row is None or row.status != DeliveryStatus.PENDING:
            return DeliveryStatus(row.status) if row else None
        now = timezone.now()
        row.attempts += 1
        try:
            _send(row)
        except Exception as exc:  # any channel error is logged, retried, then given up on
            error = f"{type(exc).__name__}: {exc}"[:2000]
            row.last_error = error
            if row.attempts >= MAX_ATTEMPTS:
                row.status = DeliveryStatus.FAILED
            row.next_attempt_at = now + dt.timedelta(seconds=backoff_seconds(row.attempts))
        else:
            row.status = DeliveryStatus.SENT
            row.sent_at = now
        row.save(update_fields=["attempts", "status", "sent_at", "last_error", "next_attempt_at"])
        DeliveryAttempt.objects.create(outbox=row, attempted_at=now, ok=not error, error=error)
    if error:
        log.warning("delivery of outbox %s failed (attempt %d): %s", row.pk, row.attempts, error)
        if row.status == DeliveryStatus.PENDING:
            raise DeliveryFailed(error)
    return DeliveryStatus(row.status)


def requeue_stale(now: dt.datetime | None = None, limit: int = 500) -> int:
    """Re-enqueue pending messages whose task was lost. Delivery is idempotent, so a message
    whose task is merely slow is harmless to enqueue twice."""
    now = now or timezone.now()
    ids = list(
        Outbox.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lt=now - STALE_AFTER
        ).values_list("pk", flat=True)[:limit]
    )
    if ids:
        # Push the next look further out so that one slow broker does not get flooded.
        Outbox.objects.filter(pk__in=ids, status=DeliveryStatus.PENDING).update(next_attempt_at=now)
        enqueue_deliveries(ids)
    return len(ids)
