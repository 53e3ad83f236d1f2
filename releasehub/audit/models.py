"""Evidence every app writes: the timeline of state changes and the ledger of manual
intervention. Both are append-only: the database refuses UPDATE and DELETE."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from releasehub.core import limits
from releasehub.core.limits import TextLimit


class TimelineEvent(models.Model):
    """One state change, as it happened. Append-only: the database refuses UPDATE and DELETE."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Roles are copied, not joined: evidence must show what the person was at the time.
    actor_roles = models.JSONField(default=list, blank=True)
    automatic = models.BooleanField(default=False)
    verb = models.CharField(max_length=60)
    summary = models.CharField(max_length=300)
    target_type = models.CharField(max_length=60)
    target_id = models.CharField(max_length=64)
    # Every event that concerns a release names it, so a release's timeline is one index scan.
    release = models.ForeignKey(
        "releases.Release", null=True, blank=True, on_delete=models.PROTECT, related_name="timeline"
    )
    reason = models.TextField(blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    # Set when the change came through the API or a webhook (audit.timeline.acting_via): the
    # token or hook by name, and the pipeline run or delivery it reported.
    via = models.CharField(max_length=120, blank=True)
    via_url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # Read by the release page's timeline section.
            models.Index(
                fields=["release", "-occurred_at"],
                name="timeline_by_release",
                condition=models.Q(release__isnull=False),
            ),
            models.Index(fields=["target_type", "target_id"], name="timeline_by_target"),
            # Read by every live section's poll (audit/live.py): a release's latest event id.
            models.Index(
                fields=["release", "id"],
                name="timeline_version",
                condition=models.Q(release__isnull=False),
            ),
        ]
        constraints = [TextLimit(field="reason", limit=limits.RECORDED_REASON)]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.verb}: {self.summary}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Timeline events are append-only; write a new event instead.")
        super().save(*args, **kwargs)


class InterventionKind(models.TextChoices):
    GO_OVERRIDE = "go_override", "Go overriding missing readiness"
    SKIP = "skip", "Skipped step"
    FORCE = "force", "Forced step"
    MANUAL_ROLLBACK = "manual_rollback", "Manual rollback"
    MANUAL_HEALTH_MARK = "manual_health_mark", "Manual health mark"
    WINDOW_CUT_SHORT = "window_cut_short", "Monitoring window cut short"


class ManualIntervention(models.Model):
    """A ledger of every human override of the process: metrics count these per release.

    Written by readiness (a Go overriding what blocks it) and rollout (skips, forced steps,
    windows cut short, manual health marks and rollbacks), so it lives below both. Append-only.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    release = models.ForeignKey(
        "releases.Release", on_delete=models.PROTECT, related_name="manual_interventions"
    )
    kind = models.CharField(max_length=30, choices=InterventionKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    at = models.DateTimeField()

    class Meta:
        # Moved from readiness with its table, which keeps its rows and append-only triggers.
        db_table = "readiness_manualintervention"
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(name="intervention_has_reason", condition=~Q(reason="")),
            TextLimit(field="reason", limit=limits.RECORDED_REASON),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor}"
