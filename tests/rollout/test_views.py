"""The board's views: who may do what, bad input as messages, htmx fragments, query counts."""

import datetime as dt
import html
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from releasehub.audit.models import ManualIntervention
from releasehub.rollout.models import RolloutStep, Step
from releasehub.rollout.services.promotion import service_step_record
from releasehub.rollout.services.rollback import rollback_result_record, rollback_start
from releasehub.rollout.services.watch import release_complete
from tests.factories import rollout_release, service
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
    # A row's step answers with the status section that holds the rows.
    assert response.text.lstrip().startswith('<section id="board-status"')
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
        page = client.get(url("board", six)).text
    assert len(many) == len(few), "\n".join(q["sql"] for q in many.captured_queries)
    # The six-service board shows a next action on each row but Identity (done) and
    # Providers (healthy, waiting for its window to close).
    assert page.count('data-row-action="') == 7
    print(f"board queries: {len(few)}")


def _forms(page: str) -> set[str]:
    return set(re.findall(r'data-form="([a-z-]+)"', page))


def _unavailable(page: str) -> dict[str, str]:
    """The board's lines saying why an expected action is missing, by action."""
    found = re.findall(r'data-unavailable="([a-z-]+)"[^>]*><strong>.*?</strong>(.*?)</p>', page)
    return {name: html.unescape(text).strip() for name, text in found}


def _error(response) -> str:
    (message,) = re.findall(r'<p class="message error" role="alert"[^>]*>(.*?)</p>', response.text)
    return html.unescape(message)


def in_production(release, sre) -> None:
    """Identity's promotion started (forced past the staging smoke test)."""
    service_step_record(
        release=release, service=service("identity"), kind=Step.STAGING_DEPLOYED, actor=sre
    )
    service_step_record(
        release=release,
        service=service("identity"),
        kind=Step.PROMOTION_STARTED,
        actor=sre,
        note="Config only",
    )


def _board_as(client, user, release) -> str:
    as_user(client, user)
    return client.get(url("board", release)).text


def test_a_release_at_go_offers_its_steps_and_says_why_the_rest_waits(client, cast):
    release = rollout_release(["identity"], [])
    page = _board_as(client, cast["asha"], release)
    assert _forms(page) == {"log"}
    assert 'data-row-action="staging_deployed">Deploy Identity to staging</button>' in page
    why = _unavailable(page)
    assert why["complete"].endswith("is Go; a release is completed while Deploying or Verifying.")
    assert why["anomaly"].startswith(
        "Anomalies can be logged once the release is verifying or watched"
    )
    assert why["rollback"] == "Nothing of this release is in production to roll back."


def test_a_rolled_back_release_shows_no_form_the_server_would_refuse_and_says_why(client, cast):
    sre = cast["kiran"]
    release = rollout_release(["identity"], ["patient-web"])
    in_production(release, sre)
    rollback = rollback_start(release=release, actor=sre, scope="full", reason="Login broken")
    rollback_result_record(
        item=rollback.items.get(), actor=sre, steps_performed="Redeployed v1", succeeded=True
    )
    page = _board_as(client, cast["asha"], release)
    assert _forms(page) == {"log"}
    why = _unavailable(page)
    assert set(why) >= {"complete", "anomaly", "rollback"}
    assert "data-row-action" not in page  # no row offers a step
    assert "is Rolled back" in why["anomaly"]
    # The line on the board is the server's own refusal, word for word.
    refused = {
        "anomaly": (
            "anomaly",
            {"seen_at": "2026-12-02T10:00", "description": "x", "severity": "low"},
        ),
        "complete": ("complete", {"note": "done"}),
        "rollback": ("rollback", {"scope": "full", "reason": "again"}),
    }
    for action, (name, data) in refused.items():
        response = client.post(url(name, release), data, **HTMX)
        assert _error(response) == why[action], action
    step = {"service": "identity", "step": "promotion_finished"}
    response = client.post(url("service_step", release), step, **HTMX)
    assert "is Rolled back; release day steps are recorded while" in html.unescape(response.text)
    assert _forms(_board_as(client, sre, release)) == set()
    assert _forms(_board_as(client, cast["neha"], release)) == set()


def test_after_a_partial_rollback_the_board_still_offers_the_watch_and_the_rest(client, cast):
    sre, rm = cast["kiran"], cast["asha"]
    with time_machine.travel(dt.datetime(2026, 12, 2, 4, 30, tzinfo=dt.UTC), tick=False) as t:
        release = rollout_release(["identity", "providers"], [])
        promote(release, "identity", sre, t)
        promote(release, "providers", sre, t)
        release_complete(release=release, actor=rm, note="Done", force_reason="QA out")
        rollback = rollback_start(
            release=release,
            actor=sre,
            scope="partial",
            reason="Providers slow",
            components=[service("providers")],
        )
        page = _board_as(client, sre, release)
        assert _forms(page) == {"rollback-result", "anomaly", "rollback"}
        assert 'data-service="providers" data-state="rolling back"' in page
        rollback_result_record(
            item=rollback.items.get(), actor=sre, steps_performed="Redeployed v1", succeeded=True
        )
        page = _board_as(client, sre, release)
    assert _forms(page) == {"anomaly", "rollback"}
    assert 'data-service="providers" data-state="rolled back"' in page
    rollback_form = page[page.index('data-form="rollback"') :].split("</form>")[0]
    assert 'value="service:identity"' in rollback_form
    assert 'value="service:providers"' not in rollback_form
    assert page.count("data-row-action") == 0  # Monitoring: no row takes a step


def _signatures(page: str) -> dict[str, str]:
    pattern = r'<input type="hidden" name="([a-z]+)" value="([0-9a-f]+)" data-actions-signature>'
    return dict(re.findall(pattern, page))


def test_a_poll_brings_back_the_actions_someone_else_changed_and_nothing_more(client, cast):
    release = rollout_release(["identity"], [])
    page = _board_as(client, cast["asha"], release)
    seen = _signatures(page)
    assert set(seen) == {"rollback", "complete", "watch"}
    assert 'hx-include="[data-actions-signature]"' in page
    assert "hx-swap-oob" not in client.get(url("board", release), seen, **HTMX).text
    # The SRE starts the promotion on another board: identity can now be rolled back.
    sre = cast["kiran"]
    in_production(release, sre)
    poll = client.get(url("board", release), seen, **HTMX).text
    assert poll.lstrip().startswith('<section id="board-status"')
    assert '<div id="actions-rollback" hx-swap-oob="true">' in poll
    assert 'data-form="rollback"' in poll
    fresh = _signatures(_board_as(client, cast["asha"], release))
    assert "hx-swap-oob" not in client.get(url("board", release), fresh, **HTMX).text


def test_an_action_answers_with_the_actions_of_the_state_it_left_the_release_in(client, cast):
    sre = cast["kiran"]
    release = rollout_release(["identity"], [])
    in_production(release, sre)
    as_user(client, sre)
    response = client.post(url("rollback", release), {"scope": "full", "reason": "5xx"}, **HTMX)
    assert "Full rollback started" in response.text
    assert _forms(response.text) == {"rollback-result"}
    assert "is Rolled back" in _unavailable(response.text)["anomaly"]
