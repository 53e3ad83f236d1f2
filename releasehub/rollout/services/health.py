"""Health gates: Prometheus rules judge each service's monitoring window and the 24-hour watch.

The timed actions call these (registered in `rollout/apps.py`, since schedule sits beside
rollout and may not import it), inside the executor's transaction with the release locked:
- each minute of a window (`health_check`): evaluate; a rule that turns failing opens an
  anomaly naming the rule, the figure and the threshold, and tells the SRE and the RM;
- at the close (`window_closes`, after schedule's own effect): all rules passing records the
  healthy observation through the manual path's own service, as the health-gates machine user,
  which opens the gate; a failure records it unhealthy (the row offers a rollback); no data, an
  unreachable Prometheus or a query error records nothing, so the gate holds with that reason,
  and a retry is planned a minute later;
- every 10 minutes of the watch (`watch_health_check`): evaluate, anomalies as above.
A person's observation stands: the engine never overrules the SRE, who may judge by hand with a
reason (the manual-intervention ledger). The queries run while the release is locked; each is
bounded by PROMETHEUS_TIMEOUT, well inside the executor's lease.
"""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from releasehub.accounts.machines import machine_user
from releasehub.accounts.models import Role, User
from releasehub.catalog.models import Service
from releasehub.releases.clock import POST_RELEASE_WATCH, ist
from releasehub.releases.models import Release
from releasehub.rollout import prometheus
from releasehub.rollout.gates import enabled_rules, gate_state, gates_on
from releasehub.rollout.models import (
    COMPARE,
    AnomalySeverity,
    Comparison,
    HealthEvaluation,
    HealthRule,
    HealthWindow,
    Measure,
    Step,
    Verdict,
)
from releasehub.rollout.rules import row_refusal, steps_refusal
from releasehub.rollout.selectors import ComponentRow, component_rows
from releasehub.rollout.services.promotion import service_health_record
from releasehub.rollout.services.steps import Component
from releasehub.rollout.services.watch import anomaly_log
from releasehub.schedule.effects import notify, with_roles
from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction
from releasehub.schedule.planning import (
    HEALTH_CHECK_EVERY,
    WATCH_HEALTH_CHECK_EVERY,
    plan_health_check,
)

# After a close that could not judge, retry each minute for an hour; then the SRE judges.
CLOSE_RETRIES = 60
_UNDECIDED = {
    prometheus.NO_DATA: Verdict.NO_DATA,
    prometheus.UNREACHABLE: Verdict.UNREACHABLE,
    prometheus.ERROR: Verdict.ERROR,
}
# "No worse than the baseline x factor": equal to it is no worse.
_NO_WORSE = {Comparison.LT: Comparison.LE, Comparison.GT: Comparison.GE}


def gate_actor() -> User:
    """The machine user the gates act as: an SRE, so it passes the checks an SRE would."""
    return machine_user("health-gates", label="Health gates (Prometheus)", roles=[Role.SRE])


def judge(
    rule: HealthRule, reading: prometheus.Reading, baseline: prometheus.Reading | None = None
) -> tuple[str, str]:
    """(verdict, why) of one reading held to the rule; anything but a figure holds the gate."""
    if reading.status != prometheus.OK or reading.value is None:
        return _UNDECIDED.get(reading.status, Verdict.ERROR), reading.detail
    value, sign = reading.value, rule.get_comparison_display()
    if not COMPARE[Comparison(rule.comparison)](value, rule.threshold):
        return Verdict.FAIL, f"{rule.name} reads {value:.3g}, needs {sign} {rule.threshold:g}"
    if rule.baseline_factor:
        if baseline is None or baseline.value is None:
            why = baseline.detail if baseline else "no promotion to compare with"
            return Verdict.NO_DATA, f"{rule.name}: no baseline ({why})"
        limit = baseline.value * rule.baseline_factor
        comparison = Comparison(rule.comparison)
        no_worse = COMPARE[_NO_WORSE.get(comparison, comparison)]
        if not no_worse(value, limit):
            return Verdict.FAIL, (
                f"{rule.name} reads {value:.3g}, worse than baseline {baseline.value:.3g} "
                f"x {rule.baseline_factor:g}"
            )
    return Verdict.PASS, ""


