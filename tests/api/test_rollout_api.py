"""Release day over the API: the board's gates answer 409 with the board's own reason and write
nothing; scopes, roles and component limits answer 403; overrides are a person's."""

import datetime as dt
from typing import get_args

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from releasehub.api.routers.rollout_schemas import AppStepKind, ServiceStepKind
from releasehub.api.scopes import Scope
from releasehub.audit.models import InterventionKind, ManualIntervention, TimelineEvent
from releasehub.releases.models import Release
from releasehub.rollout.models import (
    APP_AFTER_FULL,
    APP_STEPS,
    SERVICE_STEPS,
    Deployment,
    RolloutStep,
    Step,
)
from tests.api.conftest import Api
from tests.factories import readiness_cast, rollout_release, service
from tests.rollout.conftest import fire_due

pytestmark = [pytest.mark.django_db, pytest.mark.clock]
RUN = "https://ci.example/acme/backend/actions/runs/42"


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


@pytest.fixture
def cast(db):
    return readiness_cast()


@pytest.fixture
def pipeline(integration_token):
    return integration_token(scopes=[Scope.RELEASES_READ, Scope.ROLLOUT_WRITE])[1]


def steps_url(release: Release, slug: str) -> str:
    return f"/releases/{release.version}/services/{slug}/steps"


def staged(api: Api, release: Release, slug: str) -> None:
    for body in ({"kind": "staging_deployed"}, {"kind": "staging_smoke", "passed": True}):
        assert api.post(steps_url(release, slug), body).status_code == 201


def promoted(api: Api, release: Release, slug: str) -> None:
    staged(api, release, slug)
    for kind in ("promotion_started", "promotion_finished"):
        response = api.post(steps_url(release, slug), {"kind": kind})
        assert response.status_code == 201, response.data
    healthy = {"healthy": True, "p95_ms": 180, "error_rate": "0.2"}
    observed = api.post(f"/releases/{release.version}/services/{slug}/observations", healthy)
    assert observed.status_code == 201, observed.data


def row(api: Api, release: Release, slug: str) -> dict:
    board = api.get(f"/releases/{release.version}/rollout").data
    return next(r for r in board["services"] + board["apps"] if r["slug"] == slug)


def writes() -> tuple[int, int]:
    return RolloutStep.objects.count(), TimelineEvent.objects.count()


def test_the_step_kinds_are_the_boards():
    assert get_args(ServiceStepKind) == tuple(s.value for s in SERVICE_STEPS)
    assert get_args(AppStepKind) == tuple(s.value for s in APP_STEPS + APP_AFTER_FULL)


def test_a_step_answers_the_step_who_carried_it_and_the_rows_next_step(cast, pipeline, clock):
    release = rollout_release(["identity", "providers"], ["patient-web"])
    response = pipeline.post(steps_url(release, "identity"), {"kind": "staging_deployed"})
    assert response.status_code == 201
    answer = response.data
    assert answer["step"]["kind"] == "staging_deployed"
    assert answer["step"]["at"].startswith(timezone.now().astimezone(dt.UTC).strftime("%Y-%m-%d"))
    assert answer["step"]["actor"].startswith("machine:api-deploy")
    assert answer["via"].startswith("API token deploy")
    assert answer["row"]["state"] == "deployed to staging"
    assert answer["row"]["next"] == {
        "kind": "staging_smoke",
        "label": "Record staging smoke",
        "refusal": "",
        "closes_at": None,
    }


def test_an_out_of_order_promotion_is_a_409_with_the_boards_reason(cast, pipeline, clock):
    release = rollout_release(["identity", "providers"], ["patient-web"])
    staged(pipeline, release, "providers")
    shown = row(pipeline, release, "providers")["next"]
    before = writes()
    response = pipeline.post(steps_url(release, "providers"), {"kind": "promotion_started"})
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.data["rule"] == "rollout"
    assert response.data["detail"] == (
        "Providers cannot be promoted yet: Identity has not finished its production promotion."
    )
    # The board shows the same sentence on the disabled button.
    assert shown["kind"] == "promotion_started" and shown["refusal"] == response.data["detail"]
    assert writes() == before
    assert Release.objects.get(pk=release.pk).status == Release.Status.GO


def test_an_early_promotion_while_the_window_is_open_is_a_409(cast, pipeline, clock):
    release = rollout_release(["identity", "providers"], ["patient-web"])
    promoted(pipeline, release, "identity")
    staged(pipeline, release, "providers")
    before = writes()
    response = pipeline.post(steps_url(release, "providers"), {"kind": "promotion_started"})
    assert response.status_code == 409 and response.data["rule"] == "rollout"
    assert response.data["detail"] == (
        "Providers cannot be promoted yet: Identity's monitoring window is still open."
    )
    board_row = row(pipeline, release, "providers")
    assert board_row["next"]["refusal"] == response.data["detail"]
    assert board_row["next"]["closes_at"] is not None
    assert writes() == before
    # Once the window has closed the same request is recorded.
    clock.shift(dt.timedelta(minutes=16))
    fire_due()
    response = pipeline.post(steps_url(release, "providers"), {"kind": "promotion_started"})
    assert response.status_code == 201
    assert response.data["row"]["next"]["kind"] == "promotion_finished"


