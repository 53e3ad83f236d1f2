"""The RM plans the next train release, adds scope and a rollback plan; after the freeze a squad
rep asks for an exception, the RM approves it, and the calendar shows the release."""

import re

import pytest
from playwright.sync_api import expect

from releasehub.releases.models import Release
from releasehub.releases.services.lifecycle import release_freeze

pytestmark = [pytest.mark.clock, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _stage(page, name: str):
    """A link of the release page's stage rail (its name starts with the stage's)."""
    rail = page.get_by_role("navigation", name="Release stages")
    return rail.get_by_role("link", name=re.compile(rf"^{re.escape(name).replace('/', r'\/')}\b"))


def test_rm_plans_scope_and_approves_a_freeze_exception(new_page, demo_data):
    rm = new_page()
    rm.login("asha")
    rm.get_by_role("link", name="Releases").click()
    rm.get_by_role("link", name=re.compile("Plan the next release")).click()
    version = rm.get_by_label("Version").input_value()
    assert re.fullmatch(r"\d{4}\.\d{2}\.\d{2}", version)
    rm.get_by_role("button", name="Plan release").click()
    expect(rm.get_by_role("heading", level=1)).to_contain_text(version)
    release = Release.objects.get(version=version)
    assert release.train_date.weekday() == 2  # a Wednesday train date
    _stage(rm, "Scope").click()
    expect(rm.page).to_have_url(re.compile(r"/stages/scope/$"))
    page_url = rm.url

    # Scope, added in place by htmx: the URL stays; the Readiness stage learns of Payments.
    rm.get_by_text("Add a ticket").click()
    rm.get_by_label("Ticket key").fill("PAT-500")
    rm.get_by_label("Title").fill("Split payments")
    rm.get_by_label("Squad").select_option(label="Patient")
    rm.locator("#scope-tickets").get_by_label("Payments").check()
    rm.get_by_role("button", name="Add ticket").click()
    expect(rm.locator("#ticket-PAT-500")).to_contain_text("Split payments")
    expect(rm.locator("#timeline")).to_contain_text("PAT-500 added")
    assert rm.url == page_url
    _stage(rm, "Readiness").click()
    expect(rm.locator("#rollback-plans")).to_contain_text("Still without a rollback plan: Payments")

    rm.locator("#plan-strategy").select_option(label="Redeploy previous container version")
    rm.get_by_label("Previous version or flag").fill("payments:2026.11.18")
    rm.get_by_label("Steps").fill("Redeploy the previous image.")
    rm.get_by_role("button", name="Save plan").click()
    expect(rm.locator("#rollback-plans")).to_contain_text(
        "Every changed service and app has a plan"
    )

    # Monday 18:00 IST: the engine freezes the release (here its test helper does).
    release_freeze(release=release)

    rep = new_page()
    rep.login("priya")
    rep.goto(page_url)
    expect(rep.locator("#freeze-banner")).to_contain_text("Code freeze")
    _stage(rep, "Freeze").click()
    exceptions = rep.locator("#freeze-exceptions")
    exceptions.get_by_text("Request a freeze exception").click()
    exceptions.get_by_label("Items").fill("PAT-501")
    exceptions.get_by_label("Reason").fill("Card payments fail for one bank")
    exceptions.get_by_label("Risk").fill("Low: one error mapping")
    exceptions.get_by_label("Rollback note").fill("Redeploy payments:2026.11.18")
    exceptions.get_by_role("button", name="Request exception").click()
    expect(rep.locator("#freeze-exceptions")).to_contain_text("Pending")
    expect(rep.locator("#freeze-banner")).to_contain_text("1 exception pending")

    rm.goto("/")
    expect(rm.get_by_role("heading", name="Waiting for your approval")).to_be_visible()
    rm.get_by_role("link", name=version).first.click()
    expect(_stage(rm, "Freeze")).to_contain_text("1 needs you")
    _stage(rm, "Freeze").click()
    exception = rm.locator("article.exception", has_text="PAT-501")
    exception.get_by_label("Comment").fill("Approved: customers are failing to pay")
    exception.get_by_role("button", name="Approve").click()
    expect(rm.locator("#freeze-exceptions")).to_contain_text("Approved by Asha Rao")
    expect(rm.locator("#freeze-banner")).not_to_contain_text("pending")

    rep.reload()
    _stage(rep, "Scope").click()
    rep.get_by_text("Add a ticket").click()
    rep.get_by_label("Ticket key").fill("PAT-501")
    rep.get_by_label("Title").fill("Bank error mapping")
    rep.get_by_role("button", name="Add ticket").click()
    expect(rep.locator("#ticket-PAT-501")).to_contain_text("freeze exception")

    rm.goto(f"/calendar/?month={release.window_start:%Y-%m}")
    expect(rm.locator("table.month")).to_contain_text(f"Go/No-Go {version}")
    expect(rm.locator("table.month")).to_contain_text(f"{version} window")


def test_a_rep_sees_the_freeze_refusal_on_the_form(page, demo_data):
    release = (
        Release.objects.filter(status="planned", kind="regular").order_by("window_start").first()
    )
    release_freeze(release=release)
    page.login("rahul")
    page.goto(f"/releases/{release.code}/?section=scope-tickets")
    page.get_by_text("Add a ticket").click()
    page.get_by_label("Ticket key").fill("DOC-999")
    page.get_by_label("Title").fill("Late change")
    page.get_by_role("button", name="Add ticket").click()
    expect(page.locator("#scope-tickets")).to_contain_text("approved freeze exception")
    assert not release.tickets.filter(key="DOC-999").exists()


def test_the_calendar_is_a_list_on_a_narrow_screen(page, demo_data):
    page.set_viewport_size({"width": 390, "height": 800})
    page.login("arjun")
    page.get_by_role("link", name="Calendar").click()
    expect(page.locator("table.month")).to_be_hidden()
    expect(page.locator("ol.month-list")).to_be_visible()
    page.locator("a[rel=next]").click()
    expect(page.locator("ol.month-list")).to_be_visible()
