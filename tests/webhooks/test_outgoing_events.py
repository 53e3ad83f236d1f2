"""Which timeline events become which outgoing webhook types, and what their body carries."""

import pytest
from django.utils import timezone

from releasehub.audit.models import TimelineEvent
from releasehub.audit.timeline import record_event
from releasehub.rollout.models import RolloutStep, Step
from releasehub.schedule.models import ActionKind, ScheduledAction
from releasehub.webhooks.models import EventType, WebhookDelivery, WebhookEndpoint
from releasehub.webhooks.outgoing_events import candidate_types
from tests.factories import ReleaseFactory, UserFactory, readiness_reference_data, service
from tests.webhooks.outgoing_server import capture_enqueued

E = EventType


@pytest.mark.parametrize(
    "verb, after, types",
    [
        ("release.created", None, (E.RELEASE_CREATED,)),
        ("release.status", {"status": "frozen"}, (E.RELEASE_FROZEN,)),
        ("release.status", {"status": "completed"}, (E.RELEASE_COMPLETED,)),
        ("release.status", {"status": "go"}, ()),
        ("readiness.decision_no_go", None, (E.GO_NO_GO_DECIDED,)),
        ("rollout.promotion_finished", None, (E.PROMOTION_DONE,)),
        ("rollout.full_rollout", None, (E.PROMOTION_DONE,)),
        ("rollout.promotion_started", None, ()),
        ("rollout.monitoring_window_closed", None, (E.WINDOW_HEALTHY, E.WINDOW_UNHEALTHY)),
        ("rollout.rollback_started", None, (E.ROLLBACK,)),
        ("incident.recorded", None, (E.INCIDENT_OPENED,)),
        ("hotfix.approved", None, (E.HOTFIX_APPROVED,)),
        ("hotfix.rejected", None, ()),
        ("readiness.signoff", None, ()),
    ],
)
def test_the_event_types_of_timeline_verbs(verb, after, types):
    assert candidate_types(TimelineEvent(verb=verb, after=after)) == types


@pytest.fixture
def enqueued(monkeypatch) -> list[int]:
    return capture_enqueued(monkeypatch)


@pytest.mark.clock
@pytest.mark.django_db
@pytest.mark.parametrize(
    "observed, event_type, healthy",
    [
        (True, E.WINDOW_HEALTHY, True),
        (False, E.WINDOW_UNHEALTHY, False),
        (None, E.WINDOW_UNHEALTHY, False),  # nobody observed it: not healthy
    ],
)
def test_a_closing_window_is_healthy_only_with_a_passed_observation(
    enqueued, observed, event_type, healthy
):
    readiness_reference_data()
    release, identity, sre = ReleaseFactory(), service("identity"), UserFactory()
    WebhookEndpoint.objects.create(
        name="Pager", url="https://example.org/h", events=[E.WINDOW_HEALTHY, E.WINDOW_UNHEALTHY]
    )
    if observed is not None:
        RolloutStep.objects.create(
            release=release,
            service=identity,
            kind=Step.HEALTH,
            actor=sre,
            at=timezone.now(),
            passed=observed,
        )
    action = ScheduledAction.objects.create(
        release=release,
        service=identity,
        kind=ActionKind.MONITORING_WINDOW_CLOSES,
        due_at=timezone.now(),
    )
    record_event(
        verb="rollout.monitoring_window_closed",
        target=action,
        release=release,
        summary="identity: window closed",
    )
    delivery = WebhookDelivery.objects.get()
    assert delivery.type == event_type == delivery.body["type"]
    assert delivery.body["data"]["service"] == str(identity)
    assert delivery.body["data"]["healthy"] is healthy
    assert delivery.body["data"]["observed"] is (observed is not None)
    assert delivery.body["release"]["version"] == release.version
