"""Who may act on a release's day, and what may be done in which state, written once as the
reason it may not ("" when it may).

The views check the role predicates before anything else (a 403 with nothing changed). The
services raise the reasons (RolloutError) and the board reads the same functions: it shows a
form only when its reason is empty, and otherwise the reason in its place. So the board never
offers what the server refuses, and says why with the server's own words.
"""

import datetime as dt
from dataclasses import dataclass, field

from releasehub.accounts.models import Role, User
from releasehub.releases.models import Release
from releasehub.rollout.models import Incident, RollbackItem, Step, Verdict
from releasehub.rollout.selectors import (
    Board,
    ComponentRow,
    backend_blocker,
    promotion_blocker,
)

S = Release.Status
STEP_STATUSES = (S.GO, S.DEPLOYING, S.VERIFYING)
COMPLETABLE_STATUSES = (S.DEPLOYING, S.VERIFYING)
WATCH_STATUSES = (S.VERIFYING, S.MONITORING, S.COMPLETED)
ENDED_STATUSES = (S.ROLLED_BACK, S.CANCELLED)
DAY_OVER = (S.MONITORING, S.COMPLETED, *ENDED_STATUSES)


def _is(release: Release) -> str:
    return f"{release.version} is {release.get_status_display()}"


def _either(statuses) -> str:
    labels = [Release.Status(s).label for s in statuses]
    return f"{', '.join(labels[:-1])} or {labels[-1]}"


# Who -----------------------------------------------------------------------------------------


def promotes(user: User) -> bool:
    """The RM and SRE record the steps, overrides, incidents and rollbacks."""
    return user.has_any_role(Role.RELEASE_MANAGER, Role.SRE)


def runs_day(user: User) -> bool:
    """The RM keeps the day's log and completes the release."""
    return user.has_role(Role.RELEASE_MANAGER)


def edits_health_rules(user: User) -> bool:
    """SRE and staff write the Prometheus rules that judge the monitoring windows."""
    return bool(user.is_staff or user.has_role(Role.SRE))


def logs_anomalies(user: User) -> bool:
    return user.has_any_role(Role.RELEASE_MANAGER, Role.SRE, Role.QA_LEAD, Role.SQUAD_REP)


# The release as a whole -------------------------------------------------------------------


def steps_refusal(release: Release) -> str:
    # A hotfix is deployed without a Go/No-Go: its first step starts from Planned.
    allowed = ((S.PLANNED,) if release.is_hotfix else ()) + STEP_STATUSES
    if release.status in allowed:
        return ""
    return f"{_is(release)}; release day steps are recorded while it is {_either(allowed)}."


def completion_refusal(release: Release, rows: list[ComponentRow]) -> str:
    if release.status not in COMPLETABLE_STATUSES:
        return f"{_is(release)}; a release is completed while {_either(COMPLETABLE_STATUSES)}."
    waiting = [f"{r.component.name} ({r.state})" for r in rows if not r.done]
    return f"Not done yet: {', '.join(waiting)}." if waiting else ""


def anomaly_refusal(release: Release) -> str:
    if release.status in WATCH_STATUSES:
        return ""
    if release.status in ENDED_STATUSES:
        return f"{_is(release)}; it is no longer watched, so anomalies are not logged."
    return f"Anomalies can be logged once the release is verifying or watched; {_is(release)}."


def rollback_status_refusal(release: Release) -> str:
    return f"{_is(release)}; no rollback." if release.status in ENDED_STATUSES else ""


def rollback_refusal(release: Release, rows: list[ComponentRow]) -> str:
    """A full rollback, or the board's rollback form: something must still be in production
    (a component is only ever started on a release that is Deploying or later)."""
    if refusal := rollback_status_refusal(release):
        return refusal
    return "" if rollable(rows) else "Nothing of this release is in production to roll back."


# One service or app -------------------------------------------------------------------------


def row_refusal(row: ComponentRow) -> str:
    """A step on a component the day has left behind."""
    if row.skipped:
        return f"{row.component} was skipped."
    if row.rollback is not None:
        return f"{row.component} was rolled back; it takes no more release day steps."
    return ""


