"""The release ticket's scope: tickets, known risks, flags, on-call, dashboards and the
rollback plan of each changed service or app."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from releasehub.accounts.models import Squad
from releasehub.catalog.models import FrontendApp, Service
from releasehub.core import limits
from releasehub.core.limits import TextLimit
from releasehub.releases.models.release import Release


class ScopeTicket(models.Model):
    """A ticket tagged for the release. After the freeze it changes only under an exception."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="tickets")
    key = models.CharField(max_length=30)
    title = models.CharField(max_length=limits.TITLE)
    squad = models.ForeignKey(Squad, on_delete=models.PROTECT, related_name="+")
    services = models.ManyToManyField(Service, blank=True, related_name="+")
    apps = models.ManyToManyField(FrontendApp, blank=True, related_name="+")
    link = models.URLField(max_length=300, blank=True)
    merged = models.BooleanField(default=False)
    ci_passing = models.BooleanField(default=False)
    # Set when the ticket was added or changed during the freeze under an approved exception.
    freeze_exception = models.ForeignKey(
        "FreezeException", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["squad__name", "key"]
        constraints = [
            models.UniqueConstraint(fields=["release", "key"], name="ticket_once_per_release"),
            TextLimit(field="title", limit=limits.TITLE),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def has_problem(self) -> bool:
        return not (self.merged and self.ci_passing)


class Risk(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="risks")
    description = models.TextField()
    mitigation = models.TextField(blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            TextLimit(field="description", limit=limits.NOTE),
            TextLimit(field="mitigation", limit=limits.NOTE),
        ]

    def __str__(self) -> str:
        return self.description[:60]


class FlagChange(models.Model):
    """A feature flag the release touches, with the default state it ships with."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="flags")
    name = models.CharField(max_length=limits.NAME)
    default_state = models.CharField(max_length=limits.TITLE)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["release", "name"], name="flag_once_per_release"),
            TextLimit(field="name", limit=limits.NAME),
            TextLimit(field="default_state", limit=limits.TITLE),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.default_state}"


class OnCallRole(models.TextChoices):
    SRE_PRIMARY = "sre_primary", "SRE (primary)"
    SRE_SECONDARY = "sre_secondary", "SRE (secondary)"
    BACKEND = "backend", "Backend on-call"
    FRONTEND = "frontend", "Frontend on-call"
    QA = "qa", "QA on-call"
    SUPPORT = "support", "Support liaison"


class OnCallAssignment(models.Model):
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="oncall")
    role = models.CharField(max_length=20, choices=OnCallRole.choices)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["role"]
        constraints = [
            models.UniqueConstraint(fields=["release", "role"], name="oncall_one_per_role"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.person}"


class MonitoringDashboard(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="dashboards")
    name = models.CharField(max_length=limits.NAME)
    url = models.URLField(max_length=300)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    validated_at = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [TextLimit(field="name", limit=limits.NAME)]

    def __str__(self) -> str:
        return self.name


class RollbackStrategy(models.TextChoices):
    REDEPLOY_CONTAINER = "redeploy_container", "Redeploy previous container version"
    REVERT_MIGRATION = "revert_migration", "Revert migration"
    REDEPLOY_BUILD = "redeploy_build", "Redeploy previous build"
    TOGGLE_FLAG = "toggle_flag", "Toggle feature flag"


SERVICE_STRATEGIES = (
    RollbackStrategy.REDEPLOY_CONTAINER,
    RollbackStrategy.REVERT_MIGRATION,
    RollbackStrategy.TOGGLE_FLAG,
)
APP_STRATEGIES = (RollbackStrategy.REDEPLOY_BUILD, RollbackStrategy.TOGGLE_FLAG)


class RollbackPlan(models.Model):
    """How to undo one changed service or frontend app of the release."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="rollback_plans")
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    app = models.ForeignKey(
        FrontendApp, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    strategy = models.CharField(max_length=20, choices=RollbackStrategy.choices)
    # The previous container version or build, or the flag to toggle.
    previous = models.CharField(max_length=limits.REF)
    steps = models.TextField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["service__promotion_order", "app__display_order"]
        constraints = [
            models.CheckConstraint(
                name="rollbackplan_service_xor_app",
                condition=Q(service__isnull=True, app__isnull=False)
                | Q(service__isnull=False, app__isnull=True),
            ),
            models.UniqueConstraint(
                fields=["release", "service"],
                condition=Q(service__isnull=False),
                name="rollbackplan_one_per_service",
            ),
            models.UniqueConstraint(
                fields=["release", "app"],
                condition=Q(app__isnull=False),
                name="rollbackplan_one_per_app",
            ),
            TextLimit(field="previous", limit=limits.REF),
            TextLimit(field="steps", limit=limits.LONG_NOTE),
        ]

    def __str__(self) -> str:
        return f"Rollback of {self.component}: {self.get_strategy_display()}"

    @property
    def component(self) -> Service | FrontendApp:
        component = self.service or self.app
        if component is None:  # only unsaved: rollbackplan_service_xor_app holds in the table
            raise ValueError(f"Rollback plan {self.code} names neither a service nor an app.")
        return component
