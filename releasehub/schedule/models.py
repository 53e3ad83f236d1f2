import datetime as dt
import uuid

from django.db import models
from django.db.models import Q


class ActionKind(models.TextChoices):
    PRE_RELEASE_DUE = "pre_release_due", "T-48h: pre-release checklist due"
    FREEZE = "freeze", "Code freeze starts"
    PRE_RELEASE_MEETING = "pre_release_meeting", "T-24h: pre-release meeting"
    GO_NO_GO_REMINDER = "go_no_go_reminder", "Go/No-Go reminder (09:00 IST)"
    GO_NO_GO_SUMMARY = "go_no_go_summary", "Go/No-Go summary (09:30 IST)"
    MONITORING_WINDOW_CLOSES = "monitoring_window_closes", "Service monitoring window closes"
    POST_RELEASE_WATCH_ENDS = "post_release_watch_ends", "24-hour post-release watch ends"
    BACK_MERGE_REMINDER = "back_merge_reminder", "Hotfix back-merge reminder"
    RUNBOOK_REVIEW = "runbook_review", "Runbook review reminder"
    # Health gates (PROMETHEUS_URL): a service's rules each minute of its window (and retried
    # after a close that could not judge); the release's rules every 10 minutes of the watch.
    HEALTH_CHECK = "health_check", "Health rules evaluated (monitoring window)"
    WATCH_HEALTH_CHECK = "watch_health_check", "Health rules evaluated (24-hour watch)"
    # Does nothing but fire: `manage.py bench_schedule` measures the engine's lateness with it.
    PROBE = "probe", "Engine probe (benchmark)"


class ActionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DISPATCHED = "dispatched", "Dispatched"
    DONE = "done", "Done"
    SUPERSEDED = "superseded", "Superseded"
    CANCELLED = "cancelled", "Cancelled"
    SKIPPED = "skipped", "Skipped (too late)"
    FAILED = "failed", "Failed"


LIVE_STATUSES = (ActionStatus.PENDING, ActionStatus.DISPATCHED)


class ScheduledAction(models.Model):
    """One thing that must happen at a time, exactly once. The database is the source of truth."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    release = models.ForeignKey(
        "releases.Release", null=True, blank=True, on_delete=models.CASCADE, related_name="actions"
    )
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=ActionKind.choices)
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=12, choices=ActionStatus.choices, default=ActionStatus.PENDING
    )
    # The release's schedule_version this row was planned for; older rows are superseded.
    schedule_version = models.PositiveIntegerField(default=1)
    # A reminder later than this is skipped (and logged); None means never skipped (a freeze).
    grace = models.DurationField(null=True, blank=True, default=dt.timedelta(hours=1))
    # Repeating actions (back-merge reminders, runbook reviews) number their occurrences.
    sequence = models.PositiveIntegerField(default=0)
    # Claims so far (a claim is one dispatch); the recovery sweep gives up after MAX_ATTEMPTS.
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    fired_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            # Exactly one row per (release, kind, service, version, occurrence), written as
            # partial constraints because SQLite has no NULLS NOT DISTINCT.
            models.UniqueConstraint(
                fields=["release", "kind", "schedule_version", "sequence"],
                condition=Q(service__isnull=True, release__isnull=False),
                name="action_once_per_release_version",
            ),
            models.UniqueConstraint(
                fields=["release", "kind", "service", "schedule_version", "sequence"],
                condition=Q(service__isnull=False),
                name="action_once_per_service_version",
            ),
            # Quarterly runbook reviews (and probes) belong to no release: one per kind and time.
            models.UniqueConstraint(
                fields=["kind", "due_at"],
                condition=Q(release__isnull=True),
                name="action_once_per_time_without_release",
            ),
        ]
        indexes = [
            # Read by the sweeper every second: pending rows by due time.
            models.Index(
                fields=["due_at"], name="action_pending_due", condition=Q(status="pending")
            ),
            # Read by the recovery sweep: dispatched rows whose lease may have expired.
            models.Index(
                fields=["lease_expires_at"],
                name="action_dispatched_lease",
                condition=Q(status="dispatched"),
            ),
            # Read by the SRE "timed actions" page: the latest failures.
            models.Index(
                fields=["-finished_at"], name="action_failed_recent", condition=Q(status="failed")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.due_at:%Y-%m-%d %H:%M}Z ({self.status})"

    @property
    def lateness(self) -> dt.timedelta | None:
        """How long after its due time the action fired (or was found too late)."""
        return self.fired_at - self.due_at if self.fired_at else None

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES


class SweepMark(models.Model):
    """When each periodic sweep last ran: a backlog of its messages (a worker that was away
    while beat kept publishing) finds it just ran and costs nothing. One row per sweep name.

    It also carries the latest finished pass for /-/metrics: a worker process writes its own
    previous pass with the mark of its next one, so timing a sweep costs no write of its own."""

    name = models.CharField(max_length=40, primary_key=True)
    ran_at = models.DateTimeField()
    last_pass_at = models.DateTimeField(null=True, blank=True)
    last_pass_seconds = models.FloatField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ran at {self.ran_at:%Y-%m-%d %H:%M:%S}Z"
