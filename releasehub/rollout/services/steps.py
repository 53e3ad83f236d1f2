"""What promotion and frontends share: the release's row lock, the component's row on the
board, and a step appended to the component's chain, the timeline and, when it overrides the
runbook, the manual-intervention ledger."""

import datetime as dt
from typing import Any

from releasehub.accounts.models import User
from releasehub.audit.evidence import evidence_append
from releasehub.audit.interventions import intervention_record
from releasehub.audit.models import InterventionKind
from releasehub.audit.timeline import record_event
from releasehub.catalog.models import FrontendApp, Service
from releasehub.releases.models import Release
from releasehub.releases.services.lifecycle import release_transition
from releasehub.rollout.errors import RolloutError
from releasehub.rollout.models import REPEATABLE, RolloutStep, Step
from releasehub.rollout.selectors import ComponentRow

S = Release.Status
Component = Service | FrontendApp


def release_lock(release: Release) -> Release:
    return Release.objects.select_for_update().get(pk=release.pk)


def component_row(rows: list[ComponentRow], component: Component) -> ComponentRow:
    row = next((r for r in rows if r.component == component), None)
    if row is None or not row.in_scope:
        raise RolloutError(f"{component} is not in the scope of this release.")
    return row


def previous_missing(row: ComponentRow, order: tuple[Step, ...], kind: str) -> str:
    """Why `kind` may not be recorded yet in `order` ("" when the step before it is there)."""
    index = order.index(kind)
    if index and order[index - 1] not in row.steps:
        return f"{row.component}: record “{Step(order[index - 1]).label}” first."
    return ""


def day_open(*, release: Release, actor: User, at: dt.datetime) -> None:
    """The first production step makes the release Deploying."""
    if release.status in (S.GO, S.PLANNED):
        release_transition(
            release=release, to=S.DEPLOYING, actor=actor, reason="First promotion", at=at
        )


def step_append(
    *,
    release: Release,
    row: ComponentRow,
    kind: str,
    actor: User,
    at: dt.datetime,
    summary: str,
    overrides: tuple[InterventionKind, str] | None = None,
    **fields: Any,
) -> RolloutStep:
    """`overrides`: the ledger's kind and reason, when this step is a person overriding the
    runbook (a skip, a forced promotion, a window cut short, a manual health mark)."""
    target = {"service": row.component} if row.is_service else {"app": row.component}
    current = row.steps.get(kind)
    if current and kind not in REPEATABLE:
        raise RolloutError(f"{row.component}: {Step(kind).label} is already recorded.")
    step = evidence_append(
        RolloutStep,
        conflict=RolloutError(
            f"{row.component}: {Step(kind).label} was recorded at the same moment; reload."
        ),
        release=release,
        kind=kind,
        actor=actor,
        at=at,
        supersedes=current if kind in REPEATABLE else None,
        **target,
        **fields,
    )
    row.steps[kind] = step
    record_event(
        verb=f"rollout.{kind}",
        target=step,
        release=release,
        actor=actor,
        summary=f"{row.component}: {summary}",
        reason=fields.get("note", ""),
        occurred_at=at,
    )
    if overrides is not None:
        ledger_kind, reason = overrides
        intervention_record(release=release, kind=ledger_kind, actor=actor, reason=reason, at=at)
    return step