def test_a_token_without_rollout_write_gets_a_403_and_nothing_is_written(
    cast, integration_token, personal_token, clock
):
    release = rollout_release(["identity"], [])
    reader = integration_token(scopes=[Scope.RELEASES_READ, Scope.CHECKLIST_WRITE])[1]
    sre_reading = personal_token(cast["kiran"], scopes=[Scope.RELEASES_READ])[1]
    before = writes()
    for api in (reader, sre_reading):
        response = api.post(steps_url(release, "identity"), {"kind": "staging_deployed"})
        assert response.status_code == 403
        assert "rollout:write" in response.data["detail"]
    assert writes() == before


def test_a_person_whose_role_the_board_refuses_gets_a_403(cast, personal_token, clock):
    release = rollout_release(["identity"], [])
    rep = personal_token(cast["priya"])[1]
    before = writes()
    response = rep.post(steps_url(release, "identity"), {"kind": "staging_deployed"})
    assert response.status_code == 403 and writes() == before


def test_an_integration_limited_to_identity_cannot_act_on_payments(cast, integration_token, clock):
    release = rollout_release(["identity", "payments"], [])
    _, api = integration_token(
        scopes=[Scope.RELEASES_READ, Scope.ROLLOUT_WRITE], services=[service("identity")]
    )
    before = writes()
    refused = api.post(steps_url(release, "payments"), {"kind": "staging_deployed"})
    assert refused.status_code == 403 and "payments" in refused.data["detail"].lower()
    assert writes() == before
    assert api.post(steps_url(release, "identity"), {"kind": "staging_deployed"}).status_code == 201


def test_the_timeline_names_the_token_and_the_pipeline_run(cast, integration_token, clock):
    release = rollout_release(["identity"], [])
    token, api = integration_token(scopes=[Scope.ROLLOUT_WRITE])
    response = api.post(steps_url(release, "identity"), {"kind": "staging_deployed"}, run_url=RUN)
    assert response.status_code == 201 and response.data["run_url"] == RUN
    event = TimelineEvent.objects.get(verb="rollout.staging_deployed")
    assert (event.via, event.via_url) == (token.label, RUN)
    assert event.actor == token.user


def test_an_integration_may_not_force_a_promotion_but_a_person_may(
    cast, pipeline, personal_token, clock
):
    release = rollout_release(["identity"], [])
    url = steps_url(release, "identity")
    pipeline.post(url, {"kind": "staging_deployed"})
    pipeline.post(url, {"kind": "staging_smoke", "passed": False})
    before = writes()
    forced = {"kind": "promotion_started", "note": "known flaky smoke test"}
    refused = pipeline.post(url, forced)
    assert refused.status_code == 403 and "person" in refused.data["detail"]
    assert writes() == before and not ManualIntervention.objects.exists()
    sre = personal_token(cast["kiran"])[1]
    assert sre.post(url, forced).status_code == 201
    assert ManualIntervention.objects.get().kind == InterventionKind.FORCE


def test_an_integration_reports_figures_and_may_not_mark_healthy_by_hand(cast, pipeline, clock):
    release = rollout_release(["identity"], [])
    staged(pipeline, release, "identity")
    for kind in ("promotion_started", "promotion_finished"):
        pipeline.post(steps_url(release, "identity"), {"kind": kind})
    url = f"/releases/{release.version}/services/identity/observations"
    before = writes()
    by_hand = pipeline.post(url, {"healthy": True, "note": "looks fine"})
    assert by_hand.status_code == 403 and writes() == before
    figures = pipeline.post(url, {"healthy": True, "p95_ms": 180, "error_rate": "0.25"})
    assert figures.status_code == 201
    assert figures.data["step"]["p95_ms"] == 180 and figures.data["step"]["passed"] is True
    assert figures.data["row"]["waiting"].startswith("Identity is healthy")


def test_overrides_are_for_personal_tokens_only(cast, pipeline, personal_token, clock):
    release = rollout_release(["identity", "providers"], [])
    skip = f"/releases/{release.version}/services/providers/skip"
    before = writes()
    assert pipeline.post(skip, {"reason": "nothing changed"}).status_code == 403
    assert writes() == before
    response = personal_token(cast["asha"])[1].post(skip, {"reason": "nothing changed"})
    assert response.status_code == 201 and response.data["row"]["state"] == "skipped"
    assert ManualIntervention.objects.get().kind == InterventionKind.SKIP


