"""Go/No-Go and QA smoke in real Chromium, several people at once, no page reloads."""

import re

import pytest
from playwright.sync_api import expect

from releasehub.audit.timeline import record_event
from releasehub.readiness.models import SignOff
from releasehub.releases.models import Release
from tests.factories import readiness_cast, readiness_release

pytestmark = [pytest.mark.clock, pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LIVE = 10_000  # the panels poll every 3 s


def open_readiness(new_page, username, release):
    page = new_page()
    page.login(username)
    page.goto(f"/releases/{release.code}/go-no-go/")
    page.get_by_role("heading", name=f"Readiness of {release.version}").wait_for()
    return page


def mark_no_reload(page):
    page.evaluate("window.__noReload = true")


def assert_not_reloaded(page):
    assert page.evaluate("window.__noReload") is True


def slot_row(page, label):
    return page.locator("[data-go-no-go-panel] tbody tr").filter(
        has=page.get_by_role("rowheader", name=label, exact=True)
    )


def sign(page, decision="Go", comment=""):
    form = page.locator("[data-form=sign]")
    form.get_by_label(decision, exact=True).check()
    if comment:
        form.get_by_label("Comment (required for No-Go)").fill(comment)
    form.get_by_role("button", name="Record sign-off").click()
    expect(page.locator("#go-no-go-actions .message.success")).to_be_visible()


def test_reps_and_sre_sign_in_turn_while_the_rm_page_updates(new_page):
    readiness_cast()
    release = readiness_release()
    rm = open_readiness(new_page, "asha", release)
    mark_no_reload(rm)
    expect(rm.locator("[data-summary]")).to_contain_text("0 of 5 signed Go")
    expect(rm.locator("[data-time-left]")).to_have_text(re.compile(r"^(\d+d )?\d\d:\d\d:\d\d$"))
    for username, label in [
        ("priya", "Patient"),
        ("rahul", "Doctor"),
        ("sana", "Admin"),
        ("dev", "Shared Services"),
        ("kiran", "SRE"),
    ]:
        expect(slot_row(rm, label)).to_have_attribute("data-status", "missing")
        signer = open_readiness(new_page, username, release)
        sign(signer)
        expect(slot_row(rm, label)).to_have_attribute("data-status", "go", timeout=LIVE)
    expect(rm.locator("[data-summary]")).to_contain_text("5 of 5 signed Go", timeout=LIVE)
    assert_not_reloaded(rm)
    assert {s.actor.username for s in SignOff.objects.select_related("actor")} == {
        "priya",
        "rahul",
        "sana",
        "dev",
        "kiran",
    }


def test_a_no_go_blocks_the_rms_go_until_overridden_with_a_reason(new_page):
    readiness_cast()
    release = readiness_release()
    rm = open_readiness(new_page, "asha", release)
    sre = open_readiness(new_page, "kiran", release)
    sign(sre, "No-Go", comment="Terraform plan not applied to prod")
    expect(slot_row(rm, "SRE")).to_have_attribute("data-status", "no_go", timeout=LIVE)

    decide = rm.locator("[data-form=decide]")
    decide.get_by_label("Go", exact=True).check()
    decide.get_by_role("button", name="Record decision").click()
    alert = rm.locator("#go-no-go-actions [role=alert]")
    expect(alert).to_contain_text("Not ready for Go")
    expect(alert).to_contain_text("No-Go from SRE")
    assert Release.objects.get(pk=release.pk).status == Release.Status.PLANNED

    decide = rm.locator("[data-form=decide]")
    decide.get_by_label("Override reason").fill("Plan applied by hand; CTO accepted the risk")
    decide.get_by_role("button", name="Record decision").click()
    expect(rm.locator("#go-no-go-actions .message.success")).to_contain_text("Go")
    expect(rm.locator("[data-decision]")).to_contain_text("override", timeout=LIVE)
    assert Release.objects.get(pk=release.pk).status == Release.Status.GO


def test_a_scope_change_makes_sign_offs_stale(new_page):
    readiness_cast()
    release = readiness_release()
    rm = open_readiness(new_page, "asha", release)
    mark_no_reload(rm)
    priya = open_readiness(new_page, "priya", release)
    sign(priya)
    expect(slot_row(rm, "Patient")).to_have_attribute("data-status", "go", timeout=LIVE)

    record_event(verb="scope.ticket_added", target=release, release=release, summary="PAT-42")
    expect(slot_row(rm, "Patient")).to_have_attribute("data-status", "stale", timeout=LIVE)
    expect(rm.locator("[data-summary]")).to_contain_text("1 stale")

    sign(priya)
    expect(slot_row(rm, "Patient")).to_have_attribute("data-status", "go", timeout=LIVE)
    assert_not_reloaded(rm)


def test_qa_logs_a_failed_smoke_item_and_the_rm_sees_it(new_page):
    readiness_cast()
    release = readiness_release(status=Release.Status.VERIFYING)
    rm = open_readiness(new_page, "asha", release)
    mark_no_reload(rm)
    expect(rm.locator("[data-smoke-failure]")).to_have_count(0)

    qa = open_readiness(new_page, "neha", release)
    form = qa.locator("[data-form=smoke]")
    form.get_by_label("Check").select_option(label="Booking flow")
    form.get_by_label("Fail", exact=True).check()
    form.get_by_label("Notes (required for a failure)").fill("Confirm button returns 500")
    form.get_by_role("button", name="Log smoke result").click()
    expect(qa.locator("#smoke .message.success")).to_contain_text("Booking flow: Fail")

    failure = rm.locator("[data-smoke-failure]")
    expect(failure).to_be_visible(timeout=LIVE)
    expect(failure).to_contain_text("Booking flow")
    expect(failure).to_contain_text("Confirm button returns 500")
    expect(failure).to_contain_text("Roll back")
    expect(failure).to_contain_text("Hotfix")
    assert_not_reloaded(rm)
