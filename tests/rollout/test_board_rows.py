"""The board's rows: each service and app row offers the one next action the signed-in person
may take, disabled with the server's own reason when a gate holds; a click is a plain form post
(or htmx) to the existing step views, and overrides sit behind a second step with a reason."""

import datetime as dt
import html
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils.timezone import localtime

from releasehub.audit.models import InterventionKind, ManualIntervention
from releasehub.rollout.models import RolloutStep, Step
from releasehub.rollout.services.promotion import service_step_record
from releasehub.schedule.models import ActionKind, ScheduledAction
from tests.factories import rollout_release, service
from tests.rollout.conftest import fire_due
from tests.rollout.test_release_day import promote, staged

pytestmark = [pytest.mark.clock, pytest.mark.django_db]
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def clock():
    with time_machine.travel(dt.datetime(2026, 12, 2, 4, 30, tzinfo=dt.UTC), tick=False) as t:
        yield t


def board_url(release) -> str:
    return reverse("rollout:board", args=[release.code])


def page_as(client, user, release) -> str:
    client.force_login(user)
    response = client.get(board_url(release))
    assert response.status_code == 200
    return response.text


def row(page: str, key: str) -> str:
    found = re.search(rf'<tr id="row-{key}".*?</tr>', page, re.S)
    assert found, f"no row {key}"
    return found.group(0)


def next_action(page: str, key: str) -> tuple[str, bool] | None:
    """The row's next action button: (label, enabled), or None when it offers none."""
    found = re.search(
        r"<button([^>]*)data-row-action=\"[a-z_]+\"[^>]*>(.*?)</button>", row(page, key)
    )
    if found is None:
        return None
    return html.unescape(found.group(2)), 'aria-disabled="true"' not in found.group(1)


def why(page: str, key: str) -> str:
    found = re.search(r"data-row-blocked>(.*?)(?: Closes in |</p>)", row(page, key), re.S)
    return html.unescape(found.group(1)) if found else ""


def feedback(page: str, key: str) -> str:
    found = re.search(rf'id="feedback-{key}"[^>]*>(.*?)</p>', row(page, key), re.S)
    assert found, f"no feedback line on {key}"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1)))


def overrides(page: str, key: str) -> set[str]:
    return set(re.findall(r'data-override="([a-z_]+)"', row(page, key)))


def row_form(page: str, key: str, override: str = "") -> tuple[str, dict]:
    """The action and hidden fields of the row's next-action form (or one of its overrides)."""
    marker = f'data-override="{override}"' if override else "data-row-form>"
    forms = re.findall(
        r'<form method="post" action="([^"]+)"([^>]*>.*?)</form>', row(page, key), re.S
    )
    action, body = next((a, b) for a, b in forms if marker in b.split(">")[0] + ">")
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', body))
    fields.pop("csrfmiddlewaretoken", None)
    return html.unescape(action), fields


def click(client, page: str, key: str, *, override: str = "", htmx=True, **typed):
    """Submit the row's form as the browser would: its hidden fields, what was typed, and the
    first submit button's name and value."""
    action, fields = row_form(page, key, override)
    if not override and (
        button := re.search(
            r'<button type="submit" name="([a-z]+)" value="([a-z_]+)"', row(page, key)
        )
    ):
        fields[button.group(1)] = button.group(2)
    return client.post(action, {**fields, **typed}, **(HTMX if htmx else {}))


