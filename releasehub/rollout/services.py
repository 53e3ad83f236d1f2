"""Release day writes. Each runs in one transaction holding the release's row lock, so the
promotion order and the monitoring gate hold when two people click at once; evidence rows are
appended (a unique constraint turns a double click into one row) and put on the timeline."""

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from releasehub.accounts.models import Role, User
from releasehub.audit.timeline import record_event
from releasehub.catalog.models import FrontendApp, Service
from releasehub.core.errors import ServiceError
from releasehub.readiness.models import InterventionKind, ManualIntervention
from releasehub.readiness.panels import smoke_state
from releasehub.releases.clock import IST
from releasehub.releases.models import Hotfix, Release, RollbackPlan
from releasehub.releases.services.hotfix import hotfix_create
from releasehub.releases.services.lifecycle import release_transition
from releasehub.rollout.models import (
    APP_AFTER_FULL,
    APP_STEPS,
    REPEATABLE,
    SERVICE_STEPS,
    Anomaly,
    Deployment,
    DeploymentKind,
    DeploymentOutcome,
    HotfixFix,
    Incident,
    IncidentResolution,
    LogEntry,
    Retrospective,
    Rollback,
    RollbackItem,
    RollbackResult,
    RollbackScope,
    RolloutStep,
    Severity,
    Step,
)
from releasehub.rollout.rules import (
    anomaly_refusal,
    completion_refusal,
    cut_short_refusal,
    observation_refusal,
    rollable,
    rollback_refusal,
    rollback_row_refusal,
    rollback_status_refusal,
    row_refusal,
    skip_refusal,
    steps_refusal,
)
from releasehub.rollout.selectors import (
    ComponentRow,
    backend_blocker,
    component_rows,
    promotion_blocker,
)
from releasehub.schedule.planning import plan_monitoring_window, plan_runbook_review

S = Release.Status
Component = Service | FrontendApp
RETROSPECTIVE_AFTER = dt.timedelta(days=3)


class RolloutError(ServiceError):
    """A step the rules refuse; the message is shown as it is."""


def promotes(user: User) -> bool:
    return user.has_any_role(Role.RELEASE_MANAGER, Role.SRE)


def _lock(release: Release) -> Release:
    return Release.objects.select_for_update().get(pk=release.pk)


def _refuse(reason: str) -> None:
    """Raise a reason from rules.py, the one place the board reads it too."""
    if reason:
        raise RolloutError(reason)


def _append(model, conflict: str, **fields):
    """Insert one evidence row in a savepoint; a unique violation means someone was first."""
    try:
        with transaction.atomic():
            return model.objects.create(**fields)
    except IntegrityError:
        raise RolloutError(conflict) from None


def _ledger(release: Release, kind: str, actor: User, reason: str, at: dt.datetime) -> None:
    ManualIntervention.objects.create(release=release, kind=kind, actor=actor, reason=reason, at=at)


def _row(rows: list[ComponentRow], component: Component) -> ComponentRow:
    row = next((r for r in rows if r.component == component), None)
    if row is None or not row.in_scope:
        raise RolloutError(f"{component} is not in the scope of this release.")
    return row


def _open_day(release: Release, *, actor: User, at) -> Release:
    """The first production step makes the release Deploying."""
    if release.status in (S.GO, S.PLANNED):
        release_transition(
            release=release, to=S.DEPLOYING, actor=actor, reason="First promotion", at=at
        )
    return release


