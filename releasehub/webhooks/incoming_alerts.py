"""Alertmanager's webhook (JSON format version 4). A firing alert whose service label names a
catalog service marks that service's open monitoring window unhealthy, which holds the next
promotion with the alert's summary as the reason, and logs an anomaly on the release (during the
window or the 24-hour watch). Every alert is kept, in a window or not; one row per fingerprint and
start, so Alertmanager's repeated notifications act once."""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from releasehub.accounts.machines import machine_user
from releasehub.accounts.models import Role, User
from releasehub.audit.timeline import acting_via, record_event
from releasehub.catalog.models import Service
from releasehub.core import limits
from releasehub.core.errors import ServiceError
from releasehub.releases.models import Release
from releasehub.rollout.models import AnomalySeverity
from releasehub.rollout.selectors import component_rows
from releasehub.rollout.services.promotion import service_health_record
from releasehub.rollout.services.watch import anomaly_log
from releasehub.webhooks.incoming import Report
from releasehub.webhooks.incoming_code import dig, text
from releasehub.webhooks.models import Alert, AlertStatus

S = Release.Status
# The most alerts one notification may carry; Alertmanager's max_alerts should stay below.
MAX_ALERTS = 200
SAME_START = dt.timedelta(seconds=1)
SEVERITIES = {
    "critical": AnomalySeverity.CRITICAL,
    "high": AnomalySeverity.HIGH,
    "warning": AnomalySeverity.MEDIUM,
    "info": AnomalySeverity.LOW,
}


def alertmanager_actor() -> User:
    return machine_user("alertmanager", label="Alertmanager", roles=[Role.SRE])


def _when(raw: str) -> dt.datetime | None:
    try:
        value = parse_datetime(raw)
    except ValueError:
        return None
    # A firing alert's endsAt is Go's zero time, 0001-01-01: no end.
    return value if value and value.tzinfo and value.year > 1 else None


@transaction.atomic
def alerts_receive(payload: dict) -> Report:
    """Act on each alert of one notification; the report says what each did."""
    report = Report()
    alerts = dig(payload, "alerts")
    for item in alerts[:MAX_ALERTS] if isinstance(alerts, list) else []:
        line, applied = _receive_one(item if isinstance(item, dict) else {})
        report.note(line, applied=applied)
    if not report.lines:
        report.note("No alerts in the notification.")
    return report


def _receive_one(item: dict) -> tuple[str, bool]:
    """A line saying what the alert did, and whether it changed anything."""
    fingerprint, starts_at = text(item, "fingerprint"), _when(text(item, "startsAt"))
    if not fingerprint or starts_at is None:
        return "An alert without a fingerprint or start; ignored.", False
    labels = dig(item, "labels") if isinstance(dig(item, "labels"), dict) else {}
    label = str(labels.get(settings.ALERT_SERVICE_LABEL, ""))
    summary = text(item, "annotations", "summary") or text(item, "annotations", "description")
    defaults = {
        "status": AlertStatus.FIRING,
        "name": str(labels.get("alertname", ""))[:200],
        "service_label": label[:200],
        "service": Service.objects.filter(slug=label).first() if label else None,
        "summary": (summary or str(labels.get("alertname", "")))[: limits.NOTE],
        "labels": labels,
        "link": text(item, "generatorURL")[:500],
        "received_at": timezone.now(),
    }
    # Alertmanager's clients may round the start they post again (a resolution from a script):
    # a start within a second is the same alert.
    same = Alert.objects.filter(
        fingerprint=fingerprint[:64],
        starts_at__range=(starts_at - SAME_START, starts_at + SAME_START),
    ).first()
    alert, created = (
        (same, False)
        if same
        else Alert.objects.get_or_create(
            fingerprint=fingerprint[:64], starts_at=starts_at, defaults=defaults
        )
    )
    name = alert.name or fingerprint
    if text(item, "status") == AlertStatus.RESOLVED:
        return f"{name}: {_resolve(alert, _when(text(item, 'endsAt')))}", True
    if not created:
        return f"{name}: already received; nothing more to do.", False
    alert.outcome = _act(alert, labels)
    alert.save(update_fields=["outcome", "release"])
    return f"{name}: {alert.outcome}", alert.release is not None


def _act(alert: Alert, labels: dict) -> str:
    """Mark the open window unhealthy and log the anomaly, in the first live release that
    changes the alert's service; otherwise say why the alert is only kept."""
    service = alert.service
    if service is None:
        label = settings.ALERT_SERVICE_LABEL
        return f"Kept: label {label}={alert.service_label!r} names no catalog service."
    found = _watching(service)
    if found is None:
        return f"Kept: no monitoring window or watch of {service} is open."
    release, window_open = found
    alert.release, actor, done = release, alertmanager_actor(), []
    note = f"Alert {alert.name}: {alert.summary}"[: limits.NOTE]
    with acting_via("Alertmanager", alert.link):
        if window_open:
            try:
                service_health_record(
                    release=release,
                    service=service,
                    actor=actor,
                    healthy=False,
                    note=note,
                    link=alert.link[:300],
                )
                done.append(f"{service}'s monitoring window marked unhealthy")
            except ServiceError as exc:
                done.append(f"window not marked: {exc}")
        try:
            # A machine's signal, like a failing health rule: logged on release day too
            # (people log anomalies from Verifying on).
            anomaly_log(
                release=release,
                actor=actor,
                seen_at=min(alert.starts_at, timezone.now()),
                description=note,
                severity=SEVERITIES.get(str(labels.get("severity")), AnomalySeverity.HIGH),
                component=service,
                gate=True,
            )
            done.append("anomaly logged")
        except ServiceError as exc:
            done.append(f"anomaly not logged: {exc}")
    return f"In {release.version}: " + "; ".join(done) + "."


def _watching(service: Service) -> tuple[Release, bool] | None:
    """The first live release changing `service` whose window of it (True) or whose 24-hour
    watch (False) is open. Live releases are a handful: 7 queries each."""
    for release in Release.objects.filter(status__in=Release.LIVE_STATUSES).order_by(
        "window_start"
    ):
        services, _ = component_rows(release)
        row = next(r for r in services if r.component == service)
        if row.in_scope and row.window_open:
            return release, True
        if row.in_scope and release.status == S.MONITORING:
            return release, False
    return None


def _resolve(alert: Alert, ends_at: dt.datetime | None) -> str:
    now = timezone.now()
    changed = Alert.objects.filter(pk=alert.pk).exclude(status=AlertStatus.RESOLVED)
    if not changed.update(status=AlertStatus.RESOLVED, ends_at=ends_at or now, resolved_at=now):
        return "resolved already."
    if alert.release is None:
        return "resolved."
    with acting_via("Alertmanager", alert.link):
        record_event(
            verb="webhooks.alert_resolved",
            target=alert,
            release=alert.release,
            actor=alertmanager_actor(),
            summary=f"Alert resolved: {alert.name} ({alert.service}): {alert.summary}",
        )
    return f"resolved; recorded on {alert.release.version}."
