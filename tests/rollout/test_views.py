"""The board's views: who may do what, bad input as messages, htmx fragments, query counts."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from releasehub.readiness.models import ManualIntervention
from releasehub.rollout.models import RolloutStep, Step
from tests.factories import rollout_release
from tests.rollout.conftest import ALL_APPS, ALL_SERVICES, fire_due
from tests.rollout.test_release_day import promote

pytestmark = [pytest.mark.clock, pytest.mark.django_db]
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, release):
    return reverse(f"rollout:{name}", args=[release.code])


def as_user(client, user):
    client.force_login(user)
    return client


def test_everyone_with_a_login_watches_and_only_sre_or_rm_promote(client, cast):
    release = rollout_release(["identity"], [])
    data = {"service": "identity", "step": Step.STAGING_DEPLOYED}
    for name in ("arjun", "neha", "priya"):
        as_user(client, cast[name])
        assert client.get(url("board", release)).status_code == 200
        assert client.post(url("service_step", release), data).status_code == 403
    assert RolloutStep.objects.count() == 0
    as_user(client, cast["kiran"])
    response = client.post(url("service_step", release), data, **HTMX)
    assert response.status_code == 200 and "Deployed to staging recorded" in response.text
    assert response["HX-Trigger"] == "rollout-changed"
    assert RolloutStep.objects.count() == 1


def test_anonymous_visitors_are_sent_to_log_in(client, cast):
    release = rollout_release(["identity"], [])
    assert client.get(url("board", release)).status_code == 302


@pytest.mark.parametrize(
    "name, data",
    [
        ("service_step", {"service": "nope", "step": "promotion_started"}),
        ("service_step", {"service": "identity", "step": "bogus"}),
        ("service_step", {"service": "identity", "step": "promotion_finished"}),
        ("health", {"service": "identity", "healthy": "maybe", "p95_ms": "-3"}),
        ("override", {"component": "app:zzz", "action": "skip", "reason": "r"}),
        ("override", {"component": "service:identity", "action": "cut_short", "reason": ""}),
        ("app_step", {"app": "patient-web", "step": "canary_started", "percent": "500"}),
        ("complete", {"note": "done"}),
        ("anomaly", {"seen_at": "not a date", "description": "x", "severity": "low"}),
        (
            "anomaly_incident",
            {"anomaly": "00000000-0000-0000-0000-000000000000", "severity": "sev1"},
        ),
        ("rollback", {"scope": "partial", "reason": "r", "components": ["service:nope"]}),
        ("rollback", {"scope": "full", "reason": "r"}),
        ("rollback_result", {"item": "x", "steps_performed": "s", "succeeded": "yes"}),
        (
            "incident_resolve",
            {"incident": "00000000-0000-0000-0000-000000000000", "resolved_at": "2026-12-02T10:00"},
        ),
    ],
)
def test_bad_input_is_a_message_and_writes_nothing(client, cast, name, data):
    release = rollout_release(["identity"], ["patient-web"])
    as_user(client, cast["asha"])
    response = client.post(url(name, release), data)
    assert response.status_code == 400
    assert 'class="message error"' in response.text
    assert RolloutStep.objects.count() == 0 and ManualIntervention.objects.count() == 0
    response = client.post(url(name, release), data, **HTMX)
    assert response.status_code == 200 and 'class="message error"' in response.text


def test_a_plain_post_redirects_to_the_board(client, cast):
    release = rollout_release(["identity"], [])
    as_user(client, cast["kiran"])
    response = client.post(
        url("service_step", release), {"service": "identity", "step": "staging_deployed"}
    )
    assert response.status_code == 302 and response["Location"] == url("board", release)


def test_the_polled_fragment_is_the_status_section(client, cast):
    release = rollout_release(["identity"], [])
    as_user(client, cast["arjun"])
    response = client.get(url("board", release), **HTMX)
    assert response.text.lstrip().startswith('<section id="board-status"')
    assert 'hx-trigger="every 2s' in response.text


def _count(client, release) -> CaptureQueriesContext:
    client.get(url("board", release))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url("board", release)).status_code == 200
    return queries


def test_board_query_count_is_the_same_with_one_and_six_services(client, cast):
    with time_machine.travel(dt.datetime(2026, 12, 2, 4, 30, tzinfo=dt.UTC), tick=False) as t:
        one = rollout_release(["identity"], ["patient-web"])
        six = rollout_release(ALL_SERVICES, ALL_APPS)
        for release in (one, six):
            promote(release, "identity", cast["kiran"], t)
        promote(six, "providers", cast["kiran"], t, close=False)
        fire_due()
        as_user(client, cast["asha"])
        few, many = _count(client, one), _count(client, six)
    assert len(many) == len(few), "\n".join(q["sql"] for q in many.captured_queries)
    print(f"board queries: {len(few)}")
