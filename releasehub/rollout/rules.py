"""Who may act on a release's day, and what may be done in which state, written once as the
reason it may not ("" when it may).

The views check the role predicates before anything else (a 403 with nothing changed). The
services raise the reasons (RolloutError) and the board reads the same functions: it shows a
form only when its reason is empty, and otherwise the reason in its place. So the board never
offers what the server refuses, and says why with the server's own words.
"""

from dataclasses import dataclass

from releasehub.accounts.models import Role, User
from releasehub.catalog.models import FrontendApp, Service
from releasehub.releases.models import Release
from releasehub.rollout.models import Incident, RollbackItem, Step
from releasehub.rollout.selectors import Board, ComponentRow

S = Release.Status
STEP_STATUSES = (S.GO, S.DEPLOYING, S.VERIFYING)
COMPLETABLE_STATUSES = (S.DEPLOYING, S.VERIFYING)
WATCH_STATUSES = (S.VERIFYING, S.MONITORING, S.COMPLETED)
ENDED_STATUSES = (S.ROLLED_BACK, S.CANCELLED)


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


# The board ----------------------------------------------------------------------------------


@dataclass
class Actions:
    """The board's forms: each shown when `refused[name]` is "", with the choices it offers."""

    refused: dict[str, str]
    step_services: list[Service | FrontendApp]  # services only
    step_apps: list[Service | FrontendApp]  # apps only
    observable: list[Service | FrontendApp]  # services only
    overridable: list[ComponentRow]
    rollable: list[ComponentRow]
    pending_rollback: list[RollbackItem]
    unresolved: list[Incident]


def board_actions(board: Board) -> Actions:
    release, rows = board.release, board.in_scope
    steps = steps_refusal(release)
    services = [r for r in rows if r.is_service]
    observable = [r.component for r in services if not observation_refusal(r)]
    overridable = [
        r for r in rows if not skip_refusal(r) or (r.is_service and not cut_short_refusal(r))
    ]
    refused = {
        "steps": steps,
        "health": steps
        or (
            ""
            if observable
            else "Monitoring observations are recorded once a service is in production."
        ),
        "override": steps
        or ("" if overridable else "No monitoring window is open and nothing is left to skip."),
        "complete": completion_refusal(release, board.services + board.apps),
        "anomaly": anomaly_refusal(release),
        "rollback": rollback_refusal(release, rows),
    }
    return Actions(
        refused=refused,
        step_services=[r.component for r in services if not row_refusal(r)],
        step_apps=[r.component for r in rows if not r.is_service and not row_refusal(r)],
        observable=observable,
        overridable=overridable,
        rollable=rollable(rows),
        pending_rollback=[i for i in board.rollback_items if i.result_or_none is None],
        unresolved=[i for i in board.incidents if i.resolution_or_none is None],
    )
