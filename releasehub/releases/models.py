import datetime as dt
import re
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from releasehub.accounts.models import Squad
from releasehub.catalog.models import FrontendApp, Service
from releasehub.releases.clock import ReleaseClock


class Train(models.Model):
    """A release train: a release every `interval_days`, counted from `anchor_date` (Wednesday)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=80, unique=True)
    anchor_date = models.DateField(
        help_text="The date of one occurrence; the others follow from it."
    )
    interval_days = models.PositiveSmallIntegerField(default=14)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def occurrences(self, start: dt.date, count: int) -> list[dt.date]:
        """The next `count` occurrence dates on or after `start`."""
        # Ceiling division: the first occurrence not before `start`, on either side of the anchor.
        steps = -(-(start - self.anchor_date).days // self.interval_days)
        first = self.anchor_date + dt.timedelta(days=steps * self.interval_days)
        return [first + dt.timedelta(days=i * self.interval_days) for i in range(count)]


class Release(models.Model):
    class Kind(models.TextChoices):
        REGULAR = "regular", "Regular"
        HOTFIX = "hotfix", "Hotfix"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        FROZEN = "frozen", "Code freeze"
        GO = "go", "Go"
        NO_GO = "no_go", "No-Go"
        DEPLOYING = "deploying", "Deploying"
        VERIFYING = "verifying", "Verifying"
        MONITORING = "monitoring", "Monitoring"
        COMPLETED = "completed", "Completed"
        ROLLED_BACK = "rolled_back", "Rolled back"
        CANCELLED = "cancelled", "Cancelled"

    # Statuses in which a release is still on its way; the dashboard and sweeps read these.
    OPEN_STATUSES = (
        Status.PLANNED,
        Status.FROZEN,
        Status.GO,
        Status.NO_GO,
        Status.DEPLOYING,
        Status.VERIFYING,
        Status.MONITORING,
    )
    # Statuses in which people are working on the release right now (the dashboard polls).
    LIVE_STATUSES = (Status.GO, Status.DEPLOYING, Status.VERIFYING, Status.MONITORING)

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    version = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REGULAR)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    train = models.ForeignKey(Train, null=True, blank=True, on_delete=models.PROTECT)
    # The occurrence of the train this release was planned for; it stays when the window moves.
    train_date = models.DateField(null=True, blank=True)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    release_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField(blank=True)
    # Bumped whenever the clock moves; timed actions planned for an older version are stale.
    schedule_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-window_start"]
        constraints = [
            models.CheckConstraint(
                name="release_window_ends_after_start",
                condition=Q(window_end__gt=F("window_start")),
            ),
            models.UniqueConstraint(
                fields=["train", "train_date"],
                condition=Q(train__isnull=False),
                name="release_one_per_train_date",
            ),
        ]
        indexes = [
            # Read by the dashboard and the calendar: open releases by time.
            models.Index(
                fields=["window_start"],
                name="release_open_by_window",
                condition=Q(
                    status__in=[
                        "planned",
                        "frozen",
                        "go",
                        "no_go",
                        "deploying",
                        "verifying",
                        "monitoring",
                    ]
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.version

    @property
    def is_hotfix(self) -> bool:
        return self.kind == self.Kind.HOTFIX

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def clock(self) -> ReleaseClock:
        return ReleaseClock(self.window_start, self.window_end, is_hotfix=self.is_hotfix)

    @property
    def freeze_at(self) -> dt.datetime | None:
        return self.clock.freeze_at

    def is_frozen(self, now: dt.datetime) -> bool:
        """Scope is frozen from Monday 18:00 IST, whether or not the freeze action has run yet;
        a hotfix never freezes (its scope is the fix, approved by the RM)."""
        if self.is_hotfix:
            return False
        if self.status == self.Status.PLANNED:
            return now >= self.clock.freeze_at
        return True

    @property
    def can_move(self) -> bool:
        return self.status in MOVABLE_STATUSES


# A release may move (or be skipped) until release day has begun.
MOVABLE_STATUSES = (Release.Status.PLANNED, Release.Status.FROZEN, Release.Status.NO_GO)


class ScopeTicket(models.Model):
    """A ticket tagged for the release. After the freeze it changes only under an exception."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="tickets")
    key = models.CharField(max_length=30)
    title = models.CharField(max_length=200)
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

    def __str__(self) -> str:
        return self.description[:60]


