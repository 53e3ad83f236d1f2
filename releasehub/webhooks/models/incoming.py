"""Code hosts and Alertmanager posting to ReleaseHub: the repositories staff connect, every
delivery received (kept size-limited for a while, for debugging) and the alerts heard."""

import uuid

from django.db import models

from releasehub.accounts.models import Squad
from releasehub.catalog.models import Service

__all__ = [
    "Alert",
    "AlertStatus",
    "IncomingDelivery",
    "Outcome",
    "Provider",
    "Repository",
    "Source",
]


class Provider(models.TextChoices):
    GITHUB = "github", "GitHub"
    GITLAB = "gitlab", "GitLab"


class Source(models.TextChoices):
    GITHUB = "github", "GitHub"
    GITLAB = "gitlab", "GitLab"
    ALERTMANAGER = "alertmanager", "Alertmanager"


class Repository(models.Model):
    """A repository whose hooks ReleaseHub accepts, with the secret the code host signs with
    (kept readable: an HMAC needs the secret itself, not a hash of it)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider = models.CharField(max_length=10, choices=Provider.choices)
    full_name = models.CharField(
        max_length=200, help_text="owner/name on GitHub, group/project on GitLab"
    )
    secret = models.CharField(max_length=200, help_text="The webhook secret (GitLab: the token).")
    enabled = models.BooleanField(default=True)
    squads = models.ManyToManyField(
        Squad,
        blank=True,
        related_name="+",
        help_text="The squads whose tickets this repository may mark; none means every squad.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "repositories"
        ordering = ["provider", "full_name"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "full_name"], name="repository_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.full_name}"


class Outcome(models.TextChoices):
    RECEIVED = "received", "Received"
    APPLIED = "applied", "Applied"
    IGNORED = "ignored", "Ignored"
    PARTLY = "partly", "Partly applied"


class IncomingDelivery(models.Model):
    """One accepted delivery. Its unique (source, delivery id) is what refuses a replay; a
    delivery whose signature failed is never stored (401, nothing written)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    source = models.CharField(max_length=12, choices=Source.choices)
    delivery_id = models.CharField(max_length=100)
    repository = models.ForeignKey(
        Repository, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    event = models.CharField(max_length=60)
    received_at = models.DateTimeField()
    headers = models.JSONField(default=dict)
    body = models.TextField(blank=True)
    truncated = models.BooleanField(default=False)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RECEIVED)
    detail = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "incoming deliveries"
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "delivery_id"], name="incoming_delivery_once"
            ),
        ]
        # The purge task (webhooks.purge_deliveries) and the staff list read by age.
        indexes = [models.Index(fields=["received_at"], name="incoming_delivery_received")]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.event} {self.delivery_id}"


class AlertStatus(models.TextChoices):
    FIRING = "firing", "Firing"
    RESOLVED = "resolved", "Resolved"


class Alert(models.Model):
    """An alert Alertmanager sent: one row per (fingerprint, start), so a repeated notification
    of the same alert is the same row. Kept whether or not it fell in a window."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    fingerprint = models.CharField(max_length=64)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=AlertStatus.choices)
    name = models.CharField(max_length=200, blank=True)
    service_label = models.CharField(max_length=200, blank=True)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.TextField(blank=True)
    labels = models.JSONField(default=dict)
    link = models.URLField(max_length=500, blank=True)
    received_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    # The release whose window or watch the alert fell in; null when it fell in none.
    release = models.ForeignKey(
        "releases.Release", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.TextField(blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["fingerprint", "starts_at"], name="alert_once"),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.fingerprint} ({self.get_status_display()})"
