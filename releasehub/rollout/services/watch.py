"""After the last step: the RM's log, completion (which starts the 24-hour post-release
watch), and the anomalies anyone on the release sees during the watch."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.audit.evidence import evidence_append
from releasehub.audit.interventions import intervention_record
from releasehub.audit.models import InterventionKind
from releasehub.audit.timeline import record_event
from releasehub.catalog.models import FrontendApp, Service
from releasehub.readiness.panels import smoke_state
from releasehub.releases.models import Release
from releasehub.releases.services.lifecycle import release_transition
from releasehub.rollout import prometheus
from releasehub.rollout.errors import RolloutError, refuse
from releasehub.rollout.models import Anomaly, HealthRule, LogEntry
from releasehub.rollout.rules import anomaly_refusal, completion_refusal
from releasehub.rollout.selectors import component_rows
from releasehub.rollout.services.steps import Component, release_lock
from releasehub.schedule.planning import WATCH_HEALTH_CHECK_EVERY, plan_health_check

S = Release.Status


@transaction.atomic
def log_add(*, release: Release, actor: User, note: str, at: dt.datetime | None = None) -> LogEntry:
    note = note.strip()
    if not note:
        raise RolloutError("Write the observation.")
    release = release_lock(release)
    entry = LogEntry.objects.create(
        release=release, note=note, actor=actor, at=at or timezone.now()
    )
    record_event(
        verb="rollout.log", target=entry, release=release, actor=actor, summary=note, occurred_at=at
    )
    return entry


@transaction.atomic
def release_complete(
    *,
    release: Release,
    actor: User,
    note: str,
    force_reason: str = "",
    at: dt.datetime | None = None,
) -> LogEntry:
    """The RM logs completion: the release enters its 24-hour post-release watch."""
    at = at or timezone.now()
    note, force_reason = note.strip(), force_reason.strip()
    if not note:
        raise RolloutError("Log the completion with an observation.")
    release = release_lock(release)
    services, apps = component_rows(release)
    refuse(completion_refusal(release, services + apps))
    if not smoke_state(release).passed:
        if not force_reason:
            raise RolloutError(
                "The QA smoke checklist has not passed; give a reason to complete anyway."
            )
        intervention_record(
            release=release,
            kind=InterventionKind.FORCE,
            actor=actor,
            reason=f"Completed: {force_reason}",
            at=at,
        )
    entry = evidence_append(
        LogEntry,
        conflict=RolloutError("The release was completed at the same moment."),
        release=release,
        note=note,
        completes=True,
        actor=actor,
        at=at,
    )
    if release.status == S.DEPLOYING:
        release_transition(release=release, to=S.VERIFYING, actor=actor, at=at)
    release_transition(release=release, to=S.MONITORING, actor=actor, reason=note, at=at)
    if prometheus.configured() and HealthRule.objects.filter(enabled=True).exists():
        # The health rules watch the release too: every 10 minutes, each check planning the next.
        plan_health_check(release, None, at + WATCH_HEALTH_CHECK_EVERY)
    return entry


@transaction.atomic
def anomaly_log(
    *,
    release: Release,
    actor: User,
    seen_at: dt.datetime,
    description: str,
    severity: str,
    component: Component | None = None,
    gate: bool = False,
) -> Anomaly:
    """`gate`: a failing health rule opened it, on release day too (people log them from
    Verifying on)."""
    description = description.strip()
    if not description:
        raise RolloutError("Describe the anomaly.")
    release = release_lock(release)
    if not gate:
        refuse(anomaly_refusal(release))
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
