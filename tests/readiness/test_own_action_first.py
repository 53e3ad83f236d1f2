"""#19 items 3 and 5 on the Go/No-Go page, server side: each person's own action linked at the
top of the page (a squad rep on a phone reaches their sign-off at once), the form headings and the
feedback of an action focusable, so that focus can land on them."""

import re

import pytest
from django.urls import reverse

from releasehub.readiness.panels import squad_slot
from releasehub.releases.models import Release
from tests.factories import readiness_release

pytestmark = [pytest.mark.clock, pytest.mark.django_db]
HTMX = {"HTTP_HX_REQUEST": "true"}


def _page(client, user, release) -> str:
    client.force_login(user)
    return client.get(reverse("readiness:page", args=[release.code])).content.decode()


def _jumps(body: str) -> list[tuple[str, str]]:
    nav = re.search(r'<nav class="my-actions" aria-label="Your actions">(.*?)</nav>', body, re.S)
    return re.findall(r'href="#([\w-]+)">([^<]+)</a>', nav.group(1)) if nav else []


def test_a_squad_rep_gets_a_link_to_their_own_sign_off_at_the_top(client, cast, release):
    body = _page(client, cast["priya"], release)
    assert _jumps(body) == [("sign-off-heading", "Sign off for Patient")]
    assert body.index('class="my-actions"') < body.index('id="go-no-go-')  # before the panel
    assert '<h3 id="sign-off-heading" tabindex="-1">Your sign-off</h3>' in body


def test_the_rm_and_qa_get_links_to_their_own_forms(client, cast):
    planned = readiness_release()
    assert _jumps(_page(client, cast["asha"], planned)) == [
        ("decision-heading", "Record the Go/No-Go decision")
    ]
    verifying = readiness_release(status=Release.Status.VERIFYING)
    assert _jumps(_page(client, cast["neha"], verifying)) == [
        ("smoke-form-heading", "Log a smoke result")
    ]
    body = _page(client, cast["neha"], verifying)
    assert '<h3 id="smoke-form-heading" tabindex="-1">' in body


def test_readers_get_no_action_links(client, cast, release):
    assert _jumps(_page(client, cast["arjun"], release)) == []
    assert 'class="my-actions"' not in _page(client, cast["arjun"], release)


def test_the_page_loads_the_focus_script_with_the_csp_nonce(client, cast, release):
    body = _page(client, cast["priya"], release)
    assert re.search(r'<script src="/static/js/focus\.js" nonce="[^"]+" defer>', body)


def test_an_actions_feedback_can_take_focus(client, cast, release):
    client.force_login(cast["priya"])
    response = client.post(
        reverse("readiness:sign", args=[release.code]),
        {"slot": squad_slot(cast["priya"].squads[0]).key, "decision": "go"},
        **HTMX,
    )
    body = response.content.decode()
    assert re.search(r'role="status" tabindex="-1" data-feedback>Go recorded for Patient', body)


def test_without_javascript_the_redirect_lands_on_the_section(client, cast, release):
    client.force_login(cast["priya"])
    response = client.post(
        reverse("readiness:sign", args=[release.code]),
        {"slot": squad_slot(cast["priya"].squads[0]).key, "decision": "go"},
    )
    assert response.status_code == 302 and response["Location"].endswith("#go-no-go-actions")
