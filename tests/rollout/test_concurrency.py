"""The promotion order and the monitoring gate hold when people click at once (PostgreSQL)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from releasehub.rollout.errors import RolloutError
from releasehub.rollout.models import Deployment, Rollback, RollbackItem, RolloutStep, Step
from releasehub.rollout.services.promotion import service_health_record, service_step_record
from releasehub.rollout.services.rollback import rollback_result_record, rollback_start
from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction
from tests.factories import readiness_cast, rollout_release, service

pytestmark = [pytest.mark.clock, pytest.mark.django_db(transaction=True)]


def _race(calls) -> list[str]:
    barrier = threading.Barrier(len(calls))
    results = []

    def run(call):
        try:
            barrier.wait()
            call()
            results.append("ok")
        except RolloutError as e:
            results.append(str(e))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def _step(release, slug, kind, actor, **kw):
    return lambda: service_step_record(
        release=release, service=service(slug), kind=kind, actor=actor, **kw
    )


def _through_window(release, slug, sre):
    for kind, passed in ((Step.STAGING_DEPLOYED, None), (Step.STAGING_SMOKE, True)):
        _step(release, slug, kind, sre, passed=passed)()
    _step(release, slug, Step.PROMOTION_STARTED, sre)()
    _step(release, slug, Step.PROMOTION_FINISHED, sre)()


def test_only_the_next_service_starts_when_everyone_promotes_at_once(postgres):
    cast = readiness_cast()
    sre, rm = cast["kiran"], cast["asha"]
    slugs = ["identity", "providers", "appointments", "payments"]
    release = rollout_release(slugs, [])
    _through_window(release, "identity", sre)
    service_health_record(
        release=release,
        service=service("identity"),
        actor=sre,
        healthy=True,
        p95_ms=100,
        error_rate=Decimal("0.1"),
    )
    for slug in slugs[1:]:
        for kind, passed in ((Step.STAGING_DEPLOYED, None), (Step.STAGING_SMOKE, True)):
            _step(release, slug, kind, sre, passed=passed)()
    # The window is still open: nobody may start.
    results = _race([_step(release, s, Step.PROMOTION_STARTED, sre) for s in slugs[1:]])
    assert results.count("ok") == 0
    ScheduledAction.objects.filter(kind=ActionKind.MONITORING_WINDOW_CLOSES).update(
        status=ActionStatus.DONE
    )
    # Window closed healthy: six clicks (two people, three services) start providers once.
    calls = [_step(release, s, Step.PROMOTION_STARTED, who) for s in slugs[1:] for who in (sre, rm)]
    results = _race(calls)
    assert results.count("ok") == 1
    started = RolloutStep.objects.filter(kind=Step.PROMOTION_STARTED).values_list(
        "service__slug", flat=True
    )
    assert sorted(started) == ["identity", "providers"]


def test_two_finishes_at_once_make_one_deployment_and_one_window(postgres):
    cast = readiness_cast()
    sre, rm = cast["kiran"], cast["asha"]
    release = rollout_release(["identity"], [])
    for kind, passed in ((Step.STAGING_DEPLOYED, None), (Step.STAGING_SMOKE, True)):
        _step(release, "identity", kind, sre, passed=passed)()
    _step(release, "identity", Step.PROMOTION_STARTED, sre)()
    results = _race([_step(release, "identity", Step.PROMOTION_FINISHED, w) for w in (sre, rm)])
    assert results.count("ok") == 1
    assert Deployment.objects.count() == 1
    assert ScheduledAction.objects.filter(kind=ActionKind.MONITORING_WINDOW_CLOSES).count() == 1


def test_two_partial_rollbacks_of_one_service_at_once_make_one_and_two_full_ones_end_it_once():
    cast = readiness_cast()
    sre, rm = cast["kiran"], cast["asha"]
    release = rollout_release(["identity", "providers"], [])
    _through_window(release, "identity", sre)

    def roll_back(who, scope):
        components = [service("identity")] if scope == "partial" else None
        return lambda: rollback_start(
            release=release, actor=who, scope=scope, reason="5xx", components=components
        )

    results = _race([roll_back(sre, "partial"), roll_back(rm, "partial")])
    assert sorted(results) == ["Identity is already being rolled back.", "ok"]
    rollback_result_record(
        item=RollbackItem.objects.get(), actor=sre, steps_performed="Redeployed v1", succeeded=True
    )
    _step(release, "providers", Step.STAGING_DEPLOYED, sre)()
    _step(release, "providers", Step.PROMOTION_STARTED, sre, note="Hotfix for login")()
    results = _race([roll_back(sre, "full"), roll_back(rm, "full")])
    assert results.count("ok") == 1
    assert Rollback.objects.filter(scope="full").count() == 1
    assert [i.service.slug for i in RollbackItem.objects.order_by("id")] == [
        "identity",
        "providers",
    ]
