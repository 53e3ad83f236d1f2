"""A squad rep works on the release page's scope under the strict CSP: adding a ticket or a risk
leaves no console error, and a refused action is a message in its section, with the page, its
navigation and what the rep typed still there."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from releasehub.accounts.models import Role
from releasehub.releases.models import ScopeTicket
from tests.factories import ReleaseFactory, readiness_reference_data, squad, user_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A Wednesday 10:00 IST far from any instant the suite runs at: never frozen, never due.
WINDOW = dt.datetime(2030, 1, 2, 4, 30, tzinfo=dt.UTC)
FORBIDDEN = "Failed to load resource: the server responded with a status of 403 (Forbidden)"

# Browsers and extensions give fields style attributes through the CSSOM, which the CSP allows: a
# password manager's or grammar checker's decoration, a textarea the person resized. Swapping a
# section must not copy them back with setAttribute, which the CSP refuses.
DECORATE_FIELDS = """selector => document.querySelectorAll(selector).forEach(field => {
  field.style.outlineOffset = "1px";
})"""


@pytest.fixture
def release():
    readiness_reference_data()
    user_with(Role.SQUAD_REP, "patient", username="priya")
    return ReleaseFactory(window_start=WINDOW, window_end=WINDOW + dt.timedelta(hours=2))


def _open_form(page, release, section_id: str, summary: str):
    """The Patient squad's rep on the release page, with one section's add form open."""
    page.login("priya")
    page.goto(f"/releases/{release.code}/")
    section = page.locator(f"#{section_id}")
    section.get_by_text(summary).click()
    return section


def _start_a_ticket(page, release, key: str, title: str):
    section = _open_form(page, release, "scope-tickets", "Add a ticket")
    section.get_by_label("Ticket key").fill(key)
    section.get_by_label("Title").fill(title)
    return section


def test_a_rep_adds_a_ticket_for_their_squad_with_no_console_error(page, release):
    section = _start_a_ticket(page, release, "PAT-321", "Reschedule from the reminder e-mail")
    section.get_by_label("Payments").check()
    page.evaluate(DECORATE_FIELDS, "#scope-tickets [id]")
    section.get_by_role("button", name="Add ticket").click()
    ticket = page.locator("#ticket-PAT-321")
    expect(ticket).to_contain_text("Reschedule from the reminder e-mail")
    expect(ticket).to_contain_text("Patient")
    expect(ticket).to_contain_text("Payments")
    expect(page.locator("#timeline")).to_contain_text("PAT-321 added")
    assert page.errors == []


def test_a_rep_resizes_the_risk_field_and_adds_a_risk_with_no_console_error(page, release):
    section = _open_form(page, release, "risks", "Add a risk")
    field = section.get_by_label("Known risk")
    field.fill("Reminder e-mails may go out twice during the switch")
    # Drag the textarea's corner, as a person making room to write does.
    box = field.bounding_box()
    page.mouse.move(box["x"] + box["width"] - 3, box["y"] + box["height"] - 3)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] + 40, box["y"] + box["height"] + 60, steps=5)
    page.mouse.up()
    expect(field).to_have_attribute("style", re.compile("height"))
    section.get_by_role("button", name="Add risk").click()
    expect(page.locator("#risks")).to_contain_text("Reminder e-mails may go out twice")
    assert page.errors == []


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_a_refused_ticket_is_a_message_in_its_section_and_the_form_keeps_its_input(
    page, release, settings, debug
):
    # DEBUG is how `make run` serves the page: django-htmx then adds its error-page helper.
    settings.DEBUG = debug
    doctor = squad("doctor")
    section = _start_a_ticket(page, release, "DOC-404", "Not my squad's change")
    # The select offers the rep's own squad only; forge it, as a hand-made request would.
    page.evaluate(
        "([pk]) => { document.querySelector('#ticket-squad').selectedOptions[0].value = pk; }",
        [str(doctor.pk)],
    )
    with page.expect_console_message(lambda message: message.text == FORBIDDEN):
        section.get_by_role("button", name="Add ticket").click()
    expect(section.get_by_role("alert")).to_contain_text(
        "Squad reps add tickets for their own squad only."
    )
    expect(section.get_by_role("alert")).to_contain_text("Nothing was changed")
    expect(section.get_by_label("Ticket key")).to_have_value("DOC-404")
    expect(section.get_by_label("Title")).to_have_value("Not my squad's change")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.locator("#release-title")).to_be_visible()
    assert not ScopeTicket.objects.exists()
    # The browser reports the 403 itself; nothing else may reach the console.
    assert page.errors == [FORBIDDEN]
    page.errors.clear()
