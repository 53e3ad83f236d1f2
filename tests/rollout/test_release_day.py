"""Release day through the services: order, the monitoring gate, frontends, completion,
the post-release watch, incidents, rollbacks, the ledger and derived deployment failures."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from releasehub.audit.models import InterventionKind, ManualIntervention, TimelineEvent
from releasehub.metrics.selectors import Period, metrics
from releasehub.readiness.models import ChecklistItem, Phase
from releasehub.readiness.services.qa import smoke_record
from releasehub.releases.models import Release
from releasehub.rollout.errors import RolloutError
from releasehub.rollout.models import Deployment, DeploymentKind, RolloutStep, Severity, Step
from releasehub.rollout.selectors import board
from releasehub.rollout.services.frontends import app_step_record
from releasehub.rollout.services.incidents import (
    hotfix_from_anomaly,
    incident_from_anomaly,
    incident_record,
    incident_resolve,
)
from releasehub.rollout.services.promotion import (
    component_skip,
    service_health_record,
    service_step_record,
    service_window_cut_short,
)
from releasehub.rollout.services.rollback import rollback_result_record, rollback_start
from releasehub.rollout.services.watch import anomaly_log, release_complete
from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction
from tests.factories import app, rollout_release, service
from tests.rollout.conftest import fire_due

pytestmark = [pytest.mark.clock, pytest.mark.django_db]
S = Release.Status


@pytest.fixture
def clock():
    with time_machine.travel(dt.datetime(2026, 12, 2, 4, 30, tzinfo=dt.UTC), tick=False) as t:
        yield t


def staged(release, slug, sre):
    for kind, passed in ((Step.STAGING_DEPLOYED, None), (Step.STAGING_SMOKE, True)):
        service_step_record(
            release=release, service=service(slug), kind=kind, actor=sre, passed=passed
        )


def promote(release, slug, sre, clock, *, healthy=True, close=True):
    staged(release, slug, sre)
    for kind in (Step.PROMOTION_STARTED, Step.PROMOTION_FINISHED):
        service_step_record(release=release, service=service(slug), kind=kind, actor=sre)
    service_health_record(
        release=release,
        service=service(slug),
        actor=sre,
        healthy=healthy,
        p95_ms=180,
        error_rate=Decimal("0.2"),
    )
    if close:
        clock.shift(dt.timedelta(minutes=16))
        fire_due()


def roll_out(release, slug, sre):
    a = app(slug)
    app_step_record(release=release, app=a, kind=Step.BUILD_TRIGGERED, actor=sre, build_id="b1")
    app_step_record(release=release, app=a, kind=Step.CANARY_STARTED, actor=sre, percent=5)
    app_step_record(release=release, app=a, kind=Step.CANARY_VALIDATED, actor=sre)
    app_step_record(release=release, app=a, kind=Step.FULL_ROLLOUT, actor=sre)


def test_promotions_follow_the_catalog_order_and_wait_for_a_healthy_closed_window(cast, clock):
    sre = cast["kiran"]
    release = rollout_release(["providers", "identity"], [])
    staged(release, "providers", sre)
    with pytest.raises(RolloutError, match="Identity has not finished"):
        service_step_record(
            release=release, service=service("providers"), kind=Step.PROMOTION_STARTED, actor=sre
        )
    promote(release, "identity", sre, clock, close=False)
    release.refresh_from_db()
    assert release.status == S.DEPLOYING
    with pytest.raises(RolloutError, match="monitoring window is still open"):
        service_step_record(
            release=release, service=service("providers"), kind=Step.PROMOTION_STARTED, actor=sre
        )
    clock.shift(dt.timedelta(minutes=16))
    assert fire_due() == [ActionStatus.DONE]
    service_step_record(
        release=release, service=service("providers"), kind=Step.PROMOTION_STARTED, actor=sre
    )
    assert Deployment.objects.filter(kind=DeploymentKind.PROMOTION).count() == 1


def test_an_unhealthy_observation_blocks_the_next_promotion_until_a_healthy_one(cast, clock):
    sre = cast["kiran"]
    release = rollout_release(["identity", "providers"], [])
    promote(release, "identity", sre, clock, healthy=False)
    staged(release, "providers", sre)
    with pytest.raises(RolloutError, match="observed unhealthy"):
        service_step_record(
            release=release, service=service("providers"), kind=Step.PROMOTION_STARTED, actor=sre
        )
    service_health_record(
        release=release,
        service=service("identity"),
        actor=sre,
        healthy=True,
        p95_ms=90,
        error_rate=Decimal("0.1"),
    )
    service_step_record(
        release=release, service=service("providers"), kind=Step.PROMOTION_STARTED, actor=sre
    )


def test_the_window_length_is_a_setting(cast, clock, settings):
    settings.MONITORING_WINDOW_MINUTES = 0.05
    release = rollout_release(["identity"], [])
    promote(release, "identity", cast["kiran"], clock, close=False)
    window = ScheduledAction.objects.get(kind=ActionKind.MONITORING_WINDOW_CLOSES)
    finished = RolloutStep.objects.get(kind=Step.PROMOTION_FINISHED)
    assert window.due_at - finished.at == dt.timedelta(seconds=3)


def test_cutting_short_skipping_forcing_and_manual_health_are_ledger_rows(cast, clock):
    sre, rm = cast["kiran"], cast["asha"]
    release = rollout_release(["identity", "providers", "appointments"], [])
    promote(release, "identity", sre, clock, close=False)
    with pytest.raises(RolloutError, match="needs a reason"):
        service_window_cut_short(release=release, service=service("identity"), actor=rm, reason=" ")
    service_window_cut_short(
        release=release, service=service("identity"), actor=rm, reason="Dashboards flat"
    )
    component_skip(
        release=release, component=service("providers"), actor=rm, reason="No change after all"
    )
    service_step_record(
        release=release, service=service("appointments"), kind=Step.STAGING_DEPLOYED, actor=sre
    )
    with pytest.raises(RolloutError, match="give a reason to force"):
        service_step_record(
            release=release,
            service=service("appointments"),
            kind=Step.PROMOTION_STARTED,
            actor=sre,
        )
    service_step_record(
        release=release,
        service=service("appointments"),
        kind=Step.PROMOTION_STARTED,
        actor=sre,
        note="Staging flaky; prod canary checked",
    )
    service_step_record(
        release=release, service=service("appointments"), kind=Step.PROMOTION_FINISHED, actor=sre
    )
    with pytest.raises(RolloutError, match="needs a reason"):
        service_health_record(
            release=release, service=service("appointments"), actor=sre, healthy=True
        )
    service_health_record(
        release=release,
        service=service("appointments"),
        actor=sre,
        healthy=True,
        note="Grafana down; checked logs",
    )
    kinds = list(ManualIntervention.objects.filter(release=release).values_list("kind", flat=True))
    assert kinds == [
        InterventionKind.WINDOW_CUT_SHORT,
        InterventionKind.SKIP,
        InterventionKind.FORCE,
        InterventionKind.MANUAL_HEALTH_MARK,
    ]


def test_a_double_click_records_one_step(cast, clock):
    release = rollout_release(["identity"], [])
    service_step_record(
        release=release,
        service=service("identity"),
        kind=Step.STAGING_DEPLOYED,
        actor=cast["kiran"],
    )
    with pytest.raises(RolloutError, match="already recorded"):
        service_step_record(
            release=release,
            service=service("identity"),
            kind=Step.STAGING_DEPLOYED,
            actor=cast["kiran"],
        )
    assert RolloutStep.objects.count() == 1


def test_frontends_wait_for_the_backend_then_go_canary_to_full_and_complete(cast, clock):
    sre, rm, qa = cast["kiran"], cast["asha"], cast["neha"]
    release = rollout_release(["identity"], ["patient-web"])
    app_step_record(
        release=release, app=app("patient-web"), kind=Step.BUILD_TRIGGERED, actor=sre, build_id="b7"
    )
    with pytest.raises(RolloutError, match="Backend services not done: Identity"):
        app_step_record(
            release=release, app=app("patient-web"), kind=Step.CANARY_STARTED, actor=sre, percent=5
        )
    promote(release, "identity", sre, clock)
    clock.shift(dt.timedelta(minutes=5))
    a = app("patient-web")
    app_step_record(release=release, app=a, kind=Step.CANARY_STARTED, actor=sre, percent=5)
    app_step_record(release=release, app=a, kind=Step.CANARY_VALIDATED, actor=sre)
    clock.shift(dt.timedelta(minutes=10))
    app_step_record(release=release, app=a, kind=Step.FULL_ROLLOUT, actor=sre)
    app_step_record(release=release, app=a, kind=Step.CDN, actor=sre, passed=False)
    release.refresh_from_db()
    assert release.status == S.VERIFYING
    with pytest.raises(RolloutError, match="smoke checklist has not passed"):
        release_complete(release=release, actor=rm, note="Done")
    for item in ChecklistItem.objects.filter(release=release, phase=Phase.SMOKE):
        smoke_record(item=item, actor=qa, outcome="passed")
    release_complete(release=release, actor=rm, note="All green at 11:05")
    release.refresh_from_db()
    assert release.status == S.MONITORING and release.completed_at is not None
    watch = ScheduledAction.objects.get(release=release, kind=ActionKind.POST_RELEASE_WATCH_ENDS)
    assert watch.due_at == release.completed_at + dt.timedelta(hours=24)
    data = board(release)
    assert data.deployment_duration == dt.timedelta(minutes=31)  # identity start → full rollout
    assert data.services[0].duration == dt.timedelta(0)


def test_a_sev1_anomaly_becomes_an_incident_with_a_retrospective_and_runbook_review(cast, clock):
    sre, rm = cast["kiran"], cast["asha"]
    release = rollout_release(["identity"], [])
    promote(release, "identity", sre, clock)
    release_complete(release=release, actor=rm, note="Done", force_reason="QA out sick")
    anomaly = anomaly_log(
        release=release,
        actor=sre,
        seen_at=timezone.now(),
        description="Login errors spike",
        severity="critical",
        component=service("identity"),
    )
    incident = incident_from_anomaly(anomaly=anomaly, actor=sre, severity=Severity.SEV1)
    with pytest.raises(RolloutError, match="already an incident"):
        incident_from_anomaly(anomaly=anomaly, actor=sre, severity=Severity.SEV1)
    assert incident.service == service("identity") and incident.retrospective.owner == rm
    assert ScheduledAction.objects.filter(release=release, kind=ActionKind.RUNBOOK_REVIEW).exists()
    failed = Deployment.objects.with_failed().get(service=service("identity"))
    assert failed.failed and failed.named_by_incident


def test_a_partial_rollback_fails_the_rolled_back_deployment_only(cast, clock):
    sre = cast["kiran"]
    release = rollout_release(["identity", "providers"], [])
    promote(release, "identity", sre, clock)
    promote(release, "providers", sre, clock)
    with pytest.raises(RolloutError, match="Choose the services"):
        rollback_start(release=release, actor=sre, scope="partial", reason="x", components=[])
    rollback = rollback_start(
        release=release,
        actor=sre,
        scope="partial",
        reason="Providers 5xx",
        components=[service("providers")],
    )
    release.refresh_from_db()
    assert release.status == S.DEPLOYING  # a partial rollback does not end the release
    item = rollback.items.get()
    rollback_result_record(item=item, actor=sre, steps_performed="Redeployed v1", succeeded=True)
    rows = {
        (d.service.slug, d.kind): d.failed
        for d in Deployment.objects.with_failed().select_related("service")
    }
    assert rows == {
        ("identity", "promotion"): False,
        ("providers", "promotion"): True,
        ("providers", "rollback"): False,
    }
    assert ManualIntervention.objects.filter(kind=InterventionKind.MANUAL_ROLLBACK).count() == 1
    assert TimelineEvent.objects.filter(verb="rollout.rollback_started").count() == 1


def all_done(release, cast, clock, services, apps):
    """Every service promoted and watched, every app fully rolled out, the smoke passed."""
    for slug in services:
        promote(release, slug, cast["kiran"], clock)
    for slug in apps:
        roll_out(release, slug, cast["kiran"])
    for item in ChecklistItem.objects.filter(release=release, phase=Phase.SMOKE):
        smoke_record(item=item, actor=cast["neha"], outcome="passed")


def roll_back(release, sre, slug, reason="Errors after promotion"):
    """A partial rollback of one service."""
    return rollback_start(
        release=release, actor=sre, scope="partial", reason=reason, components=[service(slug)]
    )


def outcome(rollback, sre, *, succeeded=True):
    return rollback_result_record(
        item=rollback.items.get(), actor=sre, steps_performed="Redeployed v1", succeeded=succeeded
    )


def test_a_partial_rollback_reverts_one_service_and_the_release_goes_on(cast, clock):
    sre, rm = cast["kiran"], cast["asha"]
    release = rollout_release(["identity", "analytics"], ["patient-web"])
    all_done(release, cast, clock, ["identity", "analytics"], ["patient-web"])
    rollback = roll_back(release, sre, "analytics", "Analytics events dropped")
    states = lambda: {r.component.slug: r.state for r in board(release).in_scope}  # noqa: E731
    assert states()["analytics"] == "rolling back"
    with pytest.raises(RolloutError, match="Not done yet: Analytics"):
        release_complete(release=release, actor=rm, note="Done")
    clock.shift(dt.timedelta(minutes=7))
    outcome(rollback, sre)
    release.refresh_from_db()
    assert release.status == S.VERIFYING
    assert states() == {"identity": "done", "analytics": "rolled back", "patient-web": "done"}

    release_complete(release=release, actor=rm, note="Complete without the analytics change")
    release.refresh_from_db()
    assert release.status == S.MONITORING and release.completed_at is not None
    anomaly = anomaly_log(
        release=release,
        actor=sre,
        seen_at=timezone.now(),
        description="Identity p95 up",
        severity="low",
        component=service("identity"),
    )
    incident = incident_from_anomaly(anomaly=anomaly, actor=sre, severity=Severity.SEV3)
    assert incident.release == release


def test_metrics_count_the_rolled_back_deployment_failed_and_the_others_not(cast, clock):
    sre = cast["kiran"]
    release = rollout_release(["identity", "analytics"], ["patient-web"])
    all_done(release, cast, clock, ["identity", "analytics"], ["patient-web"])
    outcome(roll_back(release, sre, "analytics"), sre)
    failed = {
        (d.component.slug, d.kind): d.failed
        for d in Deployment.objects.with_failed().select_related("service", "app")
    }
    assert failed == {
        ("identity", "promotion"): False,
        ("analytics", "promotion"): True,
        ("patient-web", "rollout"): False,
        ("analytics", "rollback"): False,
    }
    day = timezone.localdate()
    figures = metrics(Period(day, day))
    assert (figures["deployments"], figures["failed_deployments"]) == (4, 1)
    assert figures["change_failure_rate"] == 0.25
    assert figures["recovery_hours"]["open_incidents"] == 0


def test_a_full_rollback_after_a_partial_one_covers_the_rest_and_ends_the_release(cast, clock):
    sre = cast["kiran"]
    release = rollout_release(["identity", "providers"], [])
    promote(release, "identity", sre, clock)
    promote(release, "providers", sre, clock)
    partial = roll_back(release, sre, "providers")
    with pytest.raises(RolloutError, match="Providers is already being rolled back"):
        roll_back(release, sre, "providers")
    outcome(partial, sre)
    full = rollback_start(release=release, actor=sre, scope="full", reason="Login broken too")
    assert [i.service.slug for i in full.items.all()] == ["identity"]
    release.refresh_from_db()
    assert release.status == S.ROLLED_BACK
    with pytest.raises(RolloutError, match="Rolled back; no rollback"):
        rollback_start(release=release, actor=sre, scope="full", reason="again")


def test_a_rolled_back_service_takes_no_more_steps(cast, clock):
    sre = cast["kiran"]
    release = rollout_release(["identity"], [])
    staged(release, "identity", sre)
    service_step_record(
        release=release, service=service("identity"), kind=Step.PROMOTION_STARTED, actor=sre
    )
    roll_back(release, sre, "identity", "Promotion hung")
    with pytest.raises(RolloutError, match="Identity was rolled back"):
        service_step_record(
            release=release, service=service("identity"), kind=Step.PROMOTION_FINISHED, actor=sre
        )
    assert not Deployment.objects.exists()


def test_a_failed_rollback_holds_the_release_until_it_is_rolled_back_again(cast, clock):
    sre, rm = cast["kiran"], cast["asha"]
    release = rollout_release(["identity", "analytics"], [])
    all_done(release, cast, clock, ["identity", "analytics"], [])
    outcome(roll_back(release, sre, "analytics"), sre, succeeded=False)
    assert board(release).services[-1].state == "rollback failed"
    with pytest.raises(RolloutError, match=r"Not done yet: Analytics \(rollback failed\)"):
        release_complete(release=release, actor=rm, note="Done")
    outcome(roll_back(release, sre, "analytics"), sre)
    release_complete(release=release, actor=rm, note="Done")


def test_steps_are_refused_before_go_and_after_completion(cast, clock):
    release = rollout_release(["identity"], [])
    Release.objects.filter(pk=release.pk).update(status=S.PLANNED)
    release.refresh_from_db()
    with pytest.raises(
        RolloutError, match="Planned; release day steps are recorded while it is Go"
    ):
        service_step_record(
            release=release,
            service=service("identity"),
            kind=Step.STAGING_DEPLOYED,
            actor=cast["kiran"],
        )


def test_a_service_out_of_scope_is_shown_unchanged_and_refused(cast, clock):
    release = rollout_release(["payments"], [])
    data = board(release)
    assert [r.state for r in data.services][:4] == ["unchanged"] * 3 + ["waiting"]
    with pytest.raises(RolloutError, match="not in the scope"):
        service_step_record(
            release=release,
            service=service("identity"),
            kind=Step.STAGING_DEPLOYED,
            actor=cast["kiran"],
        )


def test_an_anomaly_becomes_a_hotfix_in_one_step_which_fails_the_deployment_it_fixes(cast, clock):
    sre, rm = cast["kiran"], cast["asha"]
    release = rollout_release(["identity"], [])
    promote(release, "identity", sre, clock)
    release_complete(release=release, actor=rm, note="Done", force_reason="QA out sick")
    anomaly = anomaly_log(
        release=release,
        actor=sre,
        seen_at=timezone.now(),
        description="Password reset mails delayed",
        severity="high",
        component=service("identity"),
    )
    hotfix = hotfix_from_anomaly(
        anomaly=anomaly,
        actor=sre,
        version="2026.12.02-hf1",
        window_start=timezone.now() + dt.timedelta(hours=1),
        branch="hotfix/reset-mails",
        risk_assessment="Low",
        tests_run="Mailer tests",
        tests_result="passed",
        supervising_sre=sre,
        incident_url="https://incidents.example.com/INC-1",
    )
    assert hotfix.release.is_hotfix and hotfix.production_tag == release.version
    assert hotfix.components == [service("identity")]  # named in its hotfix notice
    with pytest.raises(RolloutError, match="already became a hotfix"):
        incident_from_anomaly(anomaly=anomaly, actor=sre, severity=Severity.SEV3)
    row = Deployment.objects.with_failed().get(release=release)
    assert row.failed and row.fixed_by_hotfix and not row.rolled_back


def test_a_full_rollback_covers_everything_that_reached_production(cast, clock):
    sre = cast["kiran"]
    release = rollout_release(["identity", "providers"], ["patient-web"])
    promote(release, "identity", sre, clock)
    rollback = rollback_start(release=release, actor=sre, scope="full", reason="Login broken")
    assert [i.service.slug for i in rollback.items.all()] == ["identity"]
    with pytest.raises(RolloutError, match="Rolled back; no rollback"):
        rollback_start(release=release, actor=sre, scope="full", reason="again")


def test_a_rollback_needs_a_plan_for_each_service(cast, clock):
    sre = cast["kiran"]
    release = rollout_release(["identity"], [], plans=False)
    promote(release, "identity", sre, clock)
    with pytest.raises(RolloutError, match="No rollback plan for Identity"):
        rollback_start(release=release, actor=sre, scope="full", reason="Login broken")
    assert Release.objects.get(pk=release.pk).status == S.DEPLOYING


def test_an_incident_is_resolved_once_and_not_before_it_was_detected(cast, clock):
    sre = cast["kiran"]
    incident = incident_record(
        actor=sre, title="CDN outage", severity=Severity.SEV3, detected_at=timezone.now()
    )
    with pytest.raises(RolloutError, match="after it was detected"):
        earlier = timezone.now() - dt.timedelta(hours=1)
        incident_resolve(incident=incident, actor=sre, resolved_at=earlier)
    incident_resolve(incident=incident, actor=sre, resolved_at=timezone.now())
    with pytest.raises(RolloutError, match="already resolved"):
        incident_resolve(incident=incident, actor=sre, resolved_at=timezone.now())
    assert not hasattr(incident, "retrospective")  # not SEV-1, no release
