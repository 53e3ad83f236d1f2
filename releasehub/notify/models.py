import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    # Recipient is an incoming-webhook URL; the body is posted as Slack's {"text": ...}.
    CHAT = "chat", "Chat"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Outbox(models.Model):
    """One message to one recipient on one channel, written in the transaction of its cause.

    Its cause is a timed action or a release message the RM sent (at most one of the two; an
    e-mail about the recipient's own account, a password reset, has neither).
    Unique per (cause, channel, recipient): however often an action is delivered or a send is
    retried, each person is told once. The delivery task sends it and records every attempt.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    action = models.ForeignKey(
        "schedule.ScheduledAction",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    message = models.ForeignKey(
        "comms.Message", null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    # Copied from the action so that a release's delivery log is one index scan.
    release = models.ForeignKey(
        "releases.Release", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    recipient = models.CharField(max_length=500)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the delivery task should look at it again; the recovery sweep re-enqueues late ones.
    next_attempt_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Set while one attempt is sending: nobody else sends the row until it passes.
    claimed_until = models.DateTimeField(null=True, blank=True)
    # Retries stop here; empty means DELIVERY_RETRY_HOURS after created_at. A manual retry sets it.
    give_up_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["action", "channel", "recipient"], name="outbox_once_per_recipient"
            ),
            models.UniqueConstraint(
                fields=["message", "channel", "recipient"],
                condition=Q(message__isnull=False),
                name="outbox_message_once_per_recipient",
            ),
            # No cause at all: an e-mail about the recipient's own account (notify/account_mail.py).
            models.CheckConstraint(
                name="outbox_at_most_one_cause",
                condition=Q(action__isnull=True) | Q(message__isnull=True),
            ),
        ]
        indexes = [
            # Read by the notify recovery sweep: pending messages whose next attempt is late.
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_pending_next",
                condition=Q(status="pending"),
            ),
            # Read by the timed-actions page: the failed deliveries SRE may retry.
            models.Index(fields=["created_at"], name="outbox_failed", condition=Q(status="failed")),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.recipient}: {self.subject}"

    @property
    def cause_label(self) -> str:
        """What sent it, for the delivery log (reads the select_related cause)."""
        if self.message:
            return self.message.get_kind_display()
        return self.action.get_kind_display() if self.action else ""

    @property
    def recipient_label(self) -> str:
        # A webhook URL carries its secret in the path: show only where it goes.
        if self.channel == Channel.CHAT:
            return f"webhook {urlsplit(self.recipient).netloc}"
        return self.recipient


class DeliveryAttempt(models.Model):
    """One try at sending an outbox message. Append-only: the delivery log is evidence."""

    outbox = models.ForeignKey(Outbox, on_delete=models.PROTECT, related_name="attempts_log")
    attempted_at = models.DateTimeField()
    ok = models.BooleanField()
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["attempted_at", "id"]

    def __str__(self) -> str:
        return f"{self.attempted_at:%Y-%m-%d %H:%M} {'sent' if self.ok else 'failed'}"
