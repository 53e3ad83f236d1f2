"""Which timeline events are outgoing webhook events, and the body each endpoint receives.

`on_event` is subscribed to every timeline event (apps.py) and runs inside the transaction that
records it, so it must stay cheap: an event that is no webhook type costs no query, one that is
costs one (the enabled endpoints), and the body's extra reads happen only when an endpoint wants
the event.
"""

import uuid
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from releasehub.audit.models import TimelineEvent
from releasehub.releases.models import Release
from releasehub.rollout.models import Incident, Rollback, RolloutStep, Step
from releasehub.schedule.effects import release_url
from releasehub.schedule.models import ScheduledAction
from releasehub.webhooks.models import EventType, WebhookDelivery, WebhookEndpoint

E = EventType
S = Release.Status

# Verb → the event types it may become (a closing window is healthy or not, read only if wanted).
BY_VERB: dict[str, tuple[str, ...]] = {
    "release.created": (E.RELEASE_CREATED,),
    "release.moved": (E.RELEASE_MOVED,),
    "readiness.decision_go": (E.GO_NO_GO_DECIDED,),
    "readiness.decision_no_go": (E.GO_NO_GO_DECIDED,),
    f"rollout.{Step.PROMOTION_FINISHED}": (E.PROMOTION_DONE,),
    f"rollout.{Step.FULL_ROLLOUT}": (E.PROMOTION_DONE,),
    "rollout.monitoring_window_closed": (E.WINDOW_HEALTHY, E.WINDOW_UNHEALTHY),
    "rollout.rollback_started": (E.ROLLBACK,),
    "incident.recorded": (E.INCIDENT_OPENED,),
    "incident.resolved": (E.INCIDENT_RESOLVED,),
    "hotfix.approved": (E.HOTFIX_APPROVED,),
}
# A status change is an event only for these statuses.
BY_STATUS = {S.FROZEN: E.RELEASE_FROZEN, S.COMPLETED: E.RELEASE_COMPLETED}


def candidate_types(event: TimelineEvent) -> tuple[str, ...]:
    """The event types `event` may be, without a query (empty: not a webhook event)."""
    if event.verb == "release.status":
        to = (event.after or {}).get("status")
        return (BY_STATUS[to],) if to in BY_STATUS else ()
    return BY_VERB.get(event.verb, ())


def on_event(event: TimelineEvent) -> None:
    """Queue one delivery per enabled endpoint that wants this event, in its transaction."""
    candidates = candidate_types(event)
    if not candidates:
        return
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(enabled=True).only("pk", "events")
        if set(candidates) & set(endpoint.events)
    ]
    if not endpoints:
        return
    event_type, data = _resolve(event, candidates)
    wanting = [endpoint for endpoint in endpoints if event_type in endpoint.events]
    if wanting:
        body = event_body(
            event_id=event.code,
            event_type=event_type,
            occurred_at=event.occurred_at,
            release=event.release,
            data=_common_data(event) | data,
        )
        deliveries_add(endpoints=wanting, event_id=event.code, event_type=event_type, body=body)


def deliveries_add(
    *, endpoints: list[WebhookEndpoint], event_id: uuid.UUID, event_type: str, body: dict
) -> list[WebhookDelivery]:
    """The outbox rows, sent after the caller commits (a rollback takes them back with it)."""
    from releasehub.webhooks.outgoing_delivery import enqueue_deliveries

    now = timezone.now()
    rows = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            event_id=event_id,
            type=event_type,
            body=body,
            next_attempt_at=now,
            created_at=now,
        )
        for endpoint in endpoints
    )
    ids = [row.pk for row in rows]
    transaction.on_commit(lambda: enqueue_deliveries(ids))
    return rows


def release_summary(release: Release) -> dict:
    return {
        "code": str(release.code),
        "version": release.version,
        "status": release.status,
        "window_start": release.window_start.isoformat(),
        "window_end": release.window_end.isoformat(),
        "url": release_url(release),
    }


def event_body(
    *, event_id: uuid.UUID, event_type: str, occurred_at, release: Release | None, data: dict
) -> dict:
    return {
        "id": str(event_id),
        "type": event_type,
        "occurred_at": occurred_at.isoformat(),
        "release": release_summary(release) if release is not None else None,
        "data": data,
    }


def _common_data(event: TimelineEvent) -> dict:
    return {
        "summary": event.summary,
        "reason": event.reason,
        "actor": event.actor.get_username() if event.actor else None,
        "automatic": event.automatic,
        "before": event.before,
        "after": event.after,
    }


def _resolve(event: TimelineEvent, candidates: tuple[str, ...]) -> tuple[str, dict]:
    """The one type the event is and the data only that type carries (reads a row or two)."""
    extra = _EXTRAS.get(event.verb.partition(".")[0])
    if extra is None:
        return candidates[0], {}
    return extra(event, candidates)


def _rollout(event: TimelineEvent, candidates: tuple[str, ...]) -> tuple[str, dict]:
    if event.verb == "rollout.monitoring_window_closed":
        action = ScheduledAction.objects.select_related("release", "service").get(
            pk=event.target_id
        )
        passed = (
            RolloutStep.objects.filter(
                release=action.release,
                service=action.service,
                kind=Step.HEALTH,
                superseded_by__isnull=True,
            )
            .values_list("passed", flat=True)
            .first()
        )
        # No observation at all is no healthy window: the promotion gate says the same.
        healthy = passed is True
        data = {"service": str(action.service), "healthy": healthy, "observed": passed is not None}
        return (E.WINDOW_HEALTHY if healthy else E.WINDOW_UNHEALTHY), data
    if event.verb == "rollout.rollback_started":
        rollback = Rollback.objects.get(pk=event.target_id)
        return candidates[0], {"scope": rollback.scope}
    step = RolloutStep.objects.select_related("service", "app").get(pk=event.target_id)
    kind = "service" if step.service_id else "app"
    return candidates[0], {"component": str(step.component), "component_kind": kind}


def _incident(event: TimelineEvent, candidates: tuple[str, ...]) -> tuple[str, dict]:
    incident = Incident.objects.get(pk=event.target_id)
    return candidates[0], {
        "incident": {
            "code": str(incident.code),
            "title": incident.title,
            "severity": incident.severity,
            "detected_at": incident.detected_at.isoformat(),
        }
    }


def _readiness(event: TimelineEvent, candidates: tuple[str, ...]) -> tuple[str, dict]:
    return candidates[0], {"decision": "no_go" if event.verb.endswith("no_go") else "go"}


_EXTRAS: dict[str, Callable[[TimelineEvent, tuple[str, ...]], tuple[str, dict]]] = {
    "rollout": _rollout,
    "incident": _incident,
    "readiness": _readiness,
}