def _record(
    release: Release,
    row: ComponentRow,
    kind: str,
    actor: User,
    at: dt.datetime,
    summary: str,
    **fields,
) -> RolloutStep:
    target = {"service": row.component} if row.is_service else {"app": row.component}
    current = row.steps.get(kind)
    if current and kind not in REPEATABLE:
        raise RolloutError(f"{row.component}: {Step(kind).label} is already recorded.")
    step = _append(
        RolloutStep,
        f"{row.component}: {Step(kind).label} was recorded at the same moment; reload.",
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
    return step


def _previous_missing(row: ComponentRow, order: tuple, kind: str) -> str:
    index = order.index(kind)
    if index and order[index - 1] not in row.steps:
        return f"{row.component}: record “{Step(order[index - 1]).label}” first."
    return ""


# Backend services ---------------------------------------------------------------------------


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
    release = _lock(release)
    _refuse(steps_refusal(release))
    services, _ = component_rows(release)
    row = _row(services, service)
    _refuse(row_refusal(row))
    # A promotion may start without a passed staging smoke test when forced (checked below).
    may_force = kind == Step.PROMOTION_STARTED and Step.STAGING_DEPLOYED in row.steps
    if (missing := _previous_missing(row, SERVICE_STEPS, kind)) and not may_force:
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
        _open_day(release, actor=actor, at=at)
    label = Step(kind).label
    if kind == Step.STAGING_SMOKE:
        label = f"staging smoke test {'passed' if passed else 'failed'}"
    step = _record(release, row, kind, actor, at, label, passed=passed, note=note)
    if forced:
        _ledger(release, InterventionKind.FORCE, actor, f"Promoted {service}: {note}", at)
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
) -> RolloutStep:
    """The SRE's observation during the monitoring window. Healthy without p95 and error rate
    is a manual health mark: it needs a reason and goes in the ledger."""
    at = at or timezone.now()
    note = note.strip()
    release = _lock(release)
    _refuse(steps_refusal(release))
    services, _ = component_rows(release)
    row = _row(services, service)
    _refuse(observation_refusal(row))
    manual = healthy and (p95_ms is None or error_rate is None)
    if manual and not note:
        raise RolloutError("Healthy without p95 latency and error rate needs a reason.")
    figures = []
    if p95_ms is not None:
        figures.append(f"p95 {p95_ms} ms")
    if error_rate is not None:
        figures.append(f"errors {error_rate}%")
    summary = f"{'healthy' if healthy else 'unhealthy'} ({', '.join(figures) or 'no figures'})"
    step = _record(
        release,
        row,
        Step.HEALTH,
        actor,
        at,
        summary,
        passed=healthy,
        p95_ms=p95_ms,
        error_rate=error_rate,
        link=link,
        note=note,
    )
    if manual:
        _ledger(release, InterventionKind.MANUAL_HEALTH_MARK, actor, f"{service}: {note}", at)
    return step


@transaction.atomic
def service_window_cut_short(
    *, release: Release, service: Service, actor: User, reason: str, at=None
) -> RolloutStep:
    at = at or timezone.now()
    reason = reason.strip()
    if not reason:
        raise RolloutError("Cutting a monitoring window short needs a reason.")
    release = _lock(release)
    _refuse(steps_refusal(release))
    services, _ = component_rows(release)
    row = _row(services, service)
    _refuse(cut_short_refusal(row))
    step = _record(
        release, row, Step.WINDOW_CUT_SHORT, actor, at, "monitoring window cut short", note=reason
    )
    _ledger(release, InterventionKind.WINDOW_CUT_SHORT, actor, f"{service}: {reason}", at)
    return step


@transaction.atomic
def component_skip(
    *, release: Release, component: Component, actor: User, reason: str, at=None
) -> RolloutStep:
    """Skip a service or app that has not started production: needs a reason (ledger)."""
    at = at or timezone.now()
    reason = reason.strip()
    if not reason:
        raise RolloutError(f"Skipping {component} needs a reason.")
    release = _lock(release)
    _refuse(steps_refusal(release))
    services, apps = component_rows(release)
    row = _row(services if isinstance(component, Service) else apps, component)
    _refuse(skip_refusal(row))
    step = _record(release, row, Step.SKIPPED, actor, at, "skipped", note=reason)
    _ledger(release, InterventionKind.SKIP, actor, f"Skipped {component}: {reason}", at)
    return step


# Frontend apps ------------------------------------------------------------------------------


