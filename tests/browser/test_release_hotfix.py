"""A squad rep requests a hotfix for the services and apps it affects; another person (the RM)
approves it; it is deployed and its follow-ups are confirmed up to the back-merge; the dashboard
and calendar show it."""

import re

import pytest
from playwright.sync_api import expect

from releasehub.releases.models import Hotfix, Release

pytestmark = [pytest.mark.clock, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_hotfix_is_requested_approved_deployed_and_back_merged(new_page, demo_data):
    last_tag = Release.objects.filter(status="completed").order_by("-completed_at").first().version
    rep = new_page()
    rep.login("rahul")
    rep.get_by_role("link", name="Releases").click()
    rep.get_by_role("link", name="Request a hotfix").click()
    assert rep.get_by_label("Production tag").input_value() == last_tag
    rep.get_by_label("Hotfix branch").fill("hotfix/slot-search-timeout")
    rep.get_by_label("Problem").fill("Slot search times out for large clinics")
    rep.get_by_role("checkbox", name="Providers").check()
    rep.get_by_role("checkbox", name="Doctor web").check()
    rep.get_by_label("Incident link").fill("https://incidents.example.com/INC-3001")
    rep.get_by_label("Risk assessment").fill("Low: an index hint only")
    rep.get_by_label("Targeted tests run").fill("Provider search suite")
    rep.get_by_label("Supervising SRE").select_option(label="Kiran Reddy")
    rep.get_by_role("button", name="Request hotfix").click()
    expect(rep.locator("#hotfix")).to_contain_text("Waiting for RM approval")
    expect(rep.locator("#hotfix")).not_to_contain_text("Approve hotfix")
    affects = rep.locator("#hotfix dl > div").filter(has=rep.locator("dt", has_text="Affects"))
    expect(affects.locator("dd")).to_have_text("Providers and Doctor web")
    expect(rep.locator("#timeline")).to_contain_text("affects Providers and Doctor web")
    hotfix = Hotfix.objects.get(branch="hotfix/slot-search-timeout")
    assert hotfix.production_tag == last_tag
    assert [c.slug for c in hotfix.components] == ["providers", "doctor-web"]
    url = rep.url

    rm = new_page()
    rm.login("asha")
    expect(rm.get_by_role("heading", name="Waiting for your approval")).to_be_visible()
    expect(rm.locator("#dashboard-live")).to_contain_text("Hotfix: Slot search times out")
    rm.goto(url)
    rm.locator("#hotfix").get_by_label("Comment").fill("Approved; Kiran supervises")
    rm.get_by_role("button", name="Approve hotfix").click()
    expect(rm.locator("#hotfix")).to_contain_text("Approved by Asha Rao")
    expect(rm.locator("#timeline")).to_contain_text("approved")

    for status in ("Deploying", "Verifying"):
        rm.get_by_text("Change status").first.click()
        rm.get_by_label("Status").select_option(label=status)
        rm.get_by_role("button", name="Change status").click()
        expect(rm.locator("#release-header .status")).to_have_text(status)

    sre = new_page()
    sre.login("kiran")
    sre.goto(url)
    for label in ("Changelog updated", "Incident ticket updated", "Back-merged into main"):
        sre.get_by_role("button", name=f"Confirm: {label}").click()
        expect(sre.locator("#hotfix")).to_contain_text(re.compile(f"{label} — Kiran Reddy"))
    assert hotfix.follow_ups.count() == 3

    sre.goto(f"/calendar/?month={hotfix.release.window_start:%Y-%m}")
    expect(sre.locator("table.month")).to_contain_text(f"Hotfix {hotfix.release.version} window")