def test_the_board_reads_in_a_fixed_number_of_queries(cast, personal_token, pipeline, clock):
    _, reader = personal_token(cast["arjun"], scopes=[Scope.RELEASES_READ])
    small = rollout_release(["identity"], [])
    every = ["identity", "providers", "appointments", "payments", "messaging", "analytics"]
    large = rollout_release(every, ["patient-web", "doctor-web", "admin-console"])
    promoted(pipeline, large, "identity")
    for slug in every[1:]:
        staged(pipeline, large, slug)
    reader.get("/deployments")  # the token's use is recorded once a minute: not on the board
    counts = []
    for release in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert reader.get(f"/releases/{release.version}/rollout").status_code == 200
        counts.append(len(queries))
    assert counts == [12, 12], counts  # token, release, the board's rows: none per row
    board = reader.get(f"/releases/{large.version}/rollout").data
    assert [r["slug"] for r in board["services"]] == every
    assert board["services"][1]["next"]["refusal"].endswith("monitoring window is still open.")
    assert len(board["services"][0]["steps"]) == 5


def test_rollback_incident_and_deployments(cast, pipeline, clock):
    release = rollout_release(["identity", "providers"], ["patient-web"])
    promoted(pipeline, release, "identity")
    base = f"/releases/{release.version}"
    incident = pipeline.post(
        f"{base}/incidents", {"severity": "sev2", "title": "Logins fail", "service": "identity"}
    )
    assert incident.status_code == 201 and incident.data["service"] == "identity"
    started = pipeline.post(
        f"{base}/rollbacks",
        {
            "scope": "partial",
            "services": ["identity"],
            "reason": "Logins fail",
            "incident": incident.data["code"],
        },
    )
    assert started.status_code == 201
    assert [i["service"] for i in started.data["items"]] == ["identity"]
    clock.shift(dt.timedelta(minutes=4))
    result = pipeline.post(
        f"{base}/rollbacks/{started.data['code']}/result",
        {"steps_performed": "Redeployed v1", "succeeded": True},
    )
    assert result.status_code == 201
    assert row(pipeline, release, "identity")["state"] == "rolled back"
    resolved = pipeline.post(
        f"{base}/incidents/{incident.data['code']}/resolve",
        {"resolved_at": timezone.now().isoformat()},
    )
    assert resolved.status_code == 201 and resolved.data["resolved_at"]
    again = pipeline.post(
        f"{base}/incidents/{incident.data['code']}/resolve",
        {"resolved_at": timezone.now().isoformat()},
    )
    assert again.status_code == 409
    listed = pipeline.get(f"{base}/deployments").data
    assert [(d["kind"], d["service"]) for d in listed] == [
        ("promotion", "identity"),
        ("rollback", "identity"),
    ]
    assert Deployment.objects.count() == 2
    everything = pipeline.get("/deployments", service="identity", limit=1).data
    assert everything["count"] == 2 and everything["items"][0]["kind"] == "rollback"
    later = (timezone.now() + dt.timedelta(minutes=1)).isoformat()
    assert pipeline.get("/deployments", since=later).data["count"] == 0


def test_anomalies_are_logged_from_verifying_and_completion_is_the_rms(
    cast, pipeline, personal_token, clock
):
    release = rollout_release(["identity"], ["patient-web"])
    base = f"/releases/{release.version}"
    anomaly = {"seen_at": timezone.now().isoformat(), "description": "Slow", "severity": "low"}
    early = pipeline.post(f"{base}/anomalies", anomaly)
    assert early.status_code == 409 and "verifying" in early.data["detail"]
    promoted(pipeline, release, "identity")
    clock.shift(dt.timedelta(minutes=16))
    fire_due()
    app_url = f"{base}/apps/patient-web/steps"
    for body in (
        {"kind": "build_triggered", "build_id": "web-311"},
        {"kind": "canary_started", "canary_percent": 10},
        {"kind": "canary_validated"},
        {"kind": "full_rollout"},
    ):
        assert pipeline.post(app_url, body).status_code == 201
    logged = pipeline.post(f"{base}/anomalies", {**anomaly, "app": "patient-web"})
    assert logged.status_code == 201 and logged.data["app"] == "patient-web"
    completion = {"note": "Done", "force_reason": "Smoke run by hand"}
    assert pipeline.post(f"{base}/complete", completion).status_code == 403
    done = personal_token(cast["asha"])[1].post(f"{base}/complete", completion)
    assert done.status_code == 201 and done.data["status"] == Release.Status.MONITORING
    assert Step.FULL_ROLLOUT in {s.kind for s in RolloutStep.objects.filter(app__isnull=False)}


def test_a_retried_promotion_with_the_same_key_is_recorded_once(cast, pipeline, clock):
    release = rollout_release(["identity"], [])
    staged(pipeline, release, "identity")
    url, body = steps_url(release, "identity"), {"kind": "promotion_started"}
    first = pipeline.post(url, body, key="run-9001/identity/start")
    again = pipeline.post(url, body, key="run-9001/identity/start")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.data == first.data
    assert RolloutStep.objects.filter(kind=Step.PROMOTION_STARTED).count() == 1
    # Without the key the retry asks again, and the board refuses a second start.
    assert pipeline.post(url, body).status_code == 409
