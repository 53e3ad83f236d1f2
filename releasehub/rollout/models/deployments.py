"""Production deployments, the unit the delivery metrics count."""

from django.db import models
from django.db.models import Exists, OuterRef, Q

from releasehub.rollout.models.component import Component, service_xor_app
from releasehub.rollout.models.incidents import HotfixFix, Incident
from releasehub.rollout.models.rollback import RollbackItem
from releasehub.rollout.models.steps import RolloutStep


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
        constraints = [service_xor_app("deployment_service_xor_app")]
        indexes = [
            # Read by the metrics page: deployments in a period.
            models.Index(fields=["finished_at"], name="deployment_by_finish"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.component}"

    @property
    def duration(self):
        return self.finished_at - self.started_at