def test_each_row_walks_its_steps_one_next_action_at_a_time(client, cast, clock):
    release = rollout_release(["identity", "providers"], ["patient-web"])
    page = page_as(client, cast["kiran"], release)
    assert next_action(page, "service-identity") == ("Deploy Identity to staging", True)
    assert next_action(page, "service-providers") == ("Deploy Providers to staging", True)
    assert next_action(page, "app-patient-web") == ("Trigger build of Patient web", True)
    assert next_action(page, "service-analytics") is None  # out of scope

    expected = [
        ({}, "Deployed to staging recorded", "Record staging smoke: passed"),
        ({}, "Staging smoke test recorded", "Start promotion of Identity"),
        ({}, "Production promotion started recorded", "Finish promotion of Identity"),
        ({}, "Production promotion finished recorded", "Record monitoring: healthy"),
        ({"p95_ms": "180", "error_rate": "0.2"}, "healthy recorded", None),
    ]
    for typed, notice, then in expected:
        response = click(client, page, "service-identity", **typed)
        page = response.text
        assert page.lstrip().startswith('<section id="board-status"')
        assert notice in feedback(page, "service-identity")
        assert (next_action(page, "service-identity") or (None,))[0] == then
    # Healthy, the window still open: nothing to click, a countdown to its close.
    window = ScheduledAction.objects.get(kind=ActionKind.MONITORING_WINDOW_CLOSES)
    assert f'data-countdown-to="{localtime(window.due_at).isoformat()}"' in row(
        page, "service-identity"
    )
    assert "data-waiting" in row(page, "service-identity")

    staged(release, "providers", cast["kiran"])
    page = page_as(client, cast["kiran"], release)
    assert next_action(page, "service-providers") == ("Start promotion of Providers", False)
    assert why(page, "service-providers") == (
        "Providers cannot be promoted yet: Identity's monitoring window is still open."
    )
    assert f'data-countdown-to="{localtime(window.due_at).isoformat()}"' in row(
        page, "service-providers"
    )
    assert next_action(page, "app-patient-web") == ("Trigger build of Patient web", True)

    clock.shift(dt.timedelta(minutes=16))
    fire_due()
    page = page_as(client, cast["kiran"], release)
    assert next_action(page, "service-identity") is None
    assert next_action(page, "service-providers") == ("Start promotion of Providers", True)


def test_frontend_rows_wait_for_the_backend_then_go_build_canary_full_flags_cdn(
    client, cast, clock
):
    sre = cast["kiran"]
    release = rollout_release(["identity"], ["patient-web"])
    page = page_as(client, sre, release)
    page = click(client, page, "app-patient-web", build_id="pw-1").text
    assert next_action(page, "app-patient-web") == ("Start canary of Patient web", False)
    assert why(page, "app-patient-web") == (
        "Patient web's canary cannot start yet: Backend services not done: Identity."
    )
    promote(release, "identity", sre, clock)
    page = page_as(client, sre, release)
    for typed, then in [
        ({"percent": "10"}, "Validate canary of Patient web"),
        ({}, "Full rollout of Patient web"),
        ({}, "Record flags toggled"),
        ({"note": "none"}, "CDN purge: cleared"),
        ({}, None),
    ]:
        page = click(client, page, "app-patient-web", **typed).text
        assert (next_action(page, "app-patient-web") or (None,))[0] == then, page
    assert set(
        RolloutStep.objects.filter(app__slug="patient-web").values_list("kind", flat=True)
    ) == {
        Step.BUILD_TRIGGERED,
        Step.CANARY_STARTED,
        Step.CANARY_VALIDATED,
        Step.FULL_ROLLOUT,
        Step.FLAGS_TOGGLED,
        Step.CDN,
    }


def test_a_row_action_works_as_a_plain_form_post_and_redirects_back(client, cast):
    release = rollout_release(["identity"], [])
    page = page_as(client, cast["asha"], release)
    response = click(client, page, "service-identity", htmx=False)
    assert response.status_code == 302 and response["Location"] == board_url(release)
    assert RolloutStep.objects.get().kind == Step.STAGING_DEPLOYED
    page = client.get(board_url(release)).text
    assert "Identity: Deployed to staging recorded." in page
    # A refused plain post: the page again, the reason on the row, nothing written.
    response = client.post(
        reverse("rollout:service_step", args=[release.code]),
        {"service": "identity", "step": "promotion_finished"},
    )
    assert response.status_code == 400
    assert "record “Production promotion started” first" in feedback(
        response.text, "service-identity"
    )
    assert RolloutStep.objects.count() == 1


