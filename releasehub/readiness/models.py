"""Readiness evidence: checklists, Go/No-Go sign-offs and decisions, QA smoke and regression.

Evidence rows are append-only (a trigger refuses UPDATE and DELETE). A correction is a new row
that `supersedes` the current one. `supersedes` is one-to-one, so a row is superseded at most
once, and the first row of each slot is unique by a partial index: together they keep every
slot's history a single chain with exactly one current row, however many people submit at once.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from releasehub.accounts.models import Role
from releasehub.core import limits
from releasehub.core.limits import TextLimit


class Phase(models.TextChoices):
    PRE_RELEASE = "pre_release", "Pre-release checklist (T-48h)"
    MEETING = "meeting", "Pre-release meeting (T-24h)"
    SMOKE = "smoke", "Release smoke checklist (QA)"
    POST_RELEASE = "post_release", "Post-release actions"


class ItemState(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    BLOCKED = "blocked", "Blocked"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class SignOffDecision(models.TextChoices):
    GO = "go", "Go"
    NO_GO = "no_go", "No-Go"


class SmokeOutcome(models.TextChoices):
    PASSED = "passed", "Pass"
    FAILED = "failed", "Fail"


class Suite(models.TextChoices):
    UNIT = "unit", "Unit"
    INTEGRATION = "integration", "Integration"
    E2E = "e2e", "End-to-end"


class ChecklistTemplateItem(models.Model):
    """One line of a checklist template, edited by staff in the admin.

    Releases copy the templates when they are created, so editing a template never rewrites a
    release's history.
    """

    phase = models.CharField(max_length=20, choices=Phase.choices)
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=200)
    owner_role = models.CharField(max_length=20, choices=Role.choices)
    # Key into readiness.computed.REGISTRY: the item's state is computed from data, not ticked.
    computed_by = models.CharField(max_length=40, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["phase", "position"]
        constraints = [
            models.UniqueConstraint(fields=["phase", "position"], name="checklist_template_order"),
        ]

    def __str__(self) -> str:
        return f"{self.get_phase_display()}: {self.text}"


class ChecklistItem(models.Model):
    """A release's copy of a template line. Its state lives in ChecklistItemUpdate rows."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    release = models.ForeignKey(
        "releases.Release", on_delete=models.PROTECT, related_name="checklist_items"
    )
    template = models.ForeignKey(
        ChecklistTemplateItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    phase = models.CharField(max_length=20, choices=Phase.choices)
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=200)
    owner_role = models.CharField(max_length=20, choices=Role.choices)
    # A named owner, when the RM assigns one; otherwise anyone holding owner_role.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    computed_by = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["phase", "position"]
        constraints = [
            # Makes checklists_create_for() idempotent even when two requests race.
            models.UniqueConstraint(
                fields=["release", "phase", "position"], name="checklist_item_once"
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def owner_role_label(self) -> str:
        return Role(self.owner_role).label

    @property
    def is_computed(self) -> bool:
        return bool(self.computed_by)


class Evidence(models.Model):
    """Common fields of an append-only evidence row that may be superseded by a later one."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )

    class Meta:
        abstract = True
        ordering = ["at", "id"]


class ChecklistItemUpdate(Evidence):
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="updates")
    state = models.CharField(max_length=20, choices=ItemState.choices)
    reason = models.TextField(blank=True)
    evidence = models.CharField(max_length=limits.EVIDENCE, blank=True)

    class Meta(Evidence.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(supersedes__isnull=True),
                name="checklist_update_first_once",
            ),
            models.CheckConstraint(
                name="checklist_update_reason_when_blocked_or_na",
                condition=~Q(state__in=["blocked", "not_applicable"]) | ~Q(reason=""),
            ),
            TextLimit(field="reason", limit=limits.NOTE),
            TextLimit(field="evidence", limit=limits.EVIDENCE),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.get_state_display()}"


class SignOff(Evidence):
    """A squad representative's or SRE's Go or No-Go. Never edited; a new row supersedes."""

    release = models.ForeignKey("releases.Release", on_delete=models.PROTECT, related_name="+")
    # "squad-<id>" or "sre": what the sign-off is for; one chain per (release, slot).
    slot = models.CharField(max_length=40)
    role = models.CharField(max_length=20, choices=Role.choices)
    squad = models.ForeignKey(
        "accounts.Squad", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=10, choices=SignOffDecision.choices)
    comment = models.TextField(blank=True)

    class Meta(Evidence.Meta):
        constraints = [
            # With the one-to-one `supersedes`, this leaves one current sign-off per slot.
            models.UniqueConstraint(
                fields=["release", "slot"],
                condition=Q(supersedes__isnull=True),
                name="signoff_first_once_per_slot",
            ),
            models.CheckConstraint(
                name="signoff_no_go_has_comment",
                condition=Q(decision="go") | ~Q(comment=""),
            ),
            models.CheckConstraint(
                name="signoff_squad_iff_squad_rep",
                condition=Q(role="squad_rep", squad__isnull=False)
                | (~Q(role="squad_rep") & Q(squad__isnull=True)),
            ),
            TextLimit(field="comment", limit=limits.NOTE),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.actor}"


class SquadInvolvement(Evidence):
    """The RM's note that a squad is (not) involved in a release; no row means involved."""

    release = models.ForeignKey("releases.Release", on_delete=models.PROTECT, related_name="+")
    squad = models.ForeignKey("accounts.Squad", on_delete=models.PROTECT, related_name="+")
    involved = models.BooleanField()
    reason = models.TextField(blank=True)

    class Meta(Evidence.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["release", "squad"],
                condition=Q(supersedes__isnull=True),
                name="squad_involvement_first_once",
            ),
            models.CheckConstraint(
                name="squad_not_involved_has_reason", condition=Q(involved=True) | ~Q(reason="")
            ),
            TextLimit(field="reason", limit=limits.NOTE),
        ]

    def __str__(self) -> str:
        return f"{self.squad}: {'involved' if self.involved else 'not involved'}"


class GoNoGoDecision(Evidence):
    """The RM's decision. A No-Go starts a new round: earlier sign-offs no longer count."""

    release = models.ForeignKey("releases.Release", on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=10, choices=SignOffDecision.choices)
    reason = models.TextField(blank=True)
    # Go recorded although sign-offs or the checklist were not complete; the override is also a
    # row of the manual-intervention ledger (audit.ManualIntervention).
    overridden = models.BooleanField(default=False)

    class Meta(Evidence.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["release"],
                condition=Q(supersedes__isnull=True),
                name="go_no_go_decision_first_once",
            ),
            TextLimit(field="reason", limit=limits.NOTE),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.actor}"


