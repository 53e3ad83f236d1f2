"""Incidents: recorded by hand or from an anomaly, resolved, and for a SEV-1 caused by a
release a retrospective and a runbook review; and the one step from an anomaly to a hotfix."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.audit.evidence import evidence_append
from releasehub.audit.timeline import record_event
from releasehub.catalog.models import FrontendApp, Service
from releasehub.releases.clock import IST
from releasehub.releases.models import Hotfix, Release
from releasehub.releases.services.hotfix import hotfix_create
from releasehub.rollout.errors import RolloutError
from releasehub.rollout.models import (
    Anomaly,
    HotfixFix,
    Incident,
    IncidentResolution,
    Retrospective,
    Severity,
)
from releasehub.rollout.services.steps import Component, release_lock
from releasehub.schedule.planning import plan_runbook_review

RETROSPECTIVE_AFTER = dt.timedelta(days=3)


def _after_incident(incident: Incident, actor: User) -> None:
    record_event(
        verb="incident.recorded",
        target=incident,
        release=incident.release,
        actor=actor,
        summary=f"{incident}" + (f" in {incident.component}" if incident.component else ""),
    )
    release = incident.release  # the instance the incident was created with: no query
    if incident.severity == Severity.SEV1 and release is not None:
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
        release_lock(release)
    incident = evidence_append(
        Incident,
        conflict=RolloutError("That anomaly is already an incident."),
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
    *, anomaly: Anomaly, actor: User, severity: str, title: str = "", link: str = ""
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
    *, incident: Incident, actor: User, resolved_at: dt.datetime, note: str = ""
) -> IncidentResolution:
    if resolved_at < incident.detected_at:
        raise RolloutError("An incident is resolved after it was detected.")
    if resolved_at > timezone.now() + dt.timedelta(minutes=5):
        raise RolloutError("The resolution cannot be in the future.")
    row = evidence_append(
        IncidentResolution,
        conflict=RolloutError("The incident is already resolved."),
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
    *,
    anomaly: Anomaly,
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
    evidence_append(
        HotfixFix,
        conflict=RolloutError("That anomaly already became a hotfix."),
        hotfix=hotfix,
        anomaly=anomaly,
        release=anomaly.release,
        service=anomaly.service,
        app=anomaly.app,
    )
    return hotfix
