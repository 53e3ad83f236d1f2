"""What a service's health gate says so far, read from its evaluations (the board and the
engine read the same: the board never shows a verdict the engine would not act on).

A window's verdict: any rule that failed during it fails it; otherwise its latest round decides,
and only all rules passing is a pass. No data, an unreachable Prometheus or a query error hold
the gate with that reason (fail closed).
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from releasehub.catalog.models import FrontendApp, Service
from releasehub.releases.clock import ist
from releasehub.rollout import prometheus
from releasehub.rollout.models import UNDECIDED, HealthEvaluation, HealthRule, HealthWindow, Verdict

if TYPE_CHECKING:
    from releasehub.releases.models import Release

SPARK_WIDTH, SPARK_HEIGHT = 120, 24


def enabled_rules(component: Service | FrontendApp) -> list[HealthRule]:
    field = "service" if isinstance(component, Service) else "app"
    return list(HealthRule.objects.filter(enabled=True, **{field: component}))


def gates_on(component: Service | FrontendApp) -> bool:
    """Rules judge the component: Prometheus is configured and it has an enabled rule."""
    return prometheus.configured() and bool(enabled_rules(component))


@dataclass
class RuleFigure:
    """One rule's evaluations in the window: the latest figure, and the points of its sparkline."""

    evaluations: list[HealthEvaluation]

    @property
    def latest(self) -> HealthEvaluation:
        return self.evaluations[-1]

    def _scale(self) -> tuple[float, float]:
        values = [e.value for e in self.evaluations if e.value is not None]
        values.append(self.latest.threshold)
        low, high = min(0.0, *values), max(values)
        return low, (high - low) or 1.0

    def _y(self, value: float) -> str:
        low, span = self._scale()
        return f"{SPARK_HEIGHT - 2 - (value - low) / span * (SPARK_HEIGHT - 4):.1f}"

    @property
    def points(self) -> str:
        """SVG polyline points, drawn on the server (no script: the CSP allows none)."""
        step = SPARK_WIDTH / max(1, len(self.evaluations) - 1)
        return " ".join(
            f"{i * step:.1f},{self._y(e.value)}"
            for i, e in enumerate(self.evaluations)
            if e.value is not None
        )

    @property
    def threshold_y(self) -> str:
        return self._y(self.latest.threshold)


@dataclass
class GateState:
    verdict: str = ""  # a Verdict, or "" before the first evaluation
    reason: str = ""
    figures: list[RuleFigure] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return self.verdict not in ("", Verdict.PASS)

    @property
    def label(self) -> str:
        return Verdict(self.verdict).label if self.verdict else "not evaluated yet"


def _why(evaluation: HealthEvaluation) -> str:
    return f"{evaluation.name} {evaluation.figure} at {ist(evaluation.at)}"


def gate_state(evaluations: list[HealthEvaluation]) -> GateState:
    """The verdict of one window's evaluations (in `at` order)."""
    if not evaluations:
        return GateState()
    by_rule: dict[int, list[HealthEvaluation]] = {}
    for evaluation in evaluations:
        by_rule.setdefault(evaluation.rule_id, []).append(evaluation)
    figures = [RuleFigure(rows) for rows in by_rule.values()]
    state = GateState(figures=figures)
    if failed := next((e for e in evaluations if e.verdict == Verdict.FAIL), None):
        state.verdict, state.reason = Verdict.FAIL, _why(failed)
        return state
    last_minute = max(e.minute for e in evaluations)
    latest = [f.latest for f in figures if f.latest.minute == last_minute]
    if undecided := next((e for e in latest if e.verdict in UNDECIDED), None):
        state.verdict, state.reason = undecided.verdict, undecided.detail or undecided.name
        return state
    state.verdict = Verdict.PASS
    return state


def window_gates(
    release: "Release", promoted_at: Mapping[int | None, dt.datetime]
) -> dict[int, GateState]:
    """Per service id, the gate of its current monitoring window (evaluations since its
    promotion finished), all services in one query."""
    rows = HealthEvaluation.objects.filter(
        release=release, window=HealthWindow.MONITORING, service__isnull=False
    ).order_by("at", "id")
    per_service: dict[int, list[HealthEvaluation]] = {}
    for row in rows:
        since = promoted_at.get(row.service_id)
        if row.service_id is not None and since is not None and row.at >= since:
            per_service.setdefault(row.service_id, []).append(row)
    return {pk: gate_state(rows) for pk, rows in per_service.items()}
