"""Health gates against a real Prometheus scraping a test exporter (issue #18, "Done when"):
the rules open the gate at the close with no person acting, a failing rule holds it with an
anomaly and a message, a stopped Prometheus holds it with that reason, and a person may still
judge by hand with a reason (the ledger)."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from releasehub.audit.models import InterventionKind, ManualIntervention
from releasehub.notify.models import Outbox
from releasehub.rollout.errors import RolloutError
from releasehub.rollout.models import Anomaly, HealthEvaluation, RolloutStep, Step, Verdict
from releasehub.rollout.rules import board_actions
from releasehub.rollout.selectors import board
from releasehub.rollout.services.health_rules import health_rules_from_template
from releasehub.rollout.services.promotion import service_health_record, service_step_record
from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction
from tests.factories import rollout_release, service
from tests.rollout.conftest import fire_due

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


@pytest.fixture
def clock():
    with time_machine.travel(dt.datetime(2026, 12, 2, 4, 30, tzinfo=dt.UTC), tick=False) as t:
        yield t


def promote(release, slug, sre):
    for kind, passed in (
        (Step.STAGING_DEPLOYED, None),
        (Step.STAGING_SMOKE, True),
        (Step.PROMOTION_STARTED, None),
        (Step.PROMOTION_FINISHED, None),
    ):
        service_step_record(
            release=release, service=service(slug), kind=kind, actor=sre, passed=passed
        )


def minutes(clock, count: int) -> list:
    """`count` minutes of the window, each with its due timed actions run."""
    ran = []
    for _ in range(count):
        clock.shift(dt.timedelta(minutes=1))
        ran += fire_due()
    return ran


def gated(slug, sre, settings, server, exporter, *, latency=0.05):
    settings.PROMETHEUS_URL = server.url
    rules = health_rules_from_template(component=service(slug), actor=sre)
    exporter.serve(slug, latency=latency)
    for rule in rules:  # traffic has reached Prometheus: every rule reads a figure
        server.wait_value(rule.expression, lambda v: True, f"a figure for {rule}")
    return rules


def test_identity_kept_healthy_opens_the_gate_at_the_close_with_no_person_acting(
    cast, clock, settings, prometheus, exporter
):
    sre = cast["kiran"]
    gated("identity", sre, settings, prometheus, exporter)
    release = rollout_release(["identity", "providers"], [])
    promote(release, "identity", sre)
    checks = ScheduledAction.objects.filter(release=release, kind=ActionKind.HEALTH_CHECK)
    assert checks.count() == 14  # each minute of the 15-minute window; the close judges

    minutes(clock, 15)

    health = RolloutStep.objects.get(release=release, kind=Step.HEALTH)
    assert health.passed is True
    assert health.actor.username == "machine:health-gates"
    assert health.p95_ms is not None and health.p95_ms < 400
    assert "Every health rule passed" in health.note
    evaluations = HealthEvaluation.objects.filter(release=release)
    assert evaluations.count() == 2 * 15
    assert set(evaluations.values_list("verdict", flat=True)) == {Verdict.PASS}
    assert not ManualIntervention.objects.filter(release=release).exists()
    promote(release, "providers", sre)  # the gate is open: no person acted on identity


def test_payments_failing_its_error_rule_mid_window_holds_the_gate_and_tells_the_sre(
    cast, clock, settings, prometheus, exporter
):
    sre = cast["kiran"]
    rules = gated("payments", sre, settings, prometheus, exporter)
    error_rule = next(r for r in rules if r.name == "error ratio")
    release = rollout_release(["payments", "messaging"], [])
    promote(release, "payments", sre)
    minutes(clock, 2)
    assert not Anomaly.objects.filter(release=release).exists()

    exporter.serve("payments", latency=0.05, error_ratio=0.5)
    prometheus.wait_value(error_rule.expression, lambda v: v > 0.01, "a failing error ratio")
    minutes(clock, 1)

    anomaly = Anomaly.objects.get(release=release)
    assert "error ratio" in anomaly.description
    assert "needs < 0.01" in anomaly.description and "Payments" in anomaly.description
    assert anomaly.service == service("payments")
    told = Outbox.objects.filter(release=release, subject__contains="Health rule failed")
    assert sre.email in set(told.values_list("recipient", flat=True))
    minutes(clock, 12)
    assert Anomaly.objects.filter(release=release).count() == 1  # one per failure, not per minute

    exporter.serve("payments", latency=0.05)  # healthy again at the close: the failure stands
    minutes(clock, 1)
    health = RolloutStep.objects.get(release=release, kind=Step.HEALTH)
    assert health.passed is False and "error ratio" in health.note
    with pytest.raises(RolloutError, match="observed unhealthy"):
        promote(release, "messaging", sre)
    plan = board_actions(board(release)).plan("service:payments")
    assert plan is not None and "rollback" in plan.overrides


def test_a_stopped_prometheus_holds_the_gate_saying_so(
    cast, clock, settings, doomed_prometheus, exporter
):
    sre = cast["kiran"]
    gated("appointments", sre, settings, doomed_prometheus, exporter)
    release = rollout_release(["appointments", "payments"], [])
    promote(release, "appointments", sre)
    minutes(clock, 3)
    doomed_prometheus.stop()
    minutes(clock, 12)

    assert not RolloutStep.objects.filter(release=release, kind=Step.HEALTH).exists()
    row = next(r for r in board(release).services if r.component == service("appointments"))
    assert row.gate is not None and row.gate.verdict == Verdict.UNREACHABLE
    assert "Prometheus unreachable" in row.gate.reason
    with pytest.raises(RolloutError, match="health gate holds: Prometheus unreachable"):
        promote(release, "payments", sre)
    retry = ScheduledAction.objects.filter(
        release=release, kind=ActionKind.HEALTH_CHECK, status=ActionStatus.PENDING
    )
    assert retry.count() == 1  # retried each minute until it can judge
    minutes(clock, 1)
    assert retry.count() == 1
    assert not RolloutStep.objects.filter(release=release, kind=Step.HEALTH).exists()


def test_the_sre_overrides_a_holding_gate_by_hand_with_a_reason_in_the_ledger(
    cast, clock, settings, doomed_prometheus, exporter
):
    sre = cast["kiran"]
    gated("providers", sre, settings, doomed_prometheus, exporter)
    release = rollout_release(["providers", "appointments"], [])
    promote(release, "providers", sre)
    doomed_prometheus.stop()
    minutes(clock, 15)
    with pytest.raises(RolloutError, match="needs a reason"):
        service_health_record(
            release=release, service=service("providers"), actor=sre, healthy=True
        )

    service_health_record(
        release=release,
        service=service("providers"),
        actor=sre,
        healthy=True,
        note="Prometheus is down; Grafana Cloud shows p95 120 ms, no errors",
    )

    ledger = ManualIntervention.objects.get(release=release)
    assert ledger.kind == InterventionKind.MANUAL_HEALTH_MARK
    assert "Grafana Cloud" in ledger.reason and ledger.actor == sre
    promote(release, "appointments", sre)
    minutes(clock, 1)  # the retry finds a person's judgement and leaves it standing
    assert RolloutStep.objects.get(release=release, kind=Step.HEALTH, service__slug="providers")


def test_trying_a_rule_reads_the_live_prometheus_and_writes_nothing(
    client, cast, settings, prometheus, exporter
):
    sre = cast["kiran"]
    rules = gated("messaging", sre, settings, prometheus, exporter, latency=0.25)
    p95 = next(r for r in rules if r.name == "p95 latency")
    client.force_login(sre)
    form = {
        "prefix": "new",
        "new-measure": "p95_latency",
        "new-expression": p95.expression,
        "new-comparison": "lt",
        "new-threshold": "0.4",
    }
    url = reverse("rollout:health_rule_try", args=["messaging"])
    body = client.post(url, form, HTTP_HX_REQUEST="true").content.decode()
    assert re.search(r"now this reads 0\.[23]\d* s: passes", body), body
    assert not HealthEvaluation.objects.exists()
