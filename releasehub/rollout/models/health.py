"""Health gates: Prometheus rules per service or app, and every evaluation of one as evidence.

A rule is configuration (SRE and staff edit it); an evaluation is evidence (append-only): the
query as it ran, the figure it read, the threshold it was held to, and the verdict.
"""

import operator
import uuid

from django.db import models
from django.db.models import Q

from releasehub.core import limits
from releasehub.core.limits import TextLimit
from releasehub.rollout.models.component import USER, service_xor_app


class Comparison(models.TextChoices):
    LT = "lt", "<"
    LE = "le", "≤"
    GT = "gt", ">"
    GE = "ge", "≥"


COMPARE = {
    Comparison.LT: operator.lt,
    Comparison.LE: operator.le,
    Comparison.GT: operator.gt,
    Comparison.GE: operator.ge,
}


class Measure(models.TextChoices):
    """What the figure is: the gate copies p95 and error ratio onto the observation row."""

    P95_LATENCY = "p95_latency", "p95 latency (seconds)"
    ERROR_RATIO = "error_ratio", "Error ratio (0 to 1)"
    OTHER = "other", "Other"


class HealthRule(models.Model):
    """`expression` compared with `threshold`; with `baseline_factor`, also no worse than the
    same expression read when the promotion started, times the factor."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    app = models.ForeignKey(
        "catalog.FrontendApp", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(max_length=80)
    measure = models.CharField(max_length=12, choices=Measure.choices, default=Measure.OTHER)
    expression = models.TextField()
    comparison = models.CharField(max_length=2, choices=Comparison.choices)
    threshold = models.FloatField()
    baseline_factor = models.FloatField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    updated_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            service_xor_app("healthrule_service_xor_app"),
            TextLimit(field="expression", limit=limits.NOTE),
            models.CheckConstraint(
                name="healthrule_baseline_factor_positive",
                condition=Q(baseline_factor__isnull=True) | Q(baseline_factor__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service or self.app}: {self.name}"

    @property
    def condition(self) -> str:
        """`< 0.4`, or `< 0.4 and ≤ baseline x 1.2`."""
        text = f"{self.get_comparison_display()} {self.threshold:g}"
        if self.baseline_factor:
            text += f" and {self.get_comparison_display()} baseline x {self.baseline_factor:g}"
        return text


class Verdict(models.TextChoices):
    PASS = "pass", "passes"
    FAIL = "fail", "fails"
    NO_DATA = "no_data", "no data"
    UNREACHABLE = "unreachable", "Prometheus unreachable"
    ERROR = "error", "query error"


# Only a pass counts toward healthy: every other verdict holds the gate (fail closed).
UNDECIDED = (Verdict.NO_DATA, Verdict.UNREACHABLE, Verdict.ERROR)


class HealthWindow(models.TextChoices):
    MONITORING = "monitoring", "Monitoring window"
    WATCH = "watch", "24-hour watch"


class HealthEvaluation(models.Model):
    """One rule evaluated once (append-only). One per rule, release, window and minute: a
    duplicate timed action in the same minute adds nothing."""

    rule = models.ForeignKey(HealthRule, on_delete=models.PROTECT, related_name="evaluations")
    release = models.ForeignKey("releases.Release", on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    app = models.ForeignKey(
        "catalog.FrontendApp", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    window = models.CharField(max_length=10, choices=HealthWindow.choices)
    closing = models.BooleanField(default=False)  # the evaluation that judged a window's close
    minute = models.DateTimeField()
    # Copied from the rule: rules are edited, evidence must say what it was held to.
    name = models.CharField(max_length=80)
    query = models.TextField()
    comparison = models.CharField(max_length=2, choices=Comparison.choices)
    threshold = models.FloatField()
    value = models.FloatField(null=True, blank=True)
    baseline = models.FloatField(null=True, blank=True)
    verdict = models.CharField(max_length=12, choices=Verdict.choices)
    detail = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            service_xor_app("healthevaluation_service_xor_app"),
            models.UniqueConstraint(
                fields=["rule", "release", "window", "minute"], name="healthevaluation_per_minute"
            ),
        ]
        indexes = [
            # Read by the board: a release's evaluations, latest window first.
            models.Index(fields=["release", "at"], name="healthevaluation_release_at"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.get_verdict_display()}"

    @property
    def figure(self) -> str:
        """`0.31 < 0.4: passes`, or the reason there is no figure."""
        if self.value is None:
            return self.detail or self.get_verdict_display()
        needs = f"{self.get_comparison_display()} {self.threshold:g}"
        return f"{self.value:.3g} (needs {needs}): {self.get_verdict_display()}"
