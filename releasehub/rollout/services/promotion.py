"""Backend services on release day: staging, then production promotion in catalog order, each
gated on the previous service's monitoring window having closed healthy; the SRE's health
observations; a window cut short or a service skipped (both in the manual-intervention ledger)."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.audit.models import InterventionKind
from releasehub.catalog.models import Service
from releasehub.releases.models import Release
from releasehub.rollout.errors import RolloutError, refuse
from releasehub.rollout.gates import gates_on
from releasehub.rollout.models import SERVICE_STEPS, Deployment, DeploymentKind, RolloutStep, Step
from releasehub.rollout.rules import (
    cut_short_refusal,
    observation_refusal,
    row_refusal,
    skip_refusal,
    steps_refusal,
)
from releasehub.rollout.selectors import component_rows, promotion_blocker
from releasehub.rollout.services.steps import (
    Component,
    component_row,
    day_open,
    previous_missing,
    release_lock,
    step_append,
)
from releasehub.schedule.planning import plan_health_checks, plan_monitoring_window


@transaction.atomic
def service_step_record(
    *,
    release: Release,
    service: Service,
    kind: str,
    actor: User,
    passed: bool | None = None,
    note: str = "",
    at: dt.datetime | None = None,
) -> RolloutStep:
    """Staging deploy, staging smoke, production promotion started or finished, in order.

    Starting a promotion waits for every earlier service in scope to be done (promoted, its
    window closed, observed healthy) or skipped: the runbook's order and its 15-minute gate.
    A promotion despite a staging smoke that did not pass is forced with a reason (ledger).
    """
    if kind not in SERVICE_STEPS:
        raise RolloutError("Choose a backend step.")
    at = at or timezone.now()
    note = note.strip()
    release = release_lock(release)
    refuse(steps_refusal(release))
    services, _ = component_rows(release)
    row = component_row(services, service)
    refuse(row_refusal(row))
    # A promotion may start without a passed staging smoke test when forced (checked below).
    may_force = kind == Step.PROMOTION_STARTED and Step.STAGING_DEPLOYED in row.steps
    if (missing := previous_missing(row, SERVICE_STEPS, kind)) and not may_force:
        raise RolloutError(missing)
    forced = False
    if kind == Step.STAGING_SMOKE and passed is None:
        raise RolloutError("Say whether the staging smoke test passed.")
    if kind == Step.PROMOTION_STARTED:
        if blocker := promotion_blocker(services, row):
            raise RolloutError(f"{service} cannot be promoted yet: {blocker}")
        smoke = row.steps.get(Step.STAGING_SMOKE)
        if not (smoke and smoke.passed):
            if not note:
                raise RolloutError(
                    f"{service}'s staging smoke test has not passed; give a reason to force "
                    "the promotion."
                )
            forced = True
    if kind == Step.PROMOTION_STARTED:
        day_open(release=release, actor=actor, at=at)
    label = Step(kind).label
    if kind == Step.STAGING_SMOKE:
        label = f"staging smoke test {'passed' if passed else 'failed'}"
    step = step_append(
        release=release,
        row=row,
        kind=kind,
        actor=actor,
        at=at,
        summary=label,
        passed=passed,
        note=note,
        overrides=(InterventionKind.FORCE, f"Promoted {service}: {note}") if forced else None,
    )
    if kind == Step.PROMOTION_FINISHED:
        Deployment.objects.create(
            release=release,
            service=service,
            kind=DeploymentKind.PROMOTION,
            started_at=row.steps[Step.PROMOTION_STARTED].at,
            finished_at=at,
            step=step,
        )
        plan_monitoring_window(release, service, at)
        if gates_on(service):
            plan_health_checks(release, service, at)
    return step


@transaction.atomic
def service_health_record(
    *,
    release: Release,
    service: Service,
    actor: User,
    healthy: bool,
    p95_ms: int | None = None,
    error_rate: Decimal | None = None,
    link: str = "",
    note: str = "",
    at: dt.datetime | None = None,
    by_rules: bool = False,
) -> RolloutStep:
    """The SRE's observation during the monitoring window. Healthy without p95 and error rate
    is a manual health mark: it needs a reason and goes in the ledger. Where health rules judge
    the service, a person's "healthy" overrules them: always a manual mark. `by_rules`: the
    health gates' own verdict (services/health.py), evidence in `note`."""
    at = at or timezone.now()
    note = note.strip()
    release = release_lock(release)
    refuse(steps_refusal(release))
    services, _ = component_rows(release)
    row = component_row(services, service)
    refuse(observation_refusal(row))
    judged_by_rules = not by_rules and gates_on(service)
    manual = healthy and not by_rules and (p95_ms is None or error_rate is None or judged_by_rules)
    if manual and not note:
        if judged_by_rules:
            raise RolloutError(f"Health rules judge {service}; marking it healthy needs a reason.")
        raise RolloutError("Healthy without p95 latency and error rate needs a reason.")
    figures = []
    if p95_ms is not None:
        figures.append(f"p95 {p95_ms} ms")
    if error_rate is not None:
        figures.append(f"errors {error_rate}%")
    summary = f"{'healthy' if healthy else 'unhealthy'} ({', '.join(figures) or 'no figures'})"
    return step_append(
        release=release,
        row=row,
        kind=Step.HEALTH,
        actor=actor,
        at=at,
        summary=summary,
        passed=healthy,
        p95_ms=p95_ms,
        error_rate=error_rate,
        link=link,
        note=note,
        overrides=(InterventionKind.MANUAL_HEALTH_MARK, f"{service}: {note}") if manual else None,
    )


@transaction.atomic
def service_window_cut_short(
    *,
    release: Release,
    service: Service,
    actor: User,
    reason: str,
    at: dt.datetime | None = None,
) -> RolloutStep:
    at = at or timezone.now()
    reason = reason.strip()
    if not reason:
        raise RolloutError("Cutting a monitoring window short needs a reason.")
    release = release_lock(release)
    refuse(steps_refusal(release))
    services, _ = component_rows(release)
    row = component_row(services, service)
    refuse(cut_short_refusal(row))
    return step_append(
        release=release,
        row=row,
        kind=Step.WINDOW_CUT_SHORT,
        actor=actor,
        at=at,
        summary="monitoring window cut short",
        note=reason,
        overrides=(InterventionKind.WINDOW_CUT_SHORT, f"{service}: {reason}"),
    )


@transaction.atomic
def component_skip(
    *,
    release: Release,
    component: Component,
    actor: User,
    reason: str,
    at: dt.datetime | None = None,
) -> RolloutStep:
    """Skip a service or app that has not started production: needs a reason (ledger)."""
    at = at or timezone.now()
    reason = reason.strip()
    if not reason:
        raise RolloutError(f"Skipping {component} needs a reason.")
    release = release_lock(release)
    refuse(steps_refusal(release))
    services, apps = component_rows(release)
    row = component_row(services if isinstance(component, Service) else apps, component)
    refuse(skip_refusal(row))
    return step_append(
        release=release,
        row=row,
        kind=Step.SKIPPED,
        actor=actor,
        at=at,
        summary="skipped",
        note=reason,
        overrides=(InterventionKind.SKIP, f"Skipped {component}: {reason}"),
    )
