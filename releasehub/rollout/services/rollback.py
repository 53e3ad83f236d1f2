"""Rolling back a release's services and apps, each by its rollback plan (a manual rollback,
in the ledger), and recording each one's outcome, which is itself a deployment."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.audit.evidence import evidence_append
from releasehub.audit.interventions import intervention_record
from releasehub.audit.models import InterventionKind
from releasehub.audit.timeline import record_event
from releasehub.releases.models import Release, RollbackPlan
from releasehub.releases.services.lifecycle import release_transition
from releasehub.rollout.errors import RolloutError, refuse
from releasehub.rollout.models import (
    Deployment,
    DeploymentKind,
    DeploymentOutcome,
    Incident,
    Rollback,
    RollbackItem,
    RollbackResult,
    RollbackScope,
)
from releasehub.rollout.rules import (
    rollable,
    rollback_refusal,
    rollback_row_refusal,
    rollback_status_refusal,
)
from releasehub.rollout.selectors import component_rows
from releasehub.rollout.services.steps import Component, release_lock

S = Release.Status


@transaction.atomic
def rollback_start(
    *,
    release: Release,
    actor: User,
    scope: str,
    reason: str,
    components: list[Component] | None = None,
    incident: Incident | None = None,
    at: dt.datetime | None = None,
) -> Rollback:
    """Roll back chosen services/apps (partial) or all that are in production (full), each by
    its rollback plan; the manual rollback is in the ledger. A partial rollback reverts only
    what it names and the release goes on without it; a full rollback ends the release as
    Rolled back."""
    at = at or timezone.now()
    reason = reason.strip()
    if not reason:
        raise RolloutError("A rollback needs a reason.")
    if scope not in RollbackScope.values:
        raise RolloutError("Choose a partial or a full rollback.")
    release = release_lock(release)
    if incident is not None and incident.release_id not in (None, release.pk):
        raise RolloutError("That incident belongs to another release.")
    services, apps = component_rows(release)
    rows = [r for r in services + apps if r.in_scope]
    if scope == RollbackScope.FULL:
        refuse(rollback_refusal(release, rows))
        chosen = rollable(rows)
    else:
        wanted = set(components or [])
        if not wanted:
            raise RolloutError("Choose the services or apps to roll back.")
        refuse(rollback_status_refusal(release))
        chosen = [r for r in rows if r.component in wanted]
        if len(chosen) != len(wanted):
            raise RolloutError("Only services and apps of this release can roll back.")
        for row in chosen:
            refuse(rollback_row_refusal(row))
    plans = {(p.service_id, p.app_id): p for p in RollbackPlan.objects.filter(release=release)}
    missing = [
        r.component.name
        for r in chosen
        if (r.component.pk if r.is_service else None, None if r.is_service else r.component.pk)
        not in plans
    ]
    if missing:
        raise RolloutError(f"No rollback plan for {', '.join(missing)}.")
    rollback = evidence_append(
        Rollback,
        conflict=RolloutError("A full rollback of this release was already started."),
        release=release,
        scope=scope,
        reason=reason,
        incident=incident,
        actor=actor,
        at=at,
    )
    for r in chosen:
        key = (r.component.pk, None) if r.is_service else (None, r.component.pk)
        plan = plans[key]
        RollbackItem.objects.create(
            release=release,
            rollback=rollback,
            service=plan.service,
            app=plan.app,
            strategy=plan.strategy,
            previous=plan.previous,
            plan_steps=plan.steps,
        )
    names = ", ".join(r.component.name for r in chosen)
    intervention_record(
        release=release,
        kind=InterventionKind.MANUAL_ROLLBACK,
        actor=actor,
        reason=f"{names}: {reason}",
        at=at,
    )
    record_event(
        verb="rollout.rollback_started",
        target=rollback,
        release=release,
        actor=actor,
        summary=f"{rollback.get_scope_display()} rollback of {names}",
        reason=reason,
        occurred_at=at,
    )
    if scope == RollbackScope.FULL:
        release_transition(
            release=release, to=S.ROLLED_BACK, actor=actor, reason=f"Full rollback: {reason}", at=at
        )
    return rollback


@transaction.atomic
def rollback_result_record(
    *,
    item: RollbackItem,
    actor: User,
    steps_performed: str,
    succeeded: bool,
    at: dt.datetime | None = None,
) -> RollbackResult:
    at = at or timezone.now()
    steps_performed = steps_performed.strip()
    if not steps_performed:
        raise RolloutError("Write the steps performed.")
    release = release_lock(item.release)
    result = evidence_append(
        RollbackResult,
        conflict=RolloutError(f"The rollback of {item.component} is already recorded."),
        item=item,
        steps_performed=steps_performed,
        succeeded=succeeded,
        actor=actor,
        at=at,
    )
    # The redeploy of the previous version is itself a deployment (DESIGN.md "Metrics").
    Deployment.objects.create(
        release=release,
        service=item.service,
        app=item.app,
        kind=DeploymentKind.ROLLBACK,
        outcome=DeploymentOutcome.SUCCEEDED if succeeded else DeploymentOutcome.FAILED_ATTEMPT,
        started_at=item.rollback.at,
        finished_at=at,
    )
    record_event(
        verb="rollout.rollback_result",
        target=result,
        release=release,
        actor=actor,
        summary=f"{item.component} rolled back" + ("" if succeeded else ": FAILED"),
        reason=steps_performed,
        occurred_at=at,
    )
    return result