class SmokeResult(Evidence):
    release = models.ForeignKey("releases.Release", on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="smoke_results")
    outcome = models.CharField(max_length=10, choices=SmokeOutcome.choices)
    notes = models.TextField(blank=True)

    class Meta(Evidence.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(supersedes__isnull=True),
                name="smoke_result_first_once",
            ),
            models.CheckConstraint(
                name="smoke_failure_has_notes", condition=Q(outcome="passed") | ~Q(notes="")
            ),
            TextLimit(field="notes", limit=limits.NOTE),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.get_outcome_display()}"


class RegressionResult(Evidence):
    release = models.ForeignKey("releases.Release", on_delete=models.PROTECT, related_name="+")
    suite = models.CharField(max_length=12, choices=Suite.choices)
    passed = models.PositiveIntegerField()
    failed = models.PositiveIntegerField()
    skipped = models.PositiveIntegerField()
    link = models.URLField(max_length=300, blank=True)

    class Meta(Evidence.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["release", "suite"],
                condition=Q(supersedes__isnull=True),
                name="regression_result_first_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_suite_display()}: {self.passed}/{self.failed}/{self.skipped}"


class MeetingRecord(Evidence):
    """One revision of the pre-release meeting record; a later revision supersedes it."""

    release = models.ForeignKey("releases.Release", on_delete=models.PROTECT, related_name="+")
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="MeetingAttendee", related_name="+"
    )
    notes = models.TextField(blank=True)
    decisions = models.TextField(blank=True)

    class Meta(Evidence.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["release"],
                condition=Q(supersedes__isnull=True),
                name="meeting_record_first_once",
            ),
            TextLimit(field="notes", limit=limits.MEETING),
            TextLimit(field="decisions", limit=limits.MEETING),
        ]

    def __str__(self) -> str:
        return f"Pre-release meeting record of {self.at:%Y-%m-%d %H:%M}"


class MeetingAttendee(models.Model):
    meeting = models.ForeignKey(MeetingRecord, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="meeting_attendee_once"),
        ]

    def __str__(self) -> str:
        return str(self.user)