def health_evaluate(
    *,
    release: Release,
    component: Component,
    window: str,
    since: dt.datetime | None = None,
    closing: bool = False,
) -> list[HealthEvaluation]:
    """Evaluate the component's enabled rules once (one row each; a second run in the same
    minute reads nothing and returns the rows of the first). `since`: when the promotion
    started, the moment a baseline is read at."""
    now = timezone.now()
    minute = now.replace(second=0, microsecond=0)
    target = {"service": component} if isinstance(component, Service) else {"app": component}
    rows = []
    for rule in enabled_rules(component):
        key = {"rule": rule, "release": release, "window": window, "minute": minute}
        if existing := HealthEvaluation.objects.filter(**key).first():
            rows.append(existing)
            continue
        reading = prometheus.query(rule.expression)
        baseline = None
        if rule.baseline_factor and since is not None:
            baseline = prometheus.query(rule.expression, at=since)
        verdict, why = judge(rule, reading, baseline)
        rows.append(
            HealthEvaluation.objects.create(
                **key,
                **target,
                closing=closing,
                name=rule.name,
                query=rule.expression,
                comparison=rule.comparison,
                threshold=rule.threshold,
                value=reading.value,
                baseline=baseline.value if baseline else None,
                verdict=verdict,
                detail=why[:300],
                at=now,
            )
        )
    return rows


def _people(release: Release) -> list[User]:
    people = [release.release_manager] if release.release_manager else []
    sres = [u for u in with_roles(Role.SRE) if not u.is_machine and u not in people]
    return people + sres


def _turned_failing(evaluation: HealthEvaluation) -> bool:
    """A rule failing now that did not at its previous evaluation: one anomaly per failure."""
    if evaluation.verdict != Verdict.FAIL:
        return False
    previous = (
        HealthEvaluation.objects.filter(
            rule=evaluation.rule_id, release=evaluation.release_id, at__lt=evaluation.at
        )
        .order_by("-at", "-id")
        .values_list("verdict", flat=True)
        .first()
    )
    return previous != Verdict.FAIL


def _alarm(action: ScheduledAction, release: Release, evaluations: list[HealthEvaluation]) -> int:
    """An anomaly and a message to the SRE and the RM for each rule that turned failing."""
    failing = [e for e in evaluations if _turned_failing(e)]
    for evaluation in failing:
        component = evaluation.service or evaluation.app
        anomaly_log(
            release=release,
            actor=gate_actor(),
            seen_at=evaluation.at,
            description=f"Health rule “{evaluation.name}” failed for {component}: "
            f"{evaluation.detail} (at {ist(evaluation.at)}).",
            severity=AnomalySeverity.HIGH,
            component=component,
            gate=True,
        )
    # At a window's close the closing message says it (one message per person and action).
    if failing and action.kind != ActionKind.MONITORING_WINDOW_CLOSES:
        notify(
            action,
            _people(release),
            subject=f"Health rule failed: {', '.join(e.name for e in failing)}",
            what="\n".join(f"{e.service or e.app}: {e.detail}." for e in failing),
            due_by=action.due_at,
            details=["", "The gate holds. Look at the board; roll back from the row if needed."],
        )
    return len(failing)


def _row(release: Release, service: Service | None) -> ComponentRow | None:
    services, _ = component_rows(release)
    row = next((r for r in services if r.component == service), None)
    if row is None or not row.in_scope or row_refusal(row) or steps_refusal(release):
        return None
    return row if Step.PROMOTION_FINISHED in row.steps else None


def _window_evaluations(release: Release, row: ComponentRow) -> list[HealthEvaluation]:
    return list(
        HealthEvaluation.objects.filter(
            release=release,
            service_id=row.component.pk,
            window=HealthWindow.MONITORING,
            at__gte=row.steps[Step.PROMOTION_FINISHED].at,
        ).order_by("at", "id")
    )


def _evaluate_window(release: Release, row: ComponentRow, *, closing: bool = False):
    started = row.steps[Step.PROMOTION_STARTED].at
    return health_evaluate(
        release=release,
        component=row.component,
        window=HealthWindow.MONITORING,
        since=started,
        closing=closing,
    )


def _figures(evaluations: list[HealthEvaluation]) -> dict:
    """The observation row's p95 (ms) and error rate (%) from the rules that measure them."""
    rules = HealthRule.objects.filter(pk__in=[e.rule_id for e in evaluations])
    measures = dict(rules.values_list("pk", "measure"))
    figures: dict = {}
    for e in evaluations:
        if e.value is None:
            continue
        if measures.get(e.rule_id) == Measure.P95_LATENCY:
            figures["p95_ms"] = round(e.value * 1000)
        elif measures.get(e.rule_id) == Measure.ERROR_RATIO:
            figures["error_rate"] = Decimal(f"{e.value * 100:.3f}")
    return figures


