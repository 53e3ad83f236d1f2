"""Everything about one release on the release page's stages, in real Chromium under the strict
CSP: the Go/No-Go and smoke panels (polling their own endpoints), the timed actions, the delivery
log and the timeline; and the dashboard's Go/No-Go panel for the current release."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from releasehub.releases.models import Release
from tests.browser.helpers import end_live_releases

pytestmark = [pytest.mark.clock, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _next_release() -> Release:
    return (
        Release.objects.filter(
            kind=Release.Kind.REGULAR,
            status__in=Release.OPEN_STATUSES,
            window_start__gt=timezone.now(),
        )
        .order_by("window_start")
        .first()
    )


def test_the_rm_sees_readiness_timed_actions_and_the_timeline_on_the_release_page(page, demo_data):
    end_live_releases()
    page.login("asha")
    release = _next_release()
    # The dashboard shows the current release's Go/No-Go panel.
    expect(page.locator(f"#go-no-go-{release.code}")).to_contain_text(
        f"Go/No-Go · {release.version}"
    )

    rail = page.get_by_role("navigation", name="Release stages")
    # Stages the rail swaps in; each section is on its stage.
    page.goto(f"/releases/{release.code}/stages/release-day/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(release.version)
    expect(page.locator(f"#smoke-status-{release.code}")).to_contain_text("Release smoke checklist")
    rail.get_by_role("link", name=re.compile("^Watch")).click()
    expect(page.locator("#timed-actions")).to_contain_text("Code freeze starts")
    expect(page.locator("#timed-actions")).to_contain_text("Go/No-Go reminder (09:00 IST)")
    rail.get_by_role("link", name=re.compile("^Wrap-up")).click()
    expect(page.locator("#delivery-log")).to_be_visible()
    rail.get_by_role("link", name=re.compile(r"^Go\/No-Go")).click()
    panel = page.locator(f"#go-no-go-{release.code}")
    expect(panel).to_contain_text(re.compile(r"\d+ of \d+ signed Go"))
    expect(panel.locator("[data-time-left]")).to_have_text(re.compile(r"\d\d:\d\d:\d\d$"))
    # The panel polls its own endpoint without breaking the CSP (the fixture fails on any error).
    with page.expect_response(lambda r: "/go-no-go/panel/" in r.url, timeout=10_000):
        pass
    expect(page.locator(f"#go-no-go-{release.code}")).to_be_visible()
    assert page.errors == []

    page.get_by_role("link", name="The whole timeline").click()
    expect(page.locator("#timeline-page")).to_contain_text("planned")
    page.go_back()
    page.get_by_role("link", name="Checklists and Go/No-Go").first.click()
    expect(page.get_by_role("heading", name=f"Readiness of {release.version}")).to_be_visible()


def test_sre_reaches_the_timed_actions_page_from_the_nav(page, demo_data):
    page.login("kiran")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Timed actions").click()
    expect(page.page).to_have_url(re.compile(r"/timed-actions/$"))
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Timed actions")).to_have_attribute("aria-current", "page")
