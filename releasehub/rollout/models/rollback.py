"""Rolling back some or all of a release's services and apps, each by its plan."""

import uuid

from django.db import models
from django.db.models import Q

from releasehub.core import limits
from releasehub.core.limits import TextLimit
from releasehub.core.relations import one_to_one_or_none
from releasehub.releases.models import RollbackStrategy
from releasehub.rollout.models.component import USER, Component, service_xor_app
from releasehub.rollout.models.incidents import Incident


class RollbackScope(models.TextChoices):
    PARTIAL = "partial", "Partial"
    FULL = "full", "Full"


class Rollback(models.Model):
    """The decision to roll back some of a release's services and apps (partial: the release
    goes on without them) or all that reached production (full: the release ends rolled back).
    A release may have several partial rollbacks and one full one."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    release = models.ForeignKey(
        "releases.Release", on_delete=models.PROTECT, related_name="rollbacks"
    )
    scope = models.CharField(max_length=8, choices=RollbackScope.choices)
    reason = models.TextField()
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="rollbacks"
    )
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(name="rollback_has_reason", condition=~Q(reason="")),
            TextLimit(field="reason", limit=limits.NOTE),
            # Two SREs starting a full rollback at once end the release once.
            models.UniqueConstraint(
                fields=["release"], condition=Q(scope="full"), name="rollback_full_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} rollback of {self.release}"


class RollbackItem(Component):
    """One service or app the rollback covers, with the plan it follows (copied: plans change)."""

    rollback = models.ForeignKey(Rollback, on_delete=models.PROTECT, related_name="items")
    strategy = models.CharField(max_length=20, choices=RollbackStrategy.choices)
    previous = models.CharField(max_length=limits.REF, blank=True)
    plan_steps = models.TextField(blank=True)

    class Meta:
        constraints = [
            service_xor_app("rollbackitem_service_xor_app"),
            models.UniqueConstraint(
                fields=["rollback", "service"],
                condition=Q(service__isnull=False),
                name="rollbackitem_service_once",
            ),
            models.UniqueConstraint(
                fields=["rollback", "app"],
                condition=Q(app__isnull=False),
                name="rollbackitem_app_once",
            ),
            TextLimit(field="previous", limit=limits.REF),
            TextLimit(field="plan_steps", limit=limits.LONG_NOTE),
        ]

    def __str__(self) -> str:
        return f"Rollback of {self.component}"

    @property
    def result_or_none(self) -> "RollbackResult | None":
        return one_to_one_or_none(self, "result")


class RollbackResult(models.Model):
    item = models.OneToOneField(RollbackItem, on_delete=models.PROTECT, related_name="result")
    steps_performed = models.TextField()
    succeeded = models.BooleanField()
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints = [TextLimit(field="steps_performed", limit=limits.NOTE)]

    def __str__(self) -> str:
        return f"{self.item}: {'succeeded' if self.succeeded else 'failed'}"
