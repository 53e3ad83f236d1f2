"""Hotfixes: the request, the RM's approval and the follow-ups confirmed after deployment."""

from django.conf import settings
from django.db import models

from releasehub.catalog.models import FrontendApp, Service
from releasehub.core import limits
from releasehub.core.limits import TextLimit
from releasehub.releases.models.decision import DecidedByRM, RMDecision
from releasehub.releases.models.release import Release


class TargetedTests(models.TextChoices):
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    PARTIAL = "partial", "Partly passed"


class Hotfix(DecidedByRM, models.Model):
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

    decision_relation = "approval"

    class Meta:
        constraints = [
            TextLimit(field=name, limit=limits.LONG_NOTE)
            for name in ("problem", "risk_assessment", "tests_run")
        ]

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

    def follow_up(self, kind: str) -> "HotfixFollowUp | None":
        # Reads the prefetched rows so the page does not query per kind.
        return next((f for f in self.follow_ups.all() if f.kind == kind), None)


class HotfixApproval(RMDecision):
    """The RM's decision on a hotfix. One per hotfix; append-only evidence."""

    hotfix = models.OneToOneField(Hotfix, on_delete=models.PROTECT, related_name="approval")


class FollowUp(models.TextChoices):
    CHANGELOG = "changelog", "Changelog updated"
    INCIDENT = "incident", "Incident ticket updated"
    BACK_MERGE = "back_merge", "Back-merged into main"


class HotfixFollowUp(models.Model):
    """A confirmation that a post-deployment step is done (who, when). Append-only evidence."""

    hotfix = models.ForeignKey(Hotfix, on_delete=models.PROTECT, related_name="follow_ups")
    kind = models.CharField(max_length=12, choices=FollowUp.choices)
    note = models.CharField(max_length=limits.SHORT_NOTE, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField()

    class Meta:
        ordering = ["confirmed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["hotfix", "kind"], name="hotfix_follow_up_once"),
            TextLimit(field="note", limit=limits.SHORT_NOTE),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.confirmed_by})"


def and_list(words: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return " and ".join(filter(None, [", ".join(words[:-1]), *words[-1:]]))
