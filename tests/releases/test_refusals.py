"""A refused action is a 403 that changes nothing: a message for the section acted on when htmx
asked, a page with the site's navigation for a plain POST, and one log line saying who, what and
why. The ticket form offers a person only the squads they may add tickets for."""

import datetime as dt
import logging
import re

import pytest
from django.urls import reverse

from releasehub.accounts.models import Role, RoleAssignment
from releasehub.audit.models import TimelineEvent
from releasehub.releases.models import ScopeTicket
from tests.factories import ReleaseFactory, rm, squad, user_with

pytestmark = pytest.mark.django_db

# A Wednesday 10:00 IST far from any instant the suite runs at: never frozen, never due.
WINDOW = dt.datetime(2030, 1, 2, 4, 30, tzinfo=dt.UTC)
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "scope-tickets"}
REASON = "Squad reps add tickets for their own squad only."


@pytest.fixture
def release():
    return ReleaseFactory(window_start=WINDOW, window_end=WINDOW + dt.timedelta(hours=2))


@pytest.fixture
def rep():
    return user_with(Role.SQUAD_REP, "patient", username="priya")


def _forged_ticket(release) -> tuple[str, dict]:
    url = reverse("releases:ticket_add", args=[release.code])
    return url, {"key": "DOC-7", "title": "Not mine to add", "squad": squad("doctor").pk}


def _nothing_written() -> bool:
    return not ScopeTicket.objects.exists() and not TimelineEvent.objects.exists()


def _squad_options(html: str) -> list[str]:
    select = re.search(r'<select name="squad".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="[^"]+"[^>]*>([^<]*)</option>', select)


def _ticket_form(client, release, **headers) -> str:
    """The "Add a ticket" form as its disclosure fetches it (htmx), or as the page shows it
    open without JavaScript (`?form=ticket`)."""
    url = reverse("pages:release", args=[release.code]) + "?section=scope-tickets&form=ticket"
    response = client.get(url, **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_a_plain_post_refused_is_a_403_page_with_the_reason_and_the_navigation(
    client, rep, release
):
    client.force_login(rep)
    url, data = _forged_ticket(release)
    response = client.post(url, data)
    assert response.status_code == 403
    html = response.content.decode()
    assert REASON in html and "Nothing was changed" in html
    assert '<nav aria-label="Main">' in html
    assert _nothing_written()


def test_a_refused_htmx_action_answers_only_a_message_for_its_section(client, rep, release):
    client.force_login(rep)
    url, data = _forged_ticket(release)
    response = client.post(url, data, **HTMX)
    assert response.status_code == 403
    assert response["ReleaseHub-Refused"] == "true"
    html = response.content.decode()
    assert REASON in html and "Nothing was changed" in html
    # A fragment: no page around it to replace the one the person is working on.
    assert "<html" not in html and "<nav" not in html and "<main" not in html
    assert _nothing_written()


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("releases:oncall_assign", "Your role does not allow this."),
        ("schedule:overview", "Timed actions are for SRE and staff."),
    ],
)
def test_every_refusal_answers_htmx_with_the_same_message_fragment(
    client, rep, release, name, reason
):
    client.force_login(rep)
    if name == "schedule:overview":
        response = client.get(reverse(name), **HTMX)
    else:
        response = client.post(reverse(name, args=[release.code]), {"role": "sre"}, **HTMX)
    assert response.status_code == 403
    assert response["ReleaseHub-Refused"] == "true"
    html = response.content.decode()
    assert reason in html and "<nav" not in html


def test_a_plain_403_carries_no_htmx_refusal_marker(client, rep, release):
    client.force_login(rep)
    url, data = _forged_ticket(release)
    assert "ReleaseHub-Refused" not in client.post(url, data)


def test_the_squad_select_offers_a_rep_only_their_own_squads(client, rep, release):
    client.force_login(rep)
    html = _ticket_form(client, release, **HTMX)
    assert html.lstrip().startswith("<form")
    assert _squad_options(html) == ["Patient"]


def test_the_squad_select_offers_a_rep_of_two_squads_both(client, rep, release):
    RoleAssignment.objects.create(user=rep, role=Role.SQUAD_REP, squad=squad("admin"))
    client.force_login(rep)
    html = _ticket_form(client, release)  # without JavaScript: the page, the form open
    assert '<details class="add" open>' in html
    assert sorted(_squad_options(html)) == ["Admin", "Patient"]


def test_the_squad_select_offers_the_rm_every_squad(client, release):
    client.force_login(rm())
    html = _ticket_form(client, release, **HTMX)
    assert sorted(_squad_options(html)) == ["Admin", "Doctor", "Patient", "Shared Services"]


def test_a_rep_shown_their_form_again_is_still_offered_only_their_squads(client, rep, release):
    client.force_login(rep)
    url = reverse("releases:ticket_add", args=[release.code])
    data = {"key": "not a key", "title": "Typo", "squad": squad("patient").pk}
    response = client.post(url, data, **HTMX)
    html = response.content.decode()
    assert "A ticket key looks like PAT-123." in html
    assert _squad_options(html) == ["Patient"]
    assert 'value="not a key"' in html and "Typo" in html


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_refusal_is_logged_as_one_line_naming_who_what_and_why_without_a_traceback(
    client, rep, release, caplog, headers
):
    client.force_login(rep)
    url, data = _forged_ticket(release)
    caplog.set_level(logging.INFO)
    caplog.clear()
    client.post(url, data, **headers)
    records = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert len(records) == 1, [(r.name, r.levelname, r.getMessage()) for r in records]
    (record,) = records
    assert record.levelno in (logging.INFO, logging.WARNING)
    message = record.getMessage()
    assert "priya" in message and url in message and REASON in message
    assert "\n" not in message
    assert not record.exc_info and not record.exc_text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
