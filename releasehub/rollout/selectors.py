"""Reads for the release day board. The board's query count does not grow with its services."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from releasehub.audit.models import ManualIntervention
from releasehub.catalog.models import FrontendApp, Service
from releasehub.readiness.models import GoNoGoDecision, SignOffDecision
from releasehub.readiness.panels import SmokeState, smoke_state
from releasehub.releases.models import Release, ScopeTicket
from releasehub.rollout.gates import GateState, window_gates
from releasehub.rollout.models import (
    Anomaly,
    Incident,
    LogEntry,
    Rollback,
    RollbackItem,
    RolloutStep,
    Step,
)
from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction

S = Release.Status
# Steps are recorded on these; the board polls while people work on the release.
BOARD_LIVE = (S.GO, S.DEPLOYING, S.VERIFYING, S.MONITORING)


def hms(delta: dt.timedelta | None) -> str:
    """`1:05:09` (hours:minutes:seconds), or "" when there is nothing to show."""
    if delta is None:
        return ""
    seconds = max(0, int(delta.total_seconds()))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def scope(release: Release) -> tuple[list[Service], list[FrontendApp]]:
    """The catalog's active services (promotion order) and apps, and which the release touches:
    returned as (services in scope, apps in scope), 3 queries."""
    through_s = ScopeTicket.services.through
    through_a = ScopeTicket.apps.through
    service_ids = set(
        through_s.objects.filter(scopeticket__release=release).values_list("service_id", flat=True)
    )
    app_ids = set(
        through_a.objects.filter(scopeticket__release=release).values_list(
            "frontendapp_id", flat=True
        )
    )
    services = [s for s in Service.objects.filter(active=True) if s.pk in service_ids]
    apps = [a for a in FrontendApp.objects.filter(active=True) if a.pk in app_ids]
    return services, apps


def current_steps(rows) -> dict[str, RolloutStep]:
    """The current row of each kind (the latest of a supersede chain), rows in (at, id) order."""
    current: dict[str, RolloutStep] = {}
    for row in rows:
        current[row.kind] = row
    return current


def window_states(release: Release) -> dict[int | None, ScheduledAction]:
    """Per service id, its latest live-or-finished monitoring window (as the schedule's
    `monitoring_window_closed` reads it), for all services in one query."""
    rows = (
        ScheduledAction.objects.filter(
            release=release,
            kind=ActionKind.MONITORING_WINDOW_CLOSES,
            schedule_version=release.schedule_version,
        )
        .exclude(status__in=[ActionStatus.SUPERSEDED, ActionStatus.CANCELLED])
        .order_by("sequence", "id")
    )
    return {row.service_id: row for row in rows}


@dataclass
class ComponentRow:
    component: Service | FrontendApp
    in_scope: bool
    steps: dict[str, RolloutStep] = field(default_factory=dict)
    window: ScheduledAction | None = None
    # Its latest rollback, if one covered it; a rolled-back component takes no more steps.
    rollback: RollbackItem | None = None
    blocked: str = ""
    # The health gate of its monitoring window, when rules judged it (docs/health-gates.md).
    gate: GateState | None = None
    # Release day is over: a promotion without a window row is imported history, long closed.
    history: bool = False

    @property
    def is_service(self) -> bool:
        return isinstance(self.component, Service)

    def step(self, kind: str) -> RolloutStep | None:
        return self.steps.get(kind)

    @property
    def skipped(self) -> RolloutStep | None:
        return self.steps.get(Step.SKIPPED)

    @property
    def rolling_back(self) -> bool:
        return self.rollback is not None and self.rollback.result_or_none is None

    @property
    def rolled_back(self) -> bool:
        result = self.rollback.result_or_none if self.rollback else None
        return result is not None and result.succeeded

    @property
    def window_closed(self) -> bool:
        if Step.WINDOW_CUT_SHORT in self.steps:
            return True
        if self.window is None and self.history:
            return Step.PROMOTION_FINISHED in self.steps
        return self.window is not None and self.window.status == ActionStatus.DONE

    @property
    def window_open(self) -> bool:
        if self.rollback is not None:
            return False
        return Step.PROMOTION_FINISHED in self.steps and not self.window_closed

    @property
    def healthy(self) -> bool:
        health = self.steps.get(Step.HEALTH)
        return health is not None and bool(health.passed)

    @property
    def done(self) -> bool:
        """Nothing left to do: out of scope, skipped, rolled back, or fully through its steps.
        A rollback still running or failed is not done: the release waits for its outcome."""
        if not self.in_scope or self.skipped or self.rolled_back:
            return True
        if self.rollback is not None:
            return False
        if self.is_service:
            return Step.PROMOTION_FINISHED in self.steps and self.window_closed and self.healthy
        return Step.FULL_ROLLOUT in self.steps

    @property
    def started(self) -> RolloutStep | None:
        return self.steps.get(Step.PROMOTION_STARTED if self.is_service else Step.CANARY_STARTED)

    @property
    def finished(self) -> RolloutStep | None:
        return self.steps.get(Step.PROMOTION_FINISHED if self.is_service else Step.FULL_ROLLOUT)

    @property
    def duration(self) -> dt.timedelta | None:
        if self.started and self.finished:
            return self.finished.at - self.started.at
        return None

    @property
    def duration_label(self) -> str:
        return hms(self.duration)

    @property
    def state(self) -> str:
        if not self.in_scope:
            return "unchanged"
        if self.skipped:
            return "skipped"
        if self.rollback is not None:
            if self.rolling_back:
                return "rolling back"
            return "rolled back" if self.rolled_back else "rollback failed"
        if self.is_service:
            if self.done:
                return "done"
            if self.window_open:
                return "monitoring"
            if self.window_closed:
                return "unhealthy" if Step.HEALTH in self.steps else "awaiting health"
        elif self.done:
            return "done"
        kinds = [k for k in Step.values if k in self.steps]
        return Step(kinds[-1]).label.lower() if kinds else "waiting"


def component_rows(
    release: Release,
    steps: list[RolloutStep] | None = None,
    rollback_items: list[RollbackItem] | None = None,
) -> tuple[list[ComponentRow], list[ComponentRow]]:
    """Every active service and app with its steps, window, health gate, rollback and blocked
    reason (8 queries; 7 when the caller has the rollback items)."""
    in_services, in_apps = scope(release)
    if steps is None:
        steps = list(RolloutStep.objects.filter(release=release).select_related("actor"))
    if rollback_items is None:
        rollback_items = list(
            RollbackItem.objects.filter(release=release).select_related("result").order_by("id")
        )
    # The latest rollback of each component wins (a failed one may be tried again).
    rolled = {(i.service_id, i.app_id): i for i in rollback_items}
    windows = window_states(release)
    finished = {r.service_id: r.at for r in steps if r.kind == Step.PROMOTION_FINISHED}
    gates = window_gates(release, finished)
    history = release.status in (S.MONITORING, S.COMPLETED, S.ROLLED_BACK)
    services = [
        ComponentRow(
            s,
            s in in_services,
            current_steps(r for r in steps if r.service_id == s.pk),
            windows.get(s.pk),
            rolled.get((s.pk, None)),
            gate=gates.get(s.pk),
            history=history,
        )
        for s in Service.objects.filter(active=True)
    ]
    apps = [
        ComponentRow(
            a,
            a in in_apps,
            current_steps(r for r in steps if r.app_id == a.pk),
            rollback=rolled.get((None, a.pk)),
        )
        for a in FrontendApp.objects.filter(active=True)
    ]
    _explain_blocks(services, apps)
    return services, apps


def promotion_blocker(services: list[ComponentRow], row: ComponentRow) -> str:
    """Why `row` may not be promoted yet ("" when it may): the one before must be done."""
    for earlier in services:
        if earlier is row:
            return ""
        if earlier.done:
            continue
        name = earlier.component.name
        if earlier.rolling_back:
            return f"{name} is being rolled back."
        if earlier.rollback is not None:
            return f"The rollback of {name} failed."
        if Step.PROMOTION_FINISHED not in earlier.steps:
            return f"{name} has not finished its production promotion."
        if not earlier.window_closed:
            return f"{name}'s monitoring window is still open."
        if Step.HEALTH not in earlier.steps:
            if earlier.gate and earlier.gate.holds:
                return f"{name}'s health gate holds: {earlier.gate.reason}."
            return f"{name} has no healthy observation from the SRE yet."
        # The observation's own words: an alert's summary, a failed rule, what the SRE saw.
        seen = earlier.steps[Step.HEALTH].note.strip().rstrip(".")
        return f"{name} was observed unhealthy{f': {seen}' if seen else ''}."
    return ""


def backend_blocker(services: list[ComponentRow]) -> str:
    waiting = [r.component.name for r in services if not r.done]
    return f"Backend services not done: {', '.join(waiting)}." if waiting else ""


def _explain_blocks(services: list[ComponentRow], apps: list[ComponentRow]) -> None:
    for row in services:
        if row.in_scope and not row.skipped and not row.started:
            row.blocked = promotion_blocker(services, row)
    backend = backend_blocker(services)
    for row in apps:
        if row.in_scope and not row.skipped and not row.started:
            row.blocked = backend


@dataclass
class Board:
    release: Release
    services: list[ComponentRow]
    apps: list[ComponentRow]
    smoke: SmokeState
    log: list[LogEntry]
    interventions: list[ManualIntervention]
    anomalies: list[Anomaly]
    incidents: list[Incident]
    rollbacks: list[Rollback]
    go_at: dt.datetime | None
    now: dt.datetime

    @property
    def in_scope(self) -> list[ComponentRow]:
        return [r for r in self.services + self.apps if r.in_scope]

    @property
    def rollback_items(self) -> list[RollbackItem]:
        return [i for r in self.rollbacks for i in r.items.all()]

    @property
    def live(self) -> bool:
        # A rollback's outcome is awaited even on a release that it ended.
        pending = any(i.result_or_none is None for i in self.rollback_items)
        return pending or self.release.status in BOARD_LIVE

    @property
    def open_window(self) -> ComponentRow | None:
        return next((r for r in self.services if r.in_scope and r.window_open), None)

    @property
    def blocked(self) -> list[str]:
        return [f"{r.component.name}: {r.blocked}" for r in self.services + self.apps if r.blocked]

    @property
    def first_started(self) -> dt.datetime | None:
        starts = [r.started.at for r in self.in_scope if r.started]
        return min(starts) if starts else None

    @property
    def last_full_rollout(self) -> dt.datetime | None:
        ends = [r.finished.at for r in self.apps if r.in_scope and r.finished]
        return max(ends) if ends else None

    @property
    def deployment_duration(self) -> dt.timedelta | None:
        """First production promotion started to last frontend full rollout."""
        if self.first_started and self.last_full_rollout:
            return self.last_full_rollout - self.first_started
        return None

    @property
    def elapsed(self) -> dt.timedelta | None:
        if self.first_started is None:
            return None
        end = self.last_full_rollout if self.deployment_duration else None
        return (end or self.now) - self.first_started

    @property
    def go_no_go_wait(self) -> dt.timedelta | None:
        """Go decision to the first production promotion: shown apart from the deployment."""
        if self.go_at and self.first_started:
            return self.first_started - self.go_at
        return None

    @property
    def labels(self) -> dict[str, str]:
        return {
            "elapsed": hms(self.elapsed),
            "deployment": hms(self.deployment_duration),
            "go_wait": hms(self.go_no_go_wait),
        }

    @property
    def completion(self) -> LogEntry | None:
        return next((e for e in self.log if e.completes), None)

    @property
    def open_anomalies(self) -> list[Anomaly]:
        return [
            a for a in self.anomalies if not hasattr(a, "incident") and not hasattr(a, "hotfix_fix")
        ]


def board(release: Release, *, now: dt.datetime | None = None) -> Board:
    rollbacks = list(
        Rollback.objects.filter(release=release)
        .select_related("actor", "incident")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=RollbackItem.objects.select_related(
                    "service", "app", "result", "result__actor"
                ).order_by("id"),
            )
        )
        .order_by("at", "id")
    )
    items = sorted((i for r in rollbacks for i in r.items.all()), key=lambda i: i.pk)
    services, apps = component_rows(release, rollback_items=items)
    go_at = (
        GoNoGoDecision.objects.filter(release=release, decision=SignOffDecision.GO)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    return Board(
        release=release,
        services=services,
        apps=apps,
        smoke=smoke_state(release),
        log=list(LogEntry.objects.filter(release=release).select_related("actor")),
        interventions=list(
            ManualIntervention.objects.filter(release=release).select_related("actor")
        ),
        anomalies=list(
            Anomaly.objects.filter(release=release).select_related(
                "service", "app", "actor", "incident", "hotfix_fix__hotfix__release"
            )
        ),
        incidents=list(
            Incident.objects.filter(release=release).select_related(
                "service", "app", "resolution", "retrospective", "retrospective__owner"
            )
        ),
        rollbacks=rollbacks,
        go_at=go_at,
        now=now or timezone.now(),
    )
