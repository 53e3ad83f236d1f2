"""The post-release watch: anomalies, incidents (with their resolution and retrospective) and
the hotfix made from an anomaly."""

import uuid

from django.db import models
from django.db.models import Q

from releasehub.catalog.models import FrontendApp, Service
from releasehub.core import limits
from releasehub.core.limits import TextLimit
from releasehub.core.relations import one_to_one_or_none
from releasehub.rollout.models.component import USER


class Severity(models.TextChoices):
    SEV1 = "sev1", "SEV-1"
    SEV2 = "sev2", "SEV-2"
    SEV3 = "sev3", "SEV-3"
    SEV4 = "sev4", "SEV-4"


class AnomalySeverity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class Anomaly(models.Model):
    """Something odd seen during the post-release watch (service or app optional)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    release = models.ForeignKey("releases.Release", on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    app = models.ForeignKey(
        FrontendApp, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    seen_at = models.DateTimeField()
    description = models.TextField()
    severity = models.CharField(max_length=10, choices=AnomalySeverity.choices)
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["seen_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="anomaly_not_service_and_app",
                condition=Q(service__isnull=True) | Q(app__isnull=True),
            ),
            TextLimit(field="description", limit=limits.NOTE),
        ]

    def __str__(self) -> str:
        return self.description[:60]

    @property
    def component(self) -> Service | FrontendApp | None:
        return self.service or self.app


class Incident(models.Model):
    """An incident; `release` (and service or app) when a release caused it."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=limits.TITLE)
    severity = models.CharField(max_length=4, choices=Severity.choices)
    release = models.ForeignKey(
        "releases.Release", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    app = models.ForeignKey(
        FrontendApp, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    detected_at = models.DateTimeField()
    link = models.URLField(max_length=300, blank=True)
    # The tracker's key (INC-1): imported history matches on it, so a re-import is a no-op.
    key = models.CharField(max_length=40, blank=True)
    # One incident per anomaly: two clicks on "make it an incident" make one.
    anomaly = models.OneToOneField(
        Anomaly, null=True, blank=True, on_delete=models.PROTECT, related_name="incident"
    )
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="incident_component_needs_release",
                condition=Q(release__isnull=False) | Q(service__isnull=True, app__isnull=True),
            ),
            models.CheckConstraint(
                name="incident_not_service_and_app",
                condition=Q(service__isnull=True) | Q(app__isnull=True),
            ),
            models.UniqueConstraint(fields=["key"], condition=~Q(key=""), name="incident_key_once"),
            TextLimit(field="title", limit=limits.TITLE),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.title}"

    @property
    def component(self) -> Service | FrontendApp | None:
        return self.service or self.app

    @property
    def resolution_or_none(self) -> "IncidentResolution | None":
        return one_to_one_or_none(self, "resolution")


class IncidentResolution(models.Model):
    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="resolution")
    resolved_at = models.DateTimeField()
    note = models.TextField(blank=True)
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints = [TextLimit(field="note", limit=limits.NOTE)]

    def __str__(self) -> str:
        return f"{self.incident} resolved"


class Retrospective(models.Model):
    """Scheduled for a SEV-1 caused by a release (runbook: "retrospective if critical issues")."""

    incident = models.OneToOneField(
        Incident, on_delete=models.PROTECT, related_name="retrospective"
    )
    on = models.DateField()
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Retrospective of {self.incident} on {self.on}"


class HotfixFix(models.Model):
    """A hotfix made from an anomaly fixes the release's deployment of the service or app.

    It lives here, not beside `Hotfix` in releases: what it points at is a release's deployment
    of a component, and deployments are rollout's (`Deployment.objects.with_failed()` reads it).
    """

    hotfix = models.OneToOneField("releases.Hotfix", on_delete=models.PROTECT, related_name="fixes")
    anomaly = models.OneToOneField(Anomaly, on_delete=models.PROTECT, related_name="hotfix_fix")
    release = models.ForeignKey("releases.Release", on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    app = models.ForeignKey(
        FrontendApp, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.hotfix} fixes {self.service or self.app or self.release}"
