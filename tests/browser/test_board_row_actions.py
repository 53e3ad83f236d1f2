"""The release-day board's row actions in real Chromium: the SRE promotes every service and app
with the one button each row offers, while the RM's board follows on its own; one promotion is
done with the keyboard alone, and focus lands on the row's outcome after each step."""

import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.test_rollout_release_day import close_window
from tests.factories import readiness_cast, rollout_release
from tests.rollout.conftest import ALL_APPS, ALL_SERVICES

pytestmark = [pytest.mark.clock, pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DOCS = Path(__file__).resolve().parents[2] / "docs"


def open_board(new_page, username, release, *, size=None):
    page = new_page()
    if size:
        page.set_viewport_size(size)
    page.login(username)
    page.goto(f"/releases/{release.code}/rollout/")
    page.get_by_role("heading", name=f"Release day: {release.version}").wait_for()
    return page


def key(slug: str) -> str:
    return f"app-{slug}" if slug in ALL_APPS else f"service-{slug}"


def row_step(page, slug: str, button: str, notice: str, **fill: str) -> None:
    """Fill the row's inline inputs by label, press its button, and wait for the row's outcome,
    which is where focus lands."""
    row = page.locator(f"#row-{key(slug)}")
    for label, value in fill.items():
        row.get_by_label(label, exact=True).fill(value)
    row.get_by_role("button", name=button, exact=True).click()
    feedback = page.locator(f"#feedback-{key(slug)}")
    expect(feedback).to_contain_text(notice)
    expect(feedback).to_be_focused()


def is_focused(locator) -> bool:
    return locator.evaluate("el => el === document.activeElement")


def tab_to(page, locator, *, limit: int = 80) -> int:
    """Press Tab until `locator` has focus; the number of presses."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if is_focused(locator):
            return presses
    raise AssertionError(f"{locator} not reached in {limit} Tabs")


def promote_by_mouse(sre, watcher, clock, release, slug: str, *, close: bool = True) -> None:
    name = slug.capitalize()
    row_step(sre, slug, f"Deploy {name} to staging", "Deployed to staging recorded")
    row_step(sre, slug, "Record staging smoke: passed", "Staging smoke test recorded")
    row_step(sre, slug, f"Start promotion of {name}", "Production promotion started recorded")
    expect(watcher.locator(f"#row-{key(slug)}")).to_have_attribute(
        "data-state", "production promotion started"
    )
    row_step(sre, slug, f"Finish promotion of {name}", "Production promotion finished recorded")
    row_step(
        sre,
        slug,
        "Record monitoring: healthy",
        "healthy recorded",
        **{"p95 (ms)": "180", "Error rate (%)": "0.2"},
    )
    expect(watcher.locator(f"#row-{key(slug)}")).to_have_attribute("data-state", "monitoring")
    if close:
        close_window(clock, release, slug)
        expect(watcher.locator(f"#row-{key(slug)}")).to_have_attribute("data-state", "done")


def promote_by_keyboard(sre, watcher, clock, release, slug: str) -> None:
    """Each step: Tab to the row's button (from wherever focus is), Enter, focus on the outcome."""
    name, row = slug.capitalize(), sre.locator(f"#row-{key(slug)}")
    feedback = sre.locator(f"#feedback-{key(slug)}")
    for button, notice, typed in [
        (f"Deploy {name} to staging", "Deployed to staging recorded", {}),
        ("Record staging smoke: passed", "Staging smoke test recorded", {}),
        (f"Start promotion of {name}", "Production promotion started recorded", {}),
        (f"Finish promotion of {name}", "Production promotion finished recorded", {}),
        (
            "Record monitoring: healthy",
            "healthy recorded",
            {"p95 (ms)": "150", "Error rate (%)": "0.1"},
        ),
    ]:
        for label, value in typed.items():
            tab_to(sre, row.get_by_label(label, exact=True))
            sre.keyboard.type(value)
        tab_to(sre, row.get_by_role("button", name=button, exact=True))
        sre.keyboard.press("Enter")
        expect(feedback).to_contain_text(notice)
        expect(feedback).to_be_focused()
    expect(watcher.locator(f"#row-{key(slug)}")).to_have_attribute("data-state", "monitoring")
    close_window(clock, release, slug)
    expect(watcher.locator(f"#row-{key(slug)}")).to_have_attribute("data-state", "done")


def roll_out(sre, watcher, slug: str, name: str) -> None:
    row_step(
        sre,
        slug,
        f"Trigger build of {name}",
        "Build triggered recorded",
        **{"Build id": f"{slug}-812"},
    )
    row_step(sre, slug, f"Start canary of {name}", "Canary started recorded", **{"Canary %": "10"})
    expect(watcher.locator(f"#row-{key(slug)}")).to_have_attribute("data-state", "canary started")
    row_step(sre, slug, f"Validate canary of {name}", "Canary validated recorded")
    row_step(sre, slug, f"Full rollout of {name}", "Full rollout recorded")
    expect(watcher.locator(f"#row-{key(slug)}")).to_have_attribute("data-state", "done")


def test_the_sre_promotes_everything_with_row_actions_while_the_rm_watches(
    new_page, settings, fixed_clock
):
    settings.LIVE_POLL_SECONDS = {**settings.LIVE_POLL_SECONDS, "board": 1}  # same process
    readiness_cast()
    release = rollout_release(ALL_SERVICES, ALL_APPS)
    watcher = open_board(new_page, "asha", release)
    watcher.evaluate("window.__noReload = true")
    sre = open_board(new_page, "kiran", release, size={"width": 1280, "height": 900})

    # The gates are on the rows, disabled, with the server's reason.
    row_step(
        sre,
        "patient-web",
        "Trigger build of Patient web",
        "Build triggered recorded",
        **{"Build id": "pw-1"},
    )
    canary = sre.locator("#row-app-patient-web").get_by_role(
        "button", name="Start canary of Patient web"
    )
    expect(canary).to_have_attribute("aria-disabled", "true")
    expect(sre.locator("#why-app-patient-web")).to_contain_text(
        "Backend services not done: Identity"
    )

    for slug in ALL_SERVICES[:2]:
        promote_by_mouse(sre, watcher, fixed_clock, release, slug)
    # Mid-day: Appointments is in its monitoring window; Payments, staged, waits for it to close,
    # which its row counts down.
    promote_by_mouse(sre, watcher, fixed_clock, release, "appointments", close=False)
    row_step(sre, "payments", "Deploy Payments to staging", "Deployed to staging recorded")
    row_step(sre, "payments", "Record staging smoke: passed", "Staging smoke test recorded")
    gate = sre.locator("#why-service-payments")
    expect(gate).to_contain_text("Appointments's monitoring window is still open. Closes in")
    expect(gate.locator("[data-countdown-to]")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
    expect(watcher.locator("#row-service-payments [data-row-blocked]")).to_be_visible()
    # The page's clock started with the server's; the server's has since moved past two windows.
    sre.clock.set_system_time(timezone.now())
    expect(gate.locator("[data-countdown-to]")).to_have_text(re.compile(r"^00:1[0-5]:\d\d$"))
    sre.screenshot(path=str(DOCS / "board.png"), full_page=True)
    phone = open_board(new_page, "kiran", release, size={"width": 390, "height": 844})
    phone.locator("#row-service-payments").scroll_into_view_if_needed()
    phone.screenshot(path=str(DOCS / "board-390.png"))
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    close_window(fixed_clock, release, "appointments")
    expect(watcher.locator("#row-service-appointments")).to_have_attribute("data-state", "done")
    expect(gate).to_have_count(0)

    # Payments' staging steps are done: its next action is the promotion.
    name = "Payments"
    row_step(sre, "payments", f"Start promotion of {name}", "Production promotion started recorded")
    row_step(
        sre, "payments", f"Finish promotion of {name}", "Production promotion finished recorded"
    )
    row_step(
        sre,
        "payments",
        "Record monitoring: healthy",
        "healthy recorded",
        **{"p95 (ms)": "170", "Error rate (%)": "0.1"},
    )
    close_window(fixed_clock, release, "payments")
    expect(watcher.locator("#row-service-payments")).to_have_attribute("data-state", "done")
    promote_by_mouse(sre, watcher, fixed_clock, release, "messaging")
    promote_by_keyboard(sre, watcher, fixed_clock, release, ALL_SERVICES[5])

    expect(canary).not_to_have_attribute("aria-disabled", "true")  # the backend is done
    for slug, name in [
        ("patient-web", "Patient web"),
        ("doctor-web", "Doctor web"),
        ("admin-console", "Admin console"),
    ]:
        if slug == "patient-web":
            row_step(
                sre,
                slug,
                f"Start canary of {name}",
                "Canary started recorded",
                **{"Canary %": "10"},
            )
            row_step(sre, slug, f"Validate canary of {name}", "Canary validated recorded")
            row_step(sre, slug, f"Full rollout of {name}", "Full rollout recorded")
            expect(watcher.locator(f"#row-{key(slug)}")).to_have_attribute("data-state", "done")
        else:
            roll_out(sre, watcher, slug, name)
    expect(watcher.locator("[data-status]")).to_have_text("Verifying")
    expect(sre.locator("[data-status]")).to_have_text("Verifying")
    assert watcher.evaluate("window.__noReload") is True
