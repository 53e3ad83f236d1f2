"""Endpoints of other systems that ReleaseHub posts events to, and each delivery's log."""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from releasehub.notify.models import DeliveryStatus

__all__ = ["TEST_EVENT", "EventType", "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint"]

# Sent only by the "Send test event" button, so it is no choice an endpoint subscribes to.
TEST_EVENT = "webhook.test"


class EventType(models.TextChoices):
    RELEASE_CREATED = "release.created", "Release created"
    RELEASE_MOVED = "release.moved", "Release moved"
    RELEASE_FROZEN = "release.frozen", "Code freeze started"
    GO_NO_GO_DECIDED = "release.go_no_go_decided", "Go/No-Go decided"
    PROMOTION_DONE = "rollout.promotion_done", "Promotion done"
    WINDOW_HEALTHY = "rollout.window_closed_healthy", "Monitoring window closed healthy"
    WINDOW_UNHEALTHY = "rollout.window_closed_unhealthy", "Monitoring window closed unhealthy"
    ROLLBACK = "rollout.rollback", "Rollback started"
    RELEASE_COMPLETED = "release.completed", "Release completed"
    INCIDENT_OPENED = "incident.opened", "Incident opened"
    INCIDENT_RESOLVED = "incident.resolved", "Incident resolved"
    HOTFIX_APPROVED = "hotfix.approved", "Hotfix approved"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """A URL staff registered for some event types. The secret is kept in the clear because
    signing needs it; staff can read it on the endpoint's page (docs/integrations.md)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=80, default=new_secret, editable=False)
    # EventType values; a JSON list so that the listener reads every endpoint in one query.
    events = models.JSONField(default=list, blank=True)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # Failed attempts in a row, any delivery; a success resets it (WEBHOOK_DISABLE_AFTER).
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def wants(self, event_type: str) -> bool:
        return self.enabled and event_type in self.events


class WebhookDelivery(models.Model):
    """One event for one endpoint: the outbox row, written in the transaction of the event, and
    the delivery's state. Unique per (endpoint, event) so that an event is sent once."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="+")
    event_id = models.UUIDField()
    type = models.CharField(max_length=60)
    body = models.JSONField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # Set while one attempt is sending: nobody else sends the row until it passes.
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="webhookdelivery_once_per_event"
            ),
        ]
        indexes = [
            # Read by the webhooks recovery sweep: pending deliveries whose next attempt is late.
            models.Index(
                fields=["next_attempt_at"],
                name="webhookdelivery_pending_next",
                condition=Q(status="pending"),
            ),
            # Read by the endpoint's delivery log, newest first.
            models.Index(fields=["endpoint", "-created_at"], name="webhookdelivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.type} to {self.endpoint_id}"


class WebhookAttempt(models.Model):
    """One POST of a delivery: the answer's status code or the error, and how long it took."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempts_log"
    )
    attempted_at = models.DateTimeField()
    ok = models.BooleanField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField()

    class Meta:
        ordering = ["attempted_at", "id"]

    def __str__(self) -> str:
        return f"{self.attempted_at:%Y-%m-%d %H:%M} {self.status_code or self.error[:40]}"
