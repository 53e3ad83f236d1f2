"""Health rules without a Prometheus: the rules page (who, defaults, edits, bad input), how a
reading is judged, the gate read from evaluations on the board, and nothing changing when
PROMETHEUS_URL is empty."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from releasehub.audit.models import TimelineEvent
from releasehub.rollout import prometheus
from releasehub.rollout.gates import gate_state
from releasehub.rollout.models import (
    Comparison,
    HealthEvaluation,
    HealthRule,
    HealthWindow,
    RolloutStep,
    Step,
    Verdict,
)
from releasehub.rollout.prometheus import Reading
from releasehub.rollout.services.health import judge
from releasehub.rollout.services.health_rules import health_rules_from_template
from releasehub.rollout.services.promotion import service_step_record
from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction
from tests.factories import rollout_release, service
from tests.rollout.conftest import fire_due
from tests.rollout.test_release_day import staged

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


@pytest.fixture
def clock():
    with time_machine.travel(dt.datetime(2026, 12, 2, 4, 30, tzinfo=dt.UTC), tick=False) as t:
        yield t


def page(slug="identity", name="health_rules"):
    return reverse(f"rollout:{name}", args=[slug])


def test_only_sre_and_staff_see_or_edit_health_rules(client, cast):
    for name in ("priya", "asha", "arjun"):
        client.force_login(cast[name])
        assert client.get(page()).status_code == 403
        assert client.post(page(name="health_rules_defaults")).status_code == 403
    assert not HealthRule.objects.exists()
    client.force_login(cast["kiran"])
    assert client.get(page()).status_code == 200


def test_the_default_template_fills_in_the_service_label_once(client, cast):
    client.force_login(cast["kiran"])
    response = client.post(page(name="health_rules_defaults"))
    assert response.status_code == 302
    rules = HealthRule.objects.filter(service=service("identity"))
    assert sorted(r.name for r in rules) == ["error ratio", "p95 latency"]
    assert all('service="identity"' in r.expression for r in rules)
    again = client.post(page(name="health_rules_defaults"))
    assert again.status_code == 400 and "already" in again.content.decode()
    assert HealthRule.objects.count() == 2
    assert TimelineEvent.objects.filter(verb="rollout.health_rule").count() == 2


def test_a_rule_is_changed_with_a_timeline_event_and_bad_input_writes_nothing(client, cast):
    sre = cast["kiran"]
    client.force_login(sre)
    rule = health_rules_from_template(component=service("identity"), actor=sre)[0]
    p = str(rule.code)
    form = {
        "rule": p,
        f"{p}-name": "p95 latency",
        f"{p}-measure": "p95_latency",
        f"{p}-expression": rule.expression,
        f"{p}-comparison": "lt",
        f"{p}-threshold": "0.3",
        f"{p}-baseline_factor": "1.2",
        f"{p}-enabled": "on",
    }
    assert client.post(page(name="health_rule_edit"), form).status_code == 302
    rule.refresh_from_db()
    assert (rule.threshold, rule.baseline_factor) == (0.3, 1.2)
    assert rule.condition == "< 0.3 and < baseline x 1.2"
    bad = client.post(page(name="health_rule_edit"), form | {f"{p}-threshold": "fast"})
    assert bad.status_code == 400 and "Threshold" in bad.content.decode()
    rule.refresh_from_db()
    assert rule.threshold == 0.3


def test_trying_without_prometheus_says_so_and_writes_nothing(client, cast, settings):
    settings.PROMETHEUS_URL = ""
    client.force_login(cast["kiran"])
    form = {"prefix": "new", "new-expression": "up", "new-comparison": "gt", "new-threshold": "0"}
    response = client.post(page(name="health_rule_try"), form, HTTP_HX_REQUEST="true")
    assert "PROMETHEUS_URL is not set" in response.content.decode()
    assert not HealthRule.objects.exists()


def rule(comparison=Comparison.LT, threshold=0.4, factor=None):
    return HealthRule(
        name="p95", comparison=comparison, threshold=threshold, baseline_factor=factor
    )


def test_a_reading_passes_fails_or_holds_the_gate():
    assert judge(rule(), Reading(prometheus.OK, 0.31)) == (Verdict.PASS, "")
    verdict, why = judge(rule(), Reading(prometheus.OK, 0.41))
    assert verdict == Verdict.FAIL and why == "p95 reads 0.41, needs < 0.4"
    assert judge(rule(), Reading(prometheus.NO_DATA, detail="no data"))[0] == Verdict.NO_DATA
    down = Reading(prometheus.UNREACHABLE, detail="Prometheus unreachable: refused")
    assert judge(rule(), down) == (Verdict.UNREACHABLE, "Prometheus unreachable: refused")
    assert judge(rule(comparison=Comparison.GT, threshold=0.99), Reading("ok", 0.999))[0] == "pass"


def test_the_baseline_factor_allows_no_worse_than_before_the_promotion():
    with_baseline = rule(factor=1.2)
    assert judge(with_baseline, Reading("ok", 0.24), Reading("ok", 0.2))[0] == Verdict.PASS
    verdict, why = judge(with_baseline, Reading("ok", 0.25), Reading("ok", 0.2))
    assert verdict == Verdict.FAIL and "worse than baseline 0.2 x 1.2" in why
    assert judge(with_baseline, Reading("ok", 0.1), None)[0] == Verdict.NO_DATA


def test_an_answer_prometheus_gives_becomes_a_reading():
    def answer(kind, result):
        return {"status": "success", "data": {"resultType": kind, "result": result}}

    one = answer("vector", [{"metric": {}, "value": [1, "0.31"]}])
    assert prometheus._reading(one) == Reading(prometheus.OK, 0.31)
    assert prometheus._reading(answer("vector", [])).status == prometheus.NO_DATA
    nan = answer("vector", [{"metric": {}, "value": [1, "NaN"]}])
    assert prometheus._reading(nan).status == prometheus.NO_DATA
    two = answer("vector", [{"metric": {}, "value": [1, "1"]}] * 2)
    assert "2 series" in prometheus._reading(two).detail
    assert prometheus._reading(answer("scalar", [1, "2"])).value == 2.0
    bad = {"status": "error", "error": "parse error at char 3"}
    assert prometheus._reading(bad) == Reading(
        prometheus.ERROR, detail="query error: parse error at char 3"
    )


def evaluation(release, rule, minute, verdict, value=None, detail=""):
    at = timezone.now() + dt.timedelta(minutes=minute)
    return HealthEvaluation.objects.create(
        rule=rule,
        release=release,
        service=rule.service,
        window=HealthWindow.MONITORING,
        minute=at.replace(second=0, microsecond=0),
        name=rule.name,
        query=rule.expression,
        comparison=rule.comparison,
        threshold=rule.threshold,
        value=value,
        verdict=verdict,
        detail=detail,
        at=at,
    )


def test_a_window_fails_on_any_failure_and_otherwise_its_latest_round_decides(cast, clock):
    release = rollout_release(["identity"], [])
    p95, errors = health_rules_from_template(component=service("identity"), actor=cast["kiran"])
    rows = [
        evaluation(release, p95, 1, Verdict.PASS, 0.2),
        evaluation(release, errors, 1, Verdict.PASS, 0.0),
        evaluation(release, p95, 2, Verdict.PASS, 0.25),
        evaluation(release, errors, 2, Verdict.UNREACHABLE, detail="Prometheus unreachable: x"),
    ]
    state = gate_state(rows)
    assert (state.verdict, state.reason) == (Verdict.UNREACHABLE, "Prometheus unreachable: x")
    assert len(state.figures) == 2 and state.figures[0].points.count(",") == 2
    rows += [evaluation(release, errors, 3, Verdict.PASS, 0.0)]
    assert gate_state(rows[2:]).verdict == Verdict.PASS
    rows += [evaluation(release, p95, 3, Verdict.FAIL, 0.5, "p95 latency reads 0.5")]
    rows += [evaluation(release, p95, 4, Verdict.PASS, 0.2)]
    state = gate_state(rows)
    assert state.verdict == Verdict.FAIL and "p95 latency 0.5 (needs < 0.4): fails" in state.reason


def test_the_board_shows_the_gate_with_its_figures_and_sparklines(client, cast, clock):
    sre = cast["kiran"]
    release = rollout_release(["identity"], [])
    p95, errors = health_rules_from_template(component=service("identity"), actor=sre)
    staged(release, "identity", sre)
    for kind in (Step.PROMOTION_STARTED, Step.PROMOTION_FINISHED):
        service_step_record(release=release, service=service("identity"), kind=kind, actor=sre)
    evaluation(release, p95, 1, Verdict.PASS, 0.21)
    evaluation(release, errors, 1, Verdict.NO_DATA, detail="no data")
    client.force_login(sre)
    body = client.get(reverse("rollout:board", args=[release.code])).content.decode()
    assert 'data-gate="no_data"' in body and "Health gate: no data" in body
    assert "p95 latency: 0.21 (needs &lt; 0.4): passes" in body
    assert body.count('<svg class="sparkline"') == 2 and "<polyline" in body


def test_without_prometheus_url_the_rules_plan_nothing_and_the_sre_observes_as_today(
    cast, clock, settings
):
    settings.PROMETHEUS_URL = ""
    sre = cast["kiran"]
    health_rules_from_template(component=service("identity"), actor=sre)
    release = rollout_release(["identity"], [])
    staged(release, "identity", sre)
    for kind in (Step.PROMOTION_STARTED, Step.PROMOTION_FINISHED):
        service_step_record(release=release, service=service("identity"), kind=kind, actor=sre)
    assert not ScheduledAction.objects.filter(kind=ActionKind.HEALTH_CHECK).exists()
    clock.shift(dt.timedelta(minutes=16))
    assert fire_due() == [ActionStatus.DONE]
    assert not RolloutStep.objects.filter(kind=Step.HEALTH).exists()
    assert not HealthEvaluation.objects.exists()