class FlagChange(models.Model):
    """A feature flag the release touches, with the default state it ships with."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="flags")
    name = models.CharField(max_length=100)
    default_state = models.CharField(max_length=200)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["release", "name"], name="flag_once_per_release"),
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
    name = models.CharField(max_length=100)
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
    previous = models.CharField(max_length=120)
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
        ]

    def __str__(self) -> str:
        return f"Rollback of {self.component}: {self.get_strategy_display()}"

    @property
    def component(self) -> Service | FrontendApp:
        return self.service or self.app


class Decision(models.TextChoices):
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class FreezeException(models.Model):
    """A request to change scope during the freeze. Append-only: the decision is its own row."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="exceptions")
    # Ticket keys, one per line: what the exception lets people add or change.
    items = models.TextField()
    reason = models.TextField()
    risk = models.TextField()
    rollback_note = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"Freeze exception for {', '.join(self.keys)}"

    @property
    def keys(self) -> list[str]:
        return parse_keys(self.items)

    @property
    def decision_or_none(self) -> "FreezeExceptionDecision | None":
        try:
            return self.decision
        except FreezeExceptionDecision.DoesNotExist:
            return None

    @property
    def is_pending(self) -> bool:
        return self.decision_or_none is None

    @property
    def is_approved(self) -> bool:
        decision = self.decision_or_none
        return decision is not None and decision.decision == Decision.APPROVED


class FreezeExceptionDecision(models.Model):
    """The RM's decision. One per exception (the one-to-one is what stops a double approval)."""

    exception = models.OneToOneField(
        FreezeException, on_delete=models.PROTECT, related_name="decision"
    )
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.decided_by}"

    @property
    def approved(self) -> bool:
        return self.decision == Decision.APPROVED


class TargetedTests(models.TextChoices):
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    PARTIAL = "partial", "Partly passed"


class Hotfix(models.Model):
    """What a hotfix release fixes and how it was prepared. The request is never edited."""

    release = models.OneToOneField(Release, on_delete=models.PROTECT, related_name="hotfix")
    production_tag = models.CharField(max_length=60)
    problem = models.TextField()
    incident_url = models.URLField(max_length=300)
    branch = models.CharField(max_length=120)
    risk_assessment = models.TextField()
    tests_run = models.TextField()
    tests_result = models.CharField(max_length=10, choices=TargetedTests.choices)
    supervising_sre = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    # What the hotfix touches: the request form asks for at least one. Hotfixes requested
    # before it asked, or from an anomaly that named none, have neither.
    services = models.ManyToManyField(Service, blank=True, related_name="+")
    apps = models.ManyToManyField(FrontendApp, blank=True, related_name="+")

    def __str__(self) -> str:
        return f"Hotfix {self.release.version}"

    @property
    def components(self) -> list[Service | FrontendApp]:
        """Services in promotion order, then apps (the catalog's orderings)."""
        return [*self.services.all(), *self.apps.all()]

    @property
    def components_text(self) -> str:
        """`Identity, Payments and Patient web`; empty when the request named none."""
        return and_list([str(c) for c in self.components])

    @property
    def approval_or_none(self) -> "HotfixApproval | None":
        try:
            return self.approval
        except HotfixApproval.DoesNotExist:
            return None

    @property
    def is_approved(self) -> bool:
        approval = self.approval_or_none
        return approval is not None and approval.decision == Decision.APPROVED

    def follow_up(self, kind: str) -> "HotfixFollowUp | None":
        # Reads the prefetched rows so the page does not query per kind.
        return next((f for f in self.follow_ups.all() if f.kind == kind), None)


class HotfixApproval(models.Model):
    """The RM's decision on a hotfix. One per hotfix; append-only evidence."""

    hotfix = models.OneToOneField(Hotfix, on_delete=models.PROTECT, related_name="approval")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.decided_by}"

    @property
    def approved(self) -> bool:
        return self.decision == Decision.APPROVED


class FollowUp(models.TextChoices):
    CHANGELOG = "changelog", "Changelog updated"
    INCIDENT = "incident", "Incident ticket updated"
    BACK_MERGE = "back_merge", "Back-merged into main"


class HotfixFollowUp(models.Model):
    """A confirmation that a post-deployment step is done (who, when). Append-only evidence."""

    hotfix = models.ForeignKey(Hotfix, on_delete=models.PROTECT, related_name="follow_ups")
    kind = models.CharField(max_length=12, choices=FollowUp.choices)
    note = models.CharField(max_length=300, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField()

    class Meta:
        ordering = ["confirmed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["hotfix", "kind"], name="hotfix_follow_up_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.confirmed_by})"


def and_list(words: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return " and ".join(filter(None, [", ".join(words[:-1]), *words[-1:]]))


KEY_SEPARATORS = re.compile(r"[\s,;]+")


def parse_keys(text: str) -> list[str]:
    """Ticket keys from free text ("PAT-1, PAT-2" or one per line), upper-cased, in order."""
    seen: dict[str, None] = {}
    for key in KEY_SEPARATORS.split(text.upper()):
        if key:
            seen.setdefault(key, None)
    return list(seen)
