"""The RM moves through the release page's stages by URL and by the rail (only the stage is
swapped, the URL is pushed, the back button returns), decides a freeze exception inside a stage
with no console error, and the page is photographed for docs/ at desk and phone sizes."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from releasehub.releases.models import Release
from releasehub.releases.services.freeze import freeze_exception_request
from releasehub.releases.services.lifecycle import release_freeze
from tests.browser.helpers import end_live_releases

pytestmark = [pytest.mark.clock, pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DOCS = Path(__file__).resolve().parents[2] / "docs"


def _stage_link(page, name: str):
    rail = page.get_by_role("navigation", name="Release stages")
    return rail.get_by_role("link", name=re.compile(rf"^{re.escape(name).replace('/', r'\/')}\b"))


def _open_stage(page):
    return page.get_by_role("navigation", name="Release stages").locator('[aria-current="step"]')


def test_the_rm_moves_through_the_stages_and_decides_an_exception(page, demo_data):
    end_live_releases()
    release = (
        Release.objects.filter(status="planned", kind="regular").order_by("window_start").first()
    )
    release_freeze(release=release)
    freeze_exception_request(
        release=release,
        actor=demo_data["priya"],
        items="PAT-777",
        reason="Card payments fail for one bank",
        risk="Low: one error mapping",
        rollback_note="Redeploy payments",
    )
    page.set_viewport_size({"width": 1280, "height": 900})
    page.login("asha")
    base = f"/releases/{release.code}"

    # By URL: each stage is a page of its own.
    page.goto(f"{base}/stages/readiness/")
    expect(_open_stage(page)).to_contain_text("Readiness")
    expect(page.locator("#rollback-plans")).to_be_visible()
    expect(page.locator("#scope-tickets")).to_have_count(0)

    # By the rail: only the stage is swapped (the window survives), and the URL is pushed.
    page.evaluate("window.stillThisDocument = true")
    freeze = _stage_link(page, "Freeze")
    pending = release.exceptions.filter(decision__isnull=True).count()  # the demo's and ours
    expect(freeze).to_contain_text(f"{pending} need")  # the badge's accessible text: "2 need you"
    freeze.click()
    expect(page.page).to_have_url(re.compile(rf"{base}/stages/freeze/$"))
    expect(_open_stage(page)).to_contain_text("Freeze")
    expect(page.locator("#freeze-exceptions")).to_contain_text("PAT-777")
    expect(page.locator("#rollback-plans")).to_have_count(0)
    expect(page.page).to_have_title(re.compile(rf"^Freeze · {re.escape(release.version)}"))
    _stage_link(page, "Watch").click()
    expect(page.page).to_have_url(re.compile(rf"{base}/stages/watch/$"))
    expect(page.locator("#timed-actions")).to_contain_text("Code freeze starts")
    assert page.evaluate("window.stillThisDocument") is True

    # The back button returns to the stages it came through.
    page.go_back()
    expect(page.page).to_have_url(re.compile(rf"{base}/stages/freeze/$"))
    expect(_open_stage(page)).to_contain_text("Freeze")
    expect(page.locator("#freeze-exceptions")).to_contain_text("PAT-777")

    # An action inside the stage: its section and the freeze banner refresh in place.
    exception = page.locator("article.exception", has_text="PAT-777")
    exception.get_by_label("Comment").fill("Approved: customers are failing to pay")
    exception.get_by_role("button", name="Approve").click()
    expect(page.locator("#freeze-exceptions")).to_contain_text("Approved by Asha Rao")
    banner = page.locator("#freeze-banner")
    if pending > 1:  # the demo's own pending request stays
        expect(banner).to_contain_text(
            f"{pending - 1} exception{'s' if pending > 2 else ''} pending"
        )
    else:
        expect(banner).not_to_contain_text("pending")
    expect(page.locator("#timeline")).to_contain_text("PAT-777")
    expect(_stage_link(page, "Freeze")).to_contain_text(
        f"{pending - 1} need" if pending > 1 else "Freeze"
    )
    assert page.errors == []

    # The whole timeline is one click away.
    page.get_by_role("link", name="The whole timeline").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Timeline of {release.version}")
    page.go_back()
    expect(_open_stage(page)).to_contain_text("Freeze")

    page.goto(f"{base}/")
    expect(_open_stage(page)).to_be_visible()
    page.screenshot(path=str(DOCS / "release-page.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/stages/freeze/")
    expect(page.locator("#freeze-exceptions")).to_be_visible()
    # The phone shot shows the rail and the stage below the header.
    page.evaluate("document.getElementById('release-stage').scrollIntoView()")
    page.screenshot(path=str(DOCS / "release-page-390.png"))
    assert page.errors == []
