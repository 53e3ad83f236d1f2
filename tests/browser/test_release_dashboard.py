import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from releasehub.releases.models import Release
from releasehub.releases.services.lifecycle import release_transition
from tests.browser.helpers import end_live_releases

pytestmark = [pytest.mark.clock, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_dashboard_counts_down_in_ist_and_polls_only_while_live(page, demo_data, settings):
    settings.LIVE_POLL_SECONDS = {**settings.LIVE_POLL_SECONDS, "dashboard": 2}
    end_live_releases()
    page.login("asha")
    countdown = page.locator("#dashboard-live [data-countdown-to]").first
    expect(countdown).to_have_text(re.compile(r"^(\d+d )?\d\d:\d\d:\d\d$"))
    expect(page.locator("#dashboard-live")).to_have_attribute("data-live", "false")
    assert page.locator("#dashboard-live").get_attribute("hx-trigger") is None
    expect(page.locator("#dashboard-live")).to_contain_text("No rollback plan for Messaging")

    release = Release.objects.filter(status="planned").order_by("window_start").first()
    release_transition(release=release, to=Release.Status.GO, actor=None)
    page.reload()
    live = page.locator("#dashboard-live")
    expect(live).to_have_attribute("hx-trigger", re.compile(r"^every 2s,"))
    # When the release leaves the live statuses, the next poll swaps polling off.
    release_transition(
        release=release, to=Release.Status.NO_GO, actor=None, reason="Payments not ready"
    )
    with page.expect_response(
        # The dashboard's own poll (the Go/No-Go and smoke panels poll their own paths).
        lambda r: r.request.headers.get("hx-request") == "true" and urlparse(r.url).path == "/",
        timeout=10_000,
    ):
        pass
    expect(live).to_have_attribute("data-live", "false")
    expect(page.locator("#dashboard-live .status").first).to_have_text("No-Go")
