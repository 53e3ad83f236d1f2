"""The outbox: messages are written with the change that causes them and delivered after commit.

Delivery never holds a row lock across the network: it claims the row (a guarded update that
stamps a lease and counts the attempt, committed at once), sends outside any transaction with a
timeout, then records the outcome in a second short transaction guarded by that attempt number.
A second delivery of the same row while the lease is live does nothing. A process killed between
the send and the record leaves the row pending with a lease that runs out, and the recovery sweep
sends it again; the stable Message-ID lets mail clients recognise that duplicate.
"""

import datetime as dt
import logging
from collections.abc import Iterable
from email.utils import parseaddr

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.audit.timeline import record_event
from releasehub.notify.models import Channel, DeliveryAttempt, DeliveryStatus, Outbox
from releasehub.notify.targets import WebhookRefused, post_json

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 5
# Capped so that a message retried through a long outage goes out within 15 minutes of its end.
BACKOFF_MAX_SECONDS = 900
# A pending message this late has lost its task (broker restart, killed worker): re-enqueue it.
STALE_AFTER = dt.timedelta(minutes=1)


class DeliveryFailed(Exception):
    """The channel refused or could not be reached; the task retries with a backoff."""


def backoff_seconds(attempts: int) -> int:
    """Seconds before retry number `attempts` (1 → 5 s, 2 → 10 s, ... at most 15 minutes)."""
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
    """POST Slack's incoming-webhook JSON to a checked target (targets.py): WebhookRefused for a
    target that may not be used, any other error for a non-2xx answer or a timeout."""
    post_json(url, {"text": text}, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)


def message_id(row: Outbox) -> str:
    """The same for every send of one row, so a resend after a crash is a recognisable duplicate."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "releasehub"
    return f"<outbox-{row.code}@{domain}>"


def _mailer():
    mailer = mailers["default"]
    # A MAILERS entry written without a timeout must still not hang a worker on a silent server.
    if getattr(mailer, "timeout", False) is None:
        setattr(mailer, "timeout", settings.EMAIL_TIMEOUT_SECONDS)  # noqa: B010 (SMTP only)
    return mailer


def _send(row: Outbox) -> None:
    if row.channel == Channel.CHAT:
        post_chat(row.recipient, f"*{row.subject}*\n{row.body}")
    elif row.channel == Channel.EMAIL:
        email = EmailMessage(
            row.subject,
            row.body,
            settings.DEFAULT_FROM_EMAIL,
            [row.recipient],
            headers={"Message-ID": message_id(row)},
        )
        _mailer().send_messages([email])
    else:
        raise DeliveryFailed(f"unknown channel {row.channel}")


def lease() -> dt.timedelta:
    """How long a claimed row is left alone: longer than any send can take with its timeouts."""
    return dt.timedelta(
        seconds=2 * max(settings.EMAIL_TIMEOUT_SECONDS, settings.WEBHOOK_TIMEOUT_SECONDS) + 30
    )


def retry_deadline(row: Outbox) -> dt.datetime:
    return row.give_up_at or row.created_at + dt.timedelta(hours=settings.DELIVERY_RETRY_HOURS)


def _claim(outbox_id: int, now: dt.datetime) -> Outbox | None:
    """Take the row for one attempt, or None if it is not pending or another attempt holds it."""
    until = now + lease()
    with transaction.atomic():
        claimed = (
            Outbox.objects.filter(pk=outbox_id, status=DeliveryStatus.PENDING)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
            # next_attempt_at moves with the lease, so the recovery sweep finds a crashed attempt.
            .update(claimed_until=until, next_attempt_at=until, attempts=F("attempts") + 1)
        )
    return Outbox.objects.get(pk=outbox_id) if claimed else None


def outbox_deliver(outbox_id: int) -> DeliveryStatus | None:
    """Send one message unless it is sent, failed or being sent; raise DeliveryFailed to retry."""
    row = _claim(outbox_id, timezone.now())
    if row is None:
        status = Outbox.objects.filter(pk=outbox_id).values_list("status", flat=True).first()
        return DeliveryStatus(status) if status else None
    error, refused = "", False
    try:
        _send(row)
    except WebhookRefused as exc:  # the target itself is refused: retrying cannot help
        error, refused = f"Refused target: {exc}"[:2000], True
    except Exception as exc:  # any channel error is logged and retried until the deadline
        error = f"{type(exc).__name__}: {exc}"[:2000]
    now = timezone.now()
    changes: dict = {"claimed_until": None}
    if not error:
        changes |= {"status": DeliveryStatus.SENT, "sent_at": now}
    else:
        changes["last_error"] = error
        next_at = now + dt.timedelta(seconds=backoff_seconds(row.attempts))
        if refused or now >= retry_deadline(row):
            changes["status"] = DeliveryStatus.FAILED
        else:
            changes["next_attempt_at"] = min(next_at, retry_deadline(row))
    with transaction.atomic():
        # Guarded by the attempt number: a lease that ran out and was taken over is not ours.
        Outbox.objects.filter(pk=row.pk, attempts=row.attempts).update(**changes)
        DeliveryAttempt.objects.create(outbox=row, attempted_at=now, ok=not error, error=error)
    row.refresh_from_db()
    if error:
        log.warning("delivery of outbox %s failed (attempt %d): %s", row.pk, row.attempts, error)
        if row.status == DeliveryStatus.PENDING:
            raise DeliveryFailed(error)
    return DeliveryStatus(row.status)


def retry_countdown(outbox_id: int) -> float:
    """Seconds until the row's next attempt, for the task's retry."""
    next_at = Outbox.objects.filter(pk=outbox_id).values_list("next_attempt_at", flat=True).first()
    return max(0.0, (next_at - timezone.now()).total_seconds()) if next_at else 0.0


def outbox_retry(rows: Iterable[Outbox], *, actor: User) -> int:
    """SRE/staff: send failed messages again, with a fresh retry window; one timeline event each."""
    now = timezone.now()
    retried = []
    with transaction.atomic():
        for row in rows:
            changed = Outbox.objects.filter(pk=row.pk, status=DeliveryStatus.FAILED).update(
                status=DeliveryStatus.PENDING,
                next_attempt_at=now,
                claimed_until=None,
                # The retry window counts from the retry, not from the first send.
                give_up_at=now + dt.timedelta(hours=settings.DELIVERY_RETRY_HOURS),
            )
            if changed:
                retried.append(row.pk)
                record_event(
                    verb="notify.retried",
                    target=row,
                    release=row.release,
                    actor=actor,
                    summary=f"Delivery of {row.subject!r} to {row.recipient_label} retried by hand",
                )
        transaction.on_commit(lambda: enqueue_deliveries(retried))
    return len(retried)


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
