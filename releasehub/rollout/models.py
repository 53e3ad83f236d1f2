"""Release day and after: steps, deployments, the post-release watch, rollbacks, incidents.

Every row here is evidence and append-only (a trigger refuses UPDATE and DELETE). "Current"
state is derived from the rows: a service's state is its latest step of each kind, a
deployment's failure is derived from the rollbacks, incidents and hotfixes that name it.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q

from releasehub.catalog.models import FrontendApp, Service
from releasehub.releases.models import RollbackStrategy

USER = settings.AUTH_USER_MODEL


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


class Component(models.Model):
    """A row about one backend service or one frontend app of a release (never both)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    release = models.ForeignKey("releases.Release", on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    app = models.ForeignKey(
        FrontendApp, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True

    @property
    def component(self) -> Service | FrontendApp | None:
        return self.service or self.app


def _service_xor_app(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        name=name,
        condition=Q(service__isnull=True, app__isnull=False)
        | Q(service__isnull=False, app__isnull=True),
    )


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
            _service_xor_app("rolloutstep_service_xor_app"),
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
        ]

    def __str__(self) -> str:
        return f"{self.component}: {self.get_kind_display()}"


class DeploymentKind(models.TextChoices):
    PROMOTION = "promotion", "Production promotion"
    ROLLOUT = "rollout", "Frontend full rollout"
    ROLLBACK = "rollback", "Rollback"


class DeploymentOutcome(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    # A failed attempt is neither a deployment nor a failure in the metrics (DESIGN.md).
    FAILED_ATTEMPT = "failed_attempt", "Failed attempt"


class DeploymentQuerySet(models.QuerySet):
    def succeeded(self):
        return self.filter(outcome=DeploymentOutcome.SUCCEEDED)

    def with_failed(self):
        """Annotate `rolled_back`, `named_by_incident`, `fixed_by_hotfix` and `failed`."""
        same = Q(service=OuterRef("service"), service__isnull=False) | Q(
            app=OuterRef("app"), app__isnull=False
        )
        rolled_back = RollbackItem.objects.filter(same, release=OuterRef("release"))
        named = Incident.objects.filter(release=OuterRef("release")).filter(
            same | Q(service__isnull=True, app__isnull=True)
        )
        fixed = HotfixFix.objects.filter(same, release=OuterRef("release"))
        not_rollback = ~Q(kind=DeploymentKind.ROLLBACK)
        return self.annotate(
            rolled_back=Exists(rolled_back),
            named_by_incident=Exists(named),
            fixed_by_hotfix=Exists(fixed),
        ).annotate(
            failed=models.ExpressionWrapper(
                not_rollback
                & (Q(rolled_back=True) | Q(named_by_incident=True) | Q(fixed_by_hotfix=True)),
                output_field=models.BooleanField(),
            )
        )


class Deployment(Component):
    """A production deployment (DESIGN.md "Metrics"): a finished promotion of a service, the full
    rollout of a frontend, or the redeploy of a rollback; hotfix releases' included. Whether it
    failed is derived (`Deployment.objects.with_failed()`), never stored."""

    kind = models.CharField(max_length=10, choices=DeploymentKind.choices)
    outcome = models.CharField(
        max_length=16, choices=DeploymentOutcome.choices, default=DeploymentOutcome.SUCCEEDED
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    step = models.OneToOneField(
        RolloutStep, null=True, blank=True, on_delete=models.PROTECT, related_name="deployment"
    )
    # Overrides during this deployment as imported history reports them (live: ledger rows).
    manual_interventions = models.PositiveSmallIntegerField(default=0)

    objects = DeploymentQuerySet.as_manager()

    class Meta:
        ordering = ["finished_at", "id"]
        constraints = [_service_xor_app("deployment_service_xor_app")]
        indexes = [
            # Read by the metrics page: deployments in a period.
            models.Index(fields=["finished_at"], name="deployment_by_finish"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.component}"

    @property
    def duration(self):
        return self.finished_at - self.started_at


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
        ]

    def __str__(self) -> str:
        return self.note[:60]


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
        ]

    def __str__(self) -> str:
        return self.description[:60]

    @property
    def component(self) -> Service | FrontendApp | None:
        return self.service or self.app


class Incident(models.Model):
    """An incident; `release` (and service or app) when a release caused it."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200)
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
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.title}"

    @property
    def component(self) -> Service | FrontendApp | None:
        return self.service or self.app

    @property
    def resolution_or_none(self) -> "IncidentResolution | None":
        try:
            return self.resolution
        except IncidentResolution.DoesNotExist:
            return None


class IncidentResolution(models.Model):
    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="resolution")
    resolved_at = models.DateTimeField()
    note = models.TextField(blank=True)
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

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
    """A hotfix made from an anomaly fixes the release's deployment of the service or app."""

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
    previous = models.CharField(max_length=120, blank=True)
    plan_steps = models.TextField(blank=True)

    class Meta:
        constraints = [
            _service_xor_app("rollbackitem_service_xor_app"),
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
        ]

    def __str__(self) -> str:
        return f"Rollback of {self.component}"

    @property
    def result_or_none(self) -> "RollbackResult | None":
        try:
            return self.result
        except RollbackResult.DoesNotExist:
            return None


class RollbackResult(models.Model):
    item = models.OneToOneField(RollbackItem, on_delete=models.PROTECT, related_name="result")
    steps_performed = models.TextField()
    succeeded = models.BooleanField()
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.item}: {'succeeded' if self.succeeded else 'failed'}"
