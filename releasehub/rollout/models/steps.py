"""Release day's steps, in the order each service or app goes through them, and the RM's log."""

import uuid

from django.db import models
from django.db.models import Q

from releasehub.core import limits
from releasehub.core.limits import TextLimit
from releasehub.rollout.models.component import USER, Component, service_xor_app


class Step(models.TextChoices):
    STAGING_DEPLOYED = "staging_deployed", "Deployed to staging"
    STAGING_SMOKE = "staging_smoke", "Staging smoke test"
    PROMOTION_STARTED = "promotion_started", "Production promotion started"
    PROMOTION_FINISHED = "promotion_finished", "Production promotion finished"
    HEALTH = "health", "Monitoring observation"
    WINDOW_CUT_SHORT = "window_cut_short", "Monitoring window cut short"
    SKIPPED = "skipped", "Skipped"
    BUILD_TRIGGERED = "build_triggered", "Build triggered"
    CANARY_STARTED = "canary_started", "Canary started"
    CANARY_VALIDATED = "canary_validated", "Canary validated"
    FULL_ROLLOUT = "full_rollout", "Full rollout"
    FLAGS_TOGGLED = "flags_toggled", "Feature flags toggled"
    CDN = "cdn", "CDN cache"


# The order each component goes through; the service checks that the previous one is recorded.
SERVICE_STEPS = (
    Step.STAGING_DEPLOYED,
    Step.STAGING_SMOKE,
    Step.PROMOTION_STARTED,
    Step.PROMOTION_FINISHED,
)
APP_STEPS = (Step.BUILD_TRIGGERED, Step.CANARY_STARTED, Step.CANARY_VALIDATED, Step.FULL_ROLLOUT)
APP_AFTER_FULL = (Step.FLAGS_TOGGLED, Step.CDN)
# Kinds that may be recorded again (a re-run smoke test, a new observation): each new row
# supersedes the current one, so the chain has one current row however many people click.
REPEATABLE = (Step.STAGING_SMOKE, Step.HEALTH)


class RolloutStep(Component):
    """One step of one service or app on release day: who did it, when, and what they saw."""

    kind = models.CharField(max_length=20, choices=Step.choices)
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    # Staging smoke passed; the service looked healthy; the CDN was cleared (False: not needed).
    passed = models.BooleanField(null=True, blank=True)
    p95_ms = models.PositiveIntegerField(null=True, blank=True)
    error_rate = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)
    link = models.URLField(max_length=300, blank=True)
    build_id = models.CharField(max_length=80, blank=True)
    percent = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            service_xor_app("rolloutstep_service_xor_app"),
            # A double click (or two people at once) records a step once.
            models.UniqueConstraint(
                fields=["release", "service", "kind"],
                condition=Q(service__isnull=False, supersedes__isnull=True),
                name="rolloutstep_service_first_once",
            ),
            models.UniqueConstraint(
                fields=["release", "app", "kind"],
                condition=Q(app__isnull=False, supersedes__isnull=True),
                name="rolloutstep_app_first_once",
            ),
            models.CheckConstraint(
                name="rolloutstep_canary_percent",
                condition=Q(percent__isnull=True) | Q(percent__gte=1, percent__lte=100),
            ),
            TextLimit(field="note", limit=limits.NOTE),
        ]

    def __str__(self) -> str:
        return f"{self.component}: {self.get_kind_display()}"


class LogEntry(models.Model):
    """The RM's log on release day: completion times and observations."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    release = models.ForeignKey("releases.Release", on_delete=models.PROTECT, related_name="+")
    note = models.TextField()
    completes = models.BooleanField(default=False)
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["release"], condition=Q(completes=True), name="logentry_one_completion"
            ),
            TextLimit(field="note", limit=limits.NOTE),
        ]

    def __str__(self) -> str:
        return self.note[:60]
