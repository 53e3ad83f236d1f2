"""The feature flag inventory: each flag, its last known state per environment, and every
recorded toggle (append-only). Releases name flags by key (`releases.FlagChange.name`), so the
inventory reads releases and sits a layer above them."""

import uuid

from django.conf import settings
from django.db import models

from releasehub.core import limits
from releasehub.core.limits import TextLimit


class FlagState(models.TextChoices):
    ON = "on", "On"
    OFF = "off", "Off"
    PARTIAL = "partial", "Partly on (rollout in progress)"


class RolloutStrategy(models.TextChoices):
    ALL_AT_ONCE = "all_at_once", "All at once"
    PERCENTAGE = "percentage", "Percentage of users"
    COHORT = "cohort", "Cohort (clinics, regions, staff first)"
    CANARY = "canary", "With the frontend canary"


class FlagStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class Environment(models.TextChoices):
    STAGING = "staging", "Staging"
    PRODUCTION = "production", "Production"


class FeatureFlag(models.Model):
    """The inventory's entry for one flag. Releases name flags by `key` (`FlagChange.name`)."""

    key = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    squad = models.ForeignKey(
        "accounts.Squad", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    default_state = models.CharField(max_length=10, choices=FlagState.choices)
    rollout_strategy = models.CharField(
        max_length=20, choices=RolloutStrategy.choices, default=RolloutStrategy.ALL_AT_ONCE
    )
    rollout_notes = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=FlagStatus.choices, default=FlagStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key"]
        db_table = "catalog_featureflag"  # the table predates the flags app
        constraints = [TextLimit(field="description", limit=limits.NOTE)]

    def __str__(self) -> str:
        return self.key


class FlagEnvironmentState(models.Model):
    """The last known state of a flag in one environment (absent: not known)."""

    flag = models.ForeignKey(FeatureFlag, on_delete=models.CASCADE, related_name="environments")
    environment = models.CharField(max_length=12, choices=Environment.choices)
    state = models.CharField(max_length=10, choices=FlagState.choices)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["environment"]
        db_table = "catalog_flagenvironmentstate"
        constraints = [
            models.UniqueConstraint(fields=["flag", "environment"], name="flag_state_per_env"),
        ]

    def __str__(self) -> str:
        return f"{self.flag} in {self.get_environment_display()}: {self.get_state_display()}"


class FlagToggle(models.Model):
    """A recorded toggle of a flag, e.g. as a rollback step of a release. Append-only."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    flag = models.ForeignKey(FeatureFlag, on_delete=models.PROTECT, related_name="toggles")
    release = models.ForeignKey(
        "releases.Release", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    environment = models.CharField(max_length=12, choices=Environment.choices)
    state = models.CharField(max_length=10, choices=FlagState.choices)
    as_rollback = models.BooleanField(default=False)
    reason = models.TextField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    toggled_at = models.DateTimeField()

    class Meta:
        ordering = ["-toggled_at", "-id"]
        db_table = "catalog_flagtoggle"
        constraints = [TextLimit(field="reason", limit=limits.NOTE)]

    def __str__(self) -> str:
        return f"{self.flag} → {self.get_state_display()} in {self.get_environment_display()}"