@transaction.atomic
def app_step_record(
    *,
    release: Release,
    app: FrontendApp,
    kind: str,
    actor: User,
    build_id: str = "",
    link: str = "",
    percent: int | None = None,
    passed: bool | None = None,
    note: str = "",
    at: dt.datetime | None = None,
) -> RolloutStep:
    """Build, canary (after every backend service is done), validation, full rollout; then
    flags and CDN. The last full rollout moves the release to Verifying."""
    if kind not in APP_STEPS + APP_AFTER_FULL:
        raise RolloutError("Choose a frontend step.")
    at = at or timezone.now()
    release = _lock(release)
    _refuse(steps_refusal(release))
    services, apps = component_rows(release)
    row = _row(apps, app)
    _refuse(row_refusal(row))
    if kind in APP_STEPS:
        if missing := _previous_missing(row, APP_STEPS, kind):
            raise RolloutError(missing)
    elif Step.FULL_ROLLOUT not in row.steps:
        raise RolloutError(f"{app}: {Step(kind).label} comes after the full rollout.")
    summary = Step(kind).label
    if kind == Step.BUILD_TRIGGERED:
        if not build_id.strip():
            raise RolloutError("Give the build id.")
        summary = f"build {build_id} triggered"
    if kind == Step.CANARY_STARTED:
        if blocker := backend_blocker(services):
            raise RolloutError(f"{app}'s canary cannot start yet: {blocker}")
        if percent is None or not 1 <= percent <= 100:
            raise RolloutError("Give the canary percentage (1 to 100).")
        summary = f"canary started at {percent}%"
    if kind == Step.CDN:
        if passed is None:
            raise RolloutError("Say whether the CDN cache was cleared or not needed.")
        summary = "CDN cache cleared" if passed else "CDN cache clearing not needed"
    if kind == Step.FLAGS_TOGGLED and not note.strip():
        raise RolloutError("Name the flags toggled (or say none).")
    if kind == Step.CANARY_STARTED:
        _open_day(release, actor=actor, at=at)
    step = _record(
        release,
        row,
        kind,
        actor,
        at,
        summary,
        build_id=build_id.strip(),
        link=link,
        percent=percent,
        passed=passed,
        note=note.strip(),
    )
    if kind == Step.FULL_ROLLOUT:
        Deployment.objects.create(
            release=release,
            app=app,
            kind=DeploymentKind.ROLLOUT,
            started_at=row.steps[Step.CANARY_STARTED].at,
            finished_at=at,
            step=step,
        )
        if release.status == S.DEPLOYING and all(r.done for r in services + apps):
            release_transition(
                release=release, to=S.VERIFYING, actor=actor, reason="All frontends full"
            )
    return step


# Verification and completion ----------------------------------------------------------------


@transaction.atomic
def log_add(*, release: Release, actor: User, note: str, at=None) -> LogEntry:
    note = note.strip()
    if not note:
        raise RolloutError("Write the observation.")
    release = _lock(release)
    entry = LogEntry.objects.create(
        release=release, note=note, actor=actor, at=at or timezone.now()
    )
    record_event(
        verb="rollout.log", target=entry, release=release, actor=actor, summary=note, occurred_at=at
    )
    return entry


@transaction.atomic
def release_complete(
    *, release: Release, actor: User, note: str, force_reason: str = "", at=None
) -> LogEntry:
    """The RM logs completion: the release enters its 24-hour post-release watch."""
    at = at or timezone.now()
    note, force_reason = note.strip(), force_reason.strip()
    if not note:
        raise RolloutError("Log the completion with an observation.")
    release = _lock(release)
    services, apps = component_rows(release)
    _refuse(completion_refusal(release, services + apps))
    if not smoke_state(release).passed:
        if not force_reason:
            raise RolloutError(
                "The QA smoke checklist has not passed; give a reason to complete anyway."
            )
        _ledger(release, InterventionKind.FORCE, actor, f"Completed: {force_reason}", at)
    entry = _append(
        LogEntry,
        "The release was completed at the same moment.",
        release=release,
        note=note,
        completes=True,
        actor=actor,
        at=at,
    )
    if release.status == S.DEPLOYING:
        release_transition(release=release, to=S.VERIFYING, actor=actor, at=at)
    release_transition(release=release, to=S.MONITORING, actor=actor, reason=note, at=at)
    return entry