def observation_refusal(row: ComponentRow) -> str:
    if refusal := row_refusal(row):
        return refusal
    if Step.PROMOTION_FINISHED not in row.steps:
        return f"{row.component} is not promoted to production yet."
    return ""


def cut_short_refusal(row: ComponentRow) -> str:
    return "" if row.window_open else f"{row.component} has no open monitoring window."


def skip_refusal(row: ComponentRow) -> str:
    if row.skipped:
        return f"{row.component} was skipped."
    if row.started:
        return f"{row.component} has already started in production; roll it back."
    return ""


def rollback_row_refusal(row: ComponentRow) -> str:
    """A failed rollback may be tried again; a running or succeeded one may not."""
    if not row.started:
        return f"{row.component} has not reached production."
    if row.rolling_back:
        return f"{row.component} is already being rolled back."
    if row.rolled_back:
        return f"{row.component} is already rolled back."
    return ""


def rollable(rows: list[ComponentRow]) -> list[ComponentRow]:
    return [r for r in rows if r.in_scope and not rollback_row_refusal(r)]


# One row's next action ------------------------------------------------------------------------


# The POST views a row's next action goes to.
SERVICE_STEP, HEALTH, APP_STEP = "rollout:service_step", "rollout:health", "rollout:app_step"


@dataclass
class RowAction:
    """The one next step a row offers: a button (with the inputs the step needs), shown disabled
    with `refusal` when a gate holds. `view` names the POST view that records it."""

    kind: str
    label: str
    view: str
    refusal: str = ""
    # When the gate is an open monitoring window: when it closes (the board counts down).
    closes_at: dt.datetime | None = None


@dataclass
class RowPlan:
    """A service or app row on the board: its next action, the overrides its "More…" offers,
    and the outcome of the last action on it (set by the view that answers it)."""

    row: ComponentRow
    next: RowAction | None = None
    waiting: str = ""  # nothing to click: what the row waits for ("window closes in …")
    waiting_until: dt.datetime | None = None
    overrides: list[str] = field(default_factory=list)
    error: str = ""
    notice: str = ""

    @property
    def key(self) -> str:
        kind = "service" if self.row.is_service else "app"
        return f"{kind}:{self.row.component.slug}"

    @property
    def dom_id(self) -> str:
        return self.key.replace(":", "-")


def _open_window_before(services: list[ComponentRow], row: ComponentRow) -> ComponentRow | None:
    """The earlier service whose open monitoring window holds `row` back, if that is the gate."""
    for earlier in services:
        if earlier is row:
            return None
        if not earlier.done:
            return earlier if earlier.window_open and earlier.window else None
    return None


def _service_next(services: list[ComponentRow], row: ComponentRow) -> RowAction | None:
    name, steps = row.component.name, row.steps
    if Step.STAGING_DEPLOYED not in steps:
        return RowAction(Step.STAGING_DEPLOYED, f"Deploy {name} to staging", SERVICE_STEP)
    smoke = steps.get(Step.STAGING_SMOKE)
    if not (smoke and smoke.passed) and Step.PROMOTION_STARTED not in steps:
        again = " again" if smoke else ""
        return RowAction(Step.STAGING_SMOKE, f"Record staging smoke{again}", SERVICE_STEP)
    if Step.PROMOTION_STARTED not in steps:
        action = RowAction(Step.PROMOTION_STARTED, f"Start promotion of {name}", SERVICE_STEP)
        if blocker := promotion_blocker(services, row):
            # The service's own words (promotion.service_step_record).
            action.refusal = f"{row.component} cannot be promoted yet: {blocker}"
            gate = _open_window_before(services, row)
            action.closes_at = gate.window.due_at if gate and gate.window else None
        return action
    if Step.PROMOTION_FINISHED not in steps:
        return RowAction(Step.PROMOTION_FINISHED, f"Finish promotion of {name}", SERVICE_STEP)
    if not row.healthy:
        return RowAction(Step.HEALTH, "Record monitoring: healthy", HEALTH)
    return None


