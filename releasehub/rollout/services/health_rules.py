"""Health rules, edited by SRE and staff: the catalog's default template, a change to a rule,
and trying a rule against the live Prometheus ("now this reads 0.31 s: passes")."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.audit.timeline import record_event
from releasehub.catalog.models import Service
from releasehub.rollout import prometheus
from releasehub.rollout.errors import RolloutError
from releasehub.rollout.models import Comparison, HealthRule, Measure, Verdict
from releasehub.rollout.services.health import judge
from releasehub.rollout.services.steps import Component

# The catalog's template: the label is `service` or `app`, filled in with the slug.
DEFAULT_RULES = (
    (
        "p95 latency",
        Measure.P95_LATENCY,
        "histogram_quantile(0.95, sum by (le) "
        '(rate(http_request_duration_seconds_bucket{{{label}="{slug}"}}[5m])))',
        Comparison.LT,
        0.4,
    ),
    (
        "error ratio",
        Measure.ERROR_RATIO,
        '(sum(rate(http_requests_total{{{label}="{slug}",code=~"5.."}}[5m])) or vector(0))'
        ' / sum(rate(http_requests_total{{{label}="{slug}"}}[5m]))',
        Comparison.LT,
        0.01,
    ),
)


def _target(component: Component) -> dict:
    return {"service": component} if isinstance(component, Service) else {"app": component}


@transaction.atomic
def health_rules_from_template(*, component: Component, actor: User) -> list[HealthRule]:
    """The default rules (p95 latency and error ratio) for a component that has none."""
    target = _target(component)
    if HealthRule.objects.filter(**target).exists():
        raise RolloutError(f"{component} has health rules already; edit them.")
    label = "service" if isinstance(component, Service) else "app"
    now = timezone.now()
    rules = HealthRule.objects.bulk_create(
        HealthRule(
            **target,
            name=name,
            measure=measure,
            expression=expression.format(label=label, slug=component.slug),
            comparison=comparison,
            threshold=threshold,
            updated_by=actor,
            updated_at=now,
        )
        for name, measure, expression, comparison, threshold in DEFAULT_RULES
    )
    for rule in HealthRule.objects.filter(**target):
        record_event(verb="rollout.health_rule", target=rule, actor=actor, summary=f"{rule} added")
    return rules


@transaction.atomic
def health_rule_save(
    *, component: Component, actor: User, rule: HealthRule | None = None, **fields
) -> HealthRule:
    """Add a rule (`rule` None) or change one; `fields`: name, measure, expression,
    comparison, threshold, baseline_factor, enabled."""
    if rule is None:
        rule = HealthRule(**_target(component))
    elif (rule.service or rule.app) != component:
        raise RolloutError("That rule belongs to another service or app.")
    before = {k: getattr(rule, k) for k in fields} if rule.pk else None
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.updated_by, rule.updated_at = actor, timezone.now()
    rule.save()
    record_event(
        verb="rollout.health_rule",
        target=rule,
        actor=actor,
        summary=f"{rule} {'changed' if before else 'added'}: {rule.condition}",
        before={k: str(v) for k, v in before.items()} if before else None,
        after={k: str(v) for k, v in fields.items()},
    )
    return rule


@dataclass
class Trial:
    reading: prometheus.Reading
    verdict: str
    unit: str = ""

    @property
    def text(self) -> str:
        """`now this reads 0.31: passes`, or why it read nothing."""
        if self.reading.value is None:
            return f"now this reads nothing: {self.reading.detail}"
        value = f"{self.reading.value:.3g}{self.unit}"
        return f"now this reads {value}: {Verdict(self.verdict).label}"


def health_rule_try(
    *, expression: str, comparison: str, threshold: float, measure: str = ""
) -> Trial:
    """Read the expression from the live Prometheus (writes nothing; no baseline)."""
    rule = HealthRule(name="rule", expression=expression, comparison=comparison)
    rule.threshold = threshold
    reading = prometheus.query(expression)
    verdict, _ = judge(rule, reading)
    return Trial(reading, verdict, " s" if measure == Measure.P95_LATENCY else "")