# Post-release watch, incidents ---------------------------------------------------------------


def logs_anomalies(user: User) -> bool:
    return user.has_any_role(Role.RELEASE_MANAGER, Role.SRE, Role.QA_LEAD, Role.SQUAD_REP)


@transaction.atomic
def anomaly_log(
    *,
    release: Release,
    actor: User,
    seen_at: dt.datetime,
    description: str,
    severity: str,
    component: Component | None = None,
) -> Anomaly:
    description = description.strip()
    if not description:
        raise RolloutError("Describe the anomaly.")
    release = _lock(release)
    _refuse(anomaly_refusal(release))
    now = timezone.now()
    if seen_at > now + dt.timedelta(minutes=5):
        raise RolloutError("The anomaly cannot be seen in the future.")
    anomaly = Anomaly.objects.create(
        release=release,
        service=component if isinstance(component, Service) else None,
        app=component if isinstance(component, FrontendApp) else None,
        seen_at=seen_at,
        description=description,
        severity=severity,
        actor=actor,
        at=now,
    )
    record_event(
        verb="rollout.anomaly",
        target=anomaly,
        release=release,
        actor=actor,
        summary=f"Anomaly ({anomaly.get_severity_display()}) in {component or 'the release'}: "
        f"{description}",
    )
    return anomaly


def _after_incident(incident: Incident, actor: User) -> None:
    record_event(
        verb="incident.recorded",
        target=incident,
        release=incident.release,
        actor=actor,
        summary=f"{incident}" + (f" in {incident.component}" if incident.component else ""),
    )
    if incident.severity == Severity.SEV1 and incident.release_id:
        release = incident.release
        on = (incident.detected_at + RETROSPECTIVE_AFTER).astimezone(IST).date()
        owner = release.release_manager or actor
        Retrospective.objects.create(incident=incident, on=on, owner=owner, at=timezone.now())
        plan_runbook_review(release=release, note=f"SEV-1: {incident.title}")
        record_event(
            verb="incident.retrospective",
            target=incident,
            release=release,
            actor=actor,
            summary=f"Retrospective for {incident.title} on {on:%d %b %Y}, owner {owner}",
        )


@transaction.atomic
def incident_record(
    *,
    actor: User,
    title: str,
    severity: str,
    detected_at: dt.datetime,
    release: Release | None = None,
    component: Component | None = None,
    link: str = "",
    anomaly: Anomaly | None = None,
) -> Incident:
    """An incident; a SEV-1 caused by a release schedules a retrospective and a runbook review."""
    title = title.strip()
    if not title:
        raise RolloutError("Give the incident a title.")
    if severity not in Severity.values:
        raise RolloutError("Choose a severity.")
    if component is not None and release is None:
        raise RolloutError("A service or app is named only with the release that changed it.")
    if release is not None:
        _lock(release)
    incident = _append(
        Incident,
        "That anomaly is already an incident.",
        title=title,
        severity=severity,
        release=release,
        service=component if isinstance(component, Service) else None,
        app=component if isinstance(component, FrontendApp) else None,
        detected_at=detected_at,
        link=link,
        anomaly=anomaly,
        actor=actor,
        at=timezone.now(),
    )
    _after_incident(incident, actor)
    return incident


def incident_from_anomaly(
    anomaly: Anomaly, *, actor: User, severity: str, title: str = "", link: str = ""
) -> Incident:
    if hasattr(anomaly, "hotfix_fix"):
        raise RolloutError("That anomaly already became a hotfix.")
    return incident_record(
        actor=actor,
        title=title or anomaly.description[:200],
        severity=severity,
        detected_at=anomaly.seen_at,
        release=anomaly.release,
        component=anomaly.component,
        link=link,
        anomaly=anomaly,
    )