def _app_next(services: list[ComponentRow], row: ComponentRow) -> RowAction | None:
    name, steps = row.component.name, row.steps
    if Step.BUILD_TRIGGERED not in steps:
        return RowAction(Step.BUILD_TRIGGERED, f"Trigger build of {name}", APP_STEP)
    if Step.CANARY_STARTED not in steps:
        action = RowAction(Step.CANARY_STARTED, f"Start canary of {name}", APP_STEP)
        if blocker := backend_blocker(services):
            action.refusal = f"{row.component}'s canary cannot start yet: {blocker}"
            gate = next((r for r in services if r.in_scope and r.window_open and r.window), None)
            action.closes_at = gate.window.due_at if gate and gate.window else None
        return action
    if Step.CANARY_VALIDATED not in steps:
        return RowAction(Step.CANARY_VALIDATED, f"Validate canary of {name}", APP_STEP)
    if Step.FULL_ROLLOUT not in steps:
        return RowAction(Step.FULL_ROLLOUT, f"Full rollout of {name}", APP_STEP)
    if Step.FLAGS_TOGGLED not in steps:
        return RowAction(Step.FLAGS_TOGGLED, "Record flags toggled", APP_STEP)
    if Step.CDN not in steps:
        return RowAction(Step.CDN, "CDN purge", APP_STEP)
    return None


def _overrides(services: list[ComponentRow], row: ComponentRow) -> list[str]:
    """The deliberate second steps a row offers (each needs a reason), in the order shown."""
    offered = []
    smoke = row.steps.get(Step.STAGING_SMOKE)
    if (
        row.is_service
        and not row_refusal(row)
        and Step.STAGING_DEPLOYED in row.steps
        and not row.started
        and not (smoke and smoke.passed)
        and not promotion_blocker(services, row)
    ):
        offered.append("force")
    if row.is_service and not observation_refusal(row) and not row.done:
        offered += ["manual_health", "unhealthy"]
    if row.is_service and not cut_short_refusal(row):
        offered.append("cut_short")
    if not skip_refusal(row):
        offered.append("skip")
    if row.gate and row.gate.verdict == Verdict.FAIL and not rollback_row_refusal(row):
        offered.append("rollback")  # a failed health gate: roll this service back from its row
    return offered


def row_plan(release: Release, services: list[ComponentRow], row: ComponentRow) -> RowPlan:
    """What `row` offers next, from the same reasons the services raise."""
    plan = RowPlan(row)
    if not row.in_scope or row_refusal(row):
        return plan
    plan.next = (_service_next if row.is_service else _app_next)(services, row)
    if refusal := steps_refusal(release):
        # Before its day a row shows its first step and why it waits; after, nothing.
        if plan.next is not None and not row.done and release.status not in DAY_OVER:
            plan.next.refusal, plan.next.closes_at = refusal, None
        else:
            plan.next = None
        return plan
    plan.overrides = _overrides(services, row)
    if row.is_service and plan.next is None and row.window_open and row.window:
        plan.waiting = f"{row.component} is healthy; its monitoring window closes in"
        plan.waiting_until = row.window.due_at
    return plan


# The board ----------------------------------------------------------------------------------


@dataclass
class Actions:
    """The board's forms: each shown when `refused[name]` is "", with the choices it offers;
    and each service and app row's next action."""

    refused: dict[str, str]
    services: list[RowPlan]
    apps: list[RowPlan]
    rollable: list[ComponentRow]
    pending_rollback: list[RollbackItem]
    unresolved: list[Incident]

    def plan(self, key: str) -> RowPlan | None:
        return next((p for p in self.services + self.apps if p.key == key), None)


def board_actions(board: Board) -> Actions:
    release, rows = board.release, board.in_scope
    refused = {
        "complete": completion_refusal(release, board.services + board.apps),
        "anomaly": anomaly_refusal(release),
        "rollback": rollback_refusal(release, rows),
    }
    return Actions(
        refused=refused,
        services=[row_plan(release, board.services, r) for r in board.services],
        apps=[row_plan(release, board.services, r) for r in board.apps],
        rollable=rollable(rows),
        pending_rollback=[i for i in board.rollback_items if i.result_or_none is None],
        unresolved=[i for i in board.incidents if i.resolution_or_none is None],
    )
