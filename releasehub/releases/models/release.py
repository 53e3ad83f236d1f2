"""The release and the train it belongs to; everything else of a release hangs off `Release`."""

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from releasehub.core import limits
from releasehub.core.limits import TextLimit
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
            TextLimit(field="summary", limit=limits.NOTE),
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
        freeze_at = self.freeze_at
        if freeze_at is None:
            return False
        if self.status == self.Status.PLANNED:
            return now >= freeze_at
        return True

    @property
    def can_move(self) -> bool:
        return self.status in MOVABLE_STATUSES


# A release may move (or be skipped) until release day has begun.
MOVABLE_STATUSES = (Release.Status.PLANNED, Release.Status.FROZEN, Release.Status.NO_GO)