@transaction.atomic
def incident_resolve(
    incident: Incident, *, actor: User, resolved_at: dt.datetime, note: str = ""
) -> IncidentResolution:
    if resolved_at < incident.detected_at:
        raise RolloutError("An incident is resolved after it was detected.")
    if resolved_at > timezone.now() + dt.timedelta(minutes=5):
        raise RolloutError("The resolution cannot be in the future.")
    row = _append(
        IncidentResolution,
        "The incident is already resolved.",
        incident=incident,
        resolved_at=resolved_at,
        note=note.strip(),
        actor=actor,
        at=timezone.now(),
    )
    record_event(
        verb="incident.resolved",
        target=incident,
        release=incident.release,
        actor=actor,
        summary=f"{incident} resolved",
        reason=note,
    )
    return row


@transaction.atomic
def hotfix_from_anomaly(
    anomaly: Anomaly,
    *,
    actor: User,
    version: str,
    window_start: dt.datetime,
    branch: str,
    risk_assessment: str,
    tests_run: str,
    tests_result: str,
    supervising_sre: User,
    incident_url: str,
) -> Hotfix:
    """One step from an anomaly to a hotfix request that fixes the release's component."""
    if hasattr(anomaly, "incident") and anomaly.incident is not None:
        incident_url = incident_url or anomaly.incident.link
    hotfix = hotfix_create(
        actor=actor,
        version=version,
        window_start=window_start,
        window_end=window_start + dt.timedelta(hours=1),
        production_tag=anomaly.release.version,
        problem=anomaly.description,
        incident_url=incident_url,
        branch=branch,
        risk_assessment=risk_assessment,
        tests_run=tests_run,
        tests_result=tests_result,
        supervising_sre=supervising_sre,
        components=[anomaly.component] if anomaly.component else [],
    )
    _append(
        HotfixFix,
        "That anomaly already became a hotfix.",
        hotfix=hotfix,
        anomaly=anomaly,
        release=anomaly.release,
        service=anomaly.service,
        app=anomaly.app,
    )
    return hotfix


# Rollback -----------------------------------------------------------------------------------


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
    release = _lock(release)
    if incident is not None and incident.release_id not in (None, release.pk):
        raise RolloutError("That incident belongs to another release.")
    services, apps = component_rows(release)
    rows = [r for r in services + apps if r.in_scope]
    if scope == RollbackScope.FULL:
        _refuse(rollback_refusal(release, rows))
        chosen = rollable(rows)
    else:
        wanted = set(components or [])
        if not wanted:
            raise RolloutError("Choose the services or apps to roll back.")
        _refuse(rollback_status_refusal(release))
        chosen = [r for r in rows if r.component in wanted]
        if len(chosen) != len(wanted):
            raise RolloutError("Only services and apps of this release can roll back.")
        for row in chosen:
            _refuse(rollback_row_refusal(row))
    plans = {(p.service_id, p.app_id): p for p in RollbackPlan.objects.filter(release=release)}
    missing = [
        r.component.name
        for r in chosen
        if (r.component.pk if r.is_service else None, None if r.is_service else r.component.pk)
        not in plans
    ]
    if missing:
        raise RolloutError(f"No rollback plan for {', '.join(missing)}.")
    rollback = _append(
        Rollback,
        "A full rollback of this release was already started.",
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
    _ledger(release, InterventionKind.MANUAL_ROLLBACK, actor, f"{names}: {reason}", at)
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
    item: RollbackItem, *, actor: User, steps_performed: str, succeeded: bool, at=None
) -> RollbackResult:
    at = at or timezone.now()
    steps_performed = steps_performed.strip()
    if not steps_performed:
        raise RolloutError("Write the steps performed.")
    release = _lock(item.release)
    result = _append(
        RollbackResult,
        f"The rollback of {item.component} is already recorded.",
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
