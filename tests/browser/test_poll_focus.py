"""A poll that brings new content does not take focus away, and each live section has one
polite live region that reads its status line when it changes (#19 items 1 and 2)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from releasehub.rollout.services.promotion import (
    service_health_record,
    service_step_record,
    service_window_cut_short,
)
from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction
from tests.factories import readiness_cast, rollout_release, service

pytestmark = [pytest.mark.clock, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GRAFANA = "https://grafana.example.com/d/identity"
FOCUSED = "() => { const a = document.activeElement; return a && a.outerHTML.slice(0, 200); }"


def _poll_once(page, section: str) -> None:
    """Move the page's clock one interval and wait until the section was swapped for a newer
    version (the server had something new: the test wrote it before)."""
    before = page.locator(section).get_attribute("data-live-since")
    page.clock.run_for(2_500)
    page.wait_for_function(
        "([sel, v]) => { const el = document.querySelector(sel);"
        " return el && el.getAttribute('data-live-since') !== v; }",
        arg=[section, before],
        polling=50,
    )


def _identity_promoted(release, sre) -> None:
    identity = service("identity")
    for kind, passed in [
        ("staging_deployed", None),
        ("staging_smoke", True),
        ("promotion_started", None),
        ("promotion_finished", None),
    ]:
        service_step_record(release=release, service=identity, kind=kind, actor=sre, passed=passed)
    service_health_record(
        release=release,
        service=identity,
        actor=sre,
        healthy=True,
        p95_ms=180,
        error_rate=Decimal("0.1"),
        link=GRAFANA,
    )


def test_focus_stays_on_a_board_link_across_polls_and_the_status_is_announced(page, settings):
    settings.LIVE_POLL_SECONDS = {**settings.LIVE_POLL_SECONDS, "board": 2}
    cast = readiness_cast()
    sre = cast["kiran"]
    release = rollout_release(["identity", "providers"])
    _identity_promoted(release, sre)
    page.login(sre.username)
    page.goto(f"/releases/{release.code}/rollout/")
    region = page.locator('[data-live-region-for="board-status"]')
    assert region.get_attribute("role") == "status"
    assert region.get_attribute("aria-live") == "polite"
    link = page.locator(f'#board-status a[href="{GRAFANA}"]')
    link.focus()
    page.clock.pause_at(page.evaluate("Date.now()") + 300)

    for kind, passed in [("staging_deployed", None), ("staging_smoke", True)]:
        before = page.locator("#board-status").inner_text()
        service_step_record(
            release=release, service=service("providers"), kind=kind, actor=sre, passed=passed
        )
        _poll_once(page, "#board-status")
        assert page.locator("#board-status").inner_text() != before
        assert link.evaluate("el => el === document.activeElement"), page.evaluate(FOCUSED)

    service_window_cut_short(
        release=release, service=service("identity"), actor=sre, reason="Healthy for 10 minutes"
    )
    _poll_once(page, "#board-status")
    assert link.evaluate("el => el === document.activeElement"), page.evaluate(FOCUSED)
    # The region sits outside the swapped section: the same element, its text the new line.
    assert "monitoring window of Identity closed" in region.text_content()
    assert page.locator('[data-live-region-for="board-status"]').count() == 1
    page.clock.resume()  # the accessibility check at teardown runs on the page's timers


def test_focus_stays_on_retry_and_on_a_release_link_on_timed_actions(page, settings):
    settings.LIVE_POLL_SECONDS = {**settings.LIVE_POLL_SECONDS, "timed_actions": 2}
    cast = readiness_cast()
    release = rollout_release(["identity"])
    failed = ScheduledAction.objects.filter(release=release).order_by("due_at").first()
    ScheduledAction.objects.filter(pk=failed.pk).update(
        status=ActionStatus.FAILED, finished_at=timezone.now(), note="SMTP down"
    )
    page.login(cast["kiran"].username)
    page.goto("/timed-actions/")
    row = page.locator(f"#action-{failed.code}")
    targets = [row.get_by_role("button", name="Retry"), row.get_by_role("link")]
    page.clock.pause_at(page.evaluate("Date.now()") + 300)

    for n, target in enumerate(targets * 2):
        target.focus()
        # Something new on the page each time: another upcoming probe, one more failure.
        ScheduledAction.objects.create(
            kind=ActionKind.PROBE, due_at=timezone.now() + dt.timedelta(hours=n + 1)
        )
        _poll_once(page, "#timed-actions")
        assert target.evaluate("el => el === document.activeElement"), page.evaluate(FOCUSED)
    assert "failed" in page.locator('[data-live-region-for="timed-actions"]').get_attribute(
        "data-said"
    )
    page.clock.resume()