def _judge_close(action: ScheduledAction, release: Release, row: ComponentRow) -> str:
    service = row.component
    assert isinstance(service, Service)
    latest = _evaluate_window(release, row, closing=True)
    if not latest:
        return f"{service} has no enabled health rules: the SRE observes by hand."
    _alarm(action, release, latest)
    gate = gate_state(_window_evaluations(release, row))
    if gate.verdict in (Verdict.PASS, Verdict.FAIL):
        healthy = gate.verdict == Verdict.PASS
        evidence = "; ".join(f"{e.name} {e.figure}" for e in latest)
        service_health_record(
            release=release,
            service=service,
            actor=gate_actor(),
            healthy=healthy,
            note=f"Every health rule passed at the close: {evidence}"
            if healthy
            else f"Health gate failed: {gate.reason}. At the close: {evidence}",
            by_rules=True,
            **_figures(latest),
        )
        if healthy:
            return f"{service}: every health rule passed; the gate opens, the next may go."
        return f"{service}: health gate failed ({gate.reason}); roll it back from its row."
    return _retry(action, release, service, gate.reason)


def _retry(action: ScheduledAction, release: Release, service: Service, reason: str) -> str:
    closes_at = _window_closed_at(release, service)
    later = ScheduledAction.objects.filter(
        release=release, service=service, kind=ActionKind.HEALTH_CHECK, due_at__gt=closes_at
    )
    if later.filter(status=ActionStatus.PENDING, due_at__gt=action.due_at).exists():
        return f"{service}: the gate holds ({reason}); a check is already planned."
    if later.count() >= CLOSE_RETRIES:
        return f"{service}: the gate holds ({reason}); retries are over, the SRE judges by hand."
    plan_health_check(release, service, timezone.now() + HEALTH_CHECK_EVERY, note="close retry")
    return (
        f"{service}: the health gate holds ({reason}); its rules are retried every minute, "
        "and the SRE may judge by hand with a reason."
    )


def _window_closed_at(release: Release, service: Service) -> dt.datetime:
    return (
        ScheduledAction.objects.filter(
            release=release, service=service, kind=ActionKind.MONITORING_WINDOW_CLOSES
        )
        .order_by("-sequence")
        .values_list("due_at", flat=True)
        .first()
    ) or timezone.now()


# The timed actions' effects ----------------------------------------------------------------


def health_check(action: ScheduledAction) -> str:
    """A minute of a window: evaluate. After a close that could not judge: judge again."""
    release = action.release
    if release is None or not prometheus.configured():
        return "Health gates are off (no PROMETHEUS_URL)."
    row = _row(release, action.service)
    if row is None:
        return "Nothing to check: the service is not in production on this release day."
    if row.window_open:
        evaluations = _evaluate_window(release, row)
        failing = _alarm(action, release, evaluations)
        return f"{len(evaluations)} rules evaluated, {failing} newly failing."
    if Step.HEALTH in row.steps:
        return f"{row.component} is already judged."
    return _judge_close(action, release, row)


def window_closes(action: ScheduledAction) -> str:
    """Judges a closing window (schedule's effect asks, and says the verdict in its message);
    "" when no rules judge the service."""
    release = action.release
    if release is None or action.service is None or not gates_on(action.service):
        return ""
    row = _row(release, action.service)
    if row is None or Step.HEALTH in row.steps:
        return ""  # a person observed it already: their judgement stands
    return _judge_close(action, release, row)


def watch_health_check(action: ScheduledAction) -> str:
    """Every 10 minutes of the 24-hour watch: each component in production, anomalies on new
    failures; the next check is planned while the watch lasts."""
    release = action.release
    if release is None or release.status != Release.Status.MONITORING:
        return "The watch is over."
    if not prometheus.configured():
        return "Health gates are off (no PROMETHEUS_URL)."
    services, apps = component_rows(release)
    live = [r for r in services + apps if r.in_scope and r.started and r.rollback is None]
    since = min((r.started.at for r in live if r.started), default=None)
    evaluations = []
    for row in live:
        evaluations += health_evaluate(
            release=release, component=row.component, window=HealthWindow.WATCH, since=since
        )
    failing = _alarm(action, release, evaluations)
    due = action.due_at + WATCH_HEALTH_CHECK_EVERY
    if release.completed_at and due < release.completed_at + POST_RELEASE_WATCH:
        plan_health_check(release, None, due)
    return f"{len(evaluations)} rules evaluated, {failing} newly failing."