def test_watchers_see_the_next_step_but_get_no_button_and_a_qa_lead_gets_403(client, cast):
    release = rollout_release(["identity"], ["patient-web"])
    sre_page = page_as(client, cast["kiran"], release)
    for name in ("neha", "arjun", "priya"):
        page = page_as(client, cast[name], release)
        assert "data-row-form" not in page and "<details" not in row(page, "service-identity")
        assert "Next: Deploy Identity to staging" in row(page, "service-identity")
    for key, override in [
        ("service-identity", ""),
        ("app-patient-web", ""),
        ("service-identity", "skip"),
    ]:
        response = click(client, sre_page, key, override=override, reason="r", build_id="b")
        assert response.status_code == 403
    assert RolloutStep.objects.count() == 0 and ManualIntervention.objects.count() == 0


def test_an_out_of_order_click_answers_the_reason_the_board_showed_and_writes_nothing(
    client, cast, clock
):
    sre = cast["kiran"]
    release = rollout_release(["identity", "providers"], [])
    promote(release, "identity", sre, clock, close=False)
    staged(release, "providers", sre)
    page = page_as(client, sre, release)
    shown = why(page, "service-providers")
    assert "Identity's monitoring window is still open" in shown
    count = RolloutStep.objects.count()
    # The disabled button posts nothing; a stale tab or a crafted post gets the same words.
    response = client.post(
        reverse("rollout:service_step", args=[release.code]),
        {"service": "providers", "step": "promotion_started"},
        **HTMX,
    )
    assert response.status_code == 200
    assert feedback(response.text, "service-providers") == shown
    assert RolloutStep.objects.count() == count


def test_overrides_sit_behind_more_and_each_needs_a_reason(client, cast, clock):
    sre = cast["kiran"]
    release = rollout_release(["identity", "providers"], ["patient-web"])
    service_step_record(
        release=release, service=service("identity"), kind=Step.STAGING_DEPLOYED, actor=sre
    )
    service_step_record(
        release=release,
        service=service("identity"),
        kind=Step.STAGING_SMOKE,
        actor=sre,
        passed=False,
    )
    page = page_as(client, sre, release)
    assert next_action(page, "service-identity") == ("Record staging smoke again: passed", True)
    assert overrides(page, "service-identity") == {"force", "skip"}
    assert overrides(page, "service-providers") == {"skip"}
    assert overrides(page, "app-patient-web") == {"skip"}
    assert '<details class="row-more" id="more-service-identity">' in page

    # Forcing the promotion past the failed smoke needs a reason; the server says so.
    page = click(client, page, "service-identity", override="force", note="").text
    assert "give a reason to force the promotion" in feedback(page, "service-identity")
    assert ManualIntervention.objects.count() == 0
    page = click(client, page, "service-identity", override="force", note="Config only").text
    assert "Production promotion started recorded" in feedback(page, "service-identity")
    page = click(client, page, "service-identity").text  # finish
    assert overrides(page, "service-identity") == {"manual_health", "unhealthy", "cut_short"}
    page = click(
        client, page, "service-identity", override="manual_health", note="Grafana down"
    ).text
    assert "healthy recorded" in feedback(page, "service-identity")
    page = click(
        client, page, "service-identity", override="cut_short", reason="Quiet traffic"
    ).text
    assert "monitoring window cut short" in feedback(page, "service-identity")
    page = click(client, page, "service-providers", override="skip", reason="Not ready").text
    assert "Providers skipped." in feedback(page, "service-providers")
    assert next_action(page, "service-providers") is None
    kinds = sorted(ManualIntervention.objects.values_list("kind", flat=True))
    assert kinds == sorted(
        [
            InterventionKind.FORCE,
            InterventionKind.MANUAL_HEALTH_MARK,
            InterventionKind.WINDOW_CUT_SHORT,
            InterventionKind.SKIP,
        ]
    )


def test_a_release_not_yet_at_go_shows_the_first_step_disabled_with_why(client, cast):
    release = rollout_release(["identity"], [])
    release.status = release.Status.PLANNED
    release.save(update_fields=["status"])
    page = page_as(client, cast["kiran"], release)
    assert next_action(page, "service-identity") == ("Deploy Identity to staging", False)
    assert why(page, "service-identity").endswith(
        "is Planned; release day steps are recorded while it is Go, Deploying or Verifying."
    )
    assert overrides(page, "service-identity") == set()
