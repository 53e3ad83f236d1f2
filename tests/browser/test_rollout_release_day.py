"""One release through its whole day in real Chromium, while a second person watches the board
update without reloading it."""

import datetime as dt
import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from releasehub.releases.clock import IST
from releasehub.rollout import views
from releasehub.rollout.models import Deployment, Step
from releasehub.rollout.services import service_step_record
from releasehub.schedule.services import claim_due, run_action
from tests.factories import readiness_cast, rollout_release, service

pytestmark = [pytest.mark.clock, pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LIVE = 10_000  # the board polls every second here
WINDOW_SECONDS = 1.0


def board(new_page, username, release):
    page = new_page()
    page.login(username)
    page.goto(f"/releases/{release.code}/rollout/")
    page.get_by_role("heading", name=f"Release day: {release.version}").wait_for()
    return page


def act(page, form, button, notice, *, select=None, fill=None):
    """Fill a form on the board by its labels and submit it; wait for its notice."""
    scope = page.locator(f"[data-form={form}]")
    for label, value in (select or {}).items():
        scope.get_by_label(label, exact=True).select_option(value)
    for label, value in (fill or {}).items():
        scope.get_by_label(label, exact=True).fill(value)
    scope.get_by_role("button", name=button).click()
    expect(page.locator("#board-actions .message")).to_contain_text(notice)


def service_step(page, service, step, notice):
    act(page, "service-step", "Record step", notice, select={"Service": service, "Step": step})


def close_window() -> None:
    """No worker runs in browser tests: fire the due monitoring window from this thread."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if [run_action(pk) for pk in claim_due(on_claimed=lambda ids: None)]:
            return
        time.sleep(0.2)
    raise AssertionError("the monitoring window never became due")


def promote(sre, slug):
    service_step(sre, slug, "promotion_started", "Production promotion started recorded")
    service_step(sre, slug, "promotion_finished", "Production promotion finished recorded")
    act(
        sre,
        "health",
        "Record observation",
        "healthy recorded",
        select={"Service": slug},
        fill={"p95 latency (ms)": "180", "Error rate (%)": "0.2"},
    )


def test_a_release_goes_through_its_whole_day_while_someone_watches(
    new_page, settings, monkeypatch
):
    settings.MONITORING_WINDOW_MINUTES = WINDOW_SECONDS / 60
    monkeypatch.setattr(views, "POLL_SECONDS", 1)  # the live server runs in this process
    cast = readiness_cast()
    release = rollout_release(["identity", "providers"], ["patient-web"])
    # Staging evidence for providers is recorded before anyone opens the board.
    for kind, passed in ((Step.STAGING_DEPLOYED, None), (Step.STAGING_SMOKE, True)):
        service_step_record(
            release=release,
            service=service("providers"),
            kind=kind,
            actor=cast["kiran"],
            passed=passed,
        )
    # The RM watches (and later completes) in one browser; the SRE works in another.
    watcher = board(new_page, "asha", release)
    watcher.evaluate("window.__noReload = true")
    sre = board(new_page, "kiran", release)
    row = lambda page, slug: page.locator(f"[data-service={slug}], [data-app={slug}]")  # noqa: E731

    service_step(sre, "identity", "staging_deployed", "Deployed to staging recorded")
    act(
        sre,
        "service-step",
        "Record step",
        "Staging smoke test recorded",
        select={"Service": "identity", "Step": "staging_smoke", "Staging smoke passed": "yes"},
    )
    # Providers may not jump the queue.
    sre.locator("[data-form=service-step]").get_by_label("Service", exact=True).select_option(
        "providers"
    )
    sre.locator("[data-form=service-step]").get_by_label("Step").select_option("promotion_started")
    sre.locator("[data-form=service-step]").get_by_role("button", name="Record step").click()
    expect(sre.locator("#board-actions .message.error")).to_contain_text(
        "Providers cannot be promoted yet: Identity has not finished"
    )

    promote(sre, "identity")
    expect(row(watcher, "identity")).to_have_attribute("data-state", "monitoring", timeout=LIVE)
    expect(watcher.locator("[data-open-window=identity] [data-countdown-to]")).to_be_visible()
    expect(row(watcher, "providers").locator("[data-row-blocked]")).to_contain_text(
        "monitoring window is still open"
    )
    close_window()
    expect(row(watcher, "identity")).to_have_attribute("data-state", "done", timeout=LIVE)
    promote(sre, "providers")
    close_window()
    expect(row(watcher, "providers")).to_have_attribute("data-state", "done", timeout=LIVE)

    for step, notice, select, fill in [
        ("build_triggered", "Build triggered", {}, {"Build id": "pw-812"}),
        ("canary_started", "Canary started", {}, {"Canary %": "10"}),
        ("canary_validated", "Canary validated", {}, {}),
        ("full_rollout", "Full rollout", {}, {}),
        ("cdn", "CDN cache", {"CDN cache": "cleared"}, {}),
    ]:
        select = {"App": "patient-web", "Step": step, **select}
        act(sre, "app-step", "Record frontend step", notice, select=select, fill=fill)
    expect(watcher.locator("[data-status]")).to_have_text("Verifying", timeout=LIVE)
    expect(watcher.locator("[data-deployment-duration]")).to_be_visible()

    qa = new_page()
    qa.login("neha")
    qa.goto(f"/releases/{release.code}/go-no-go/")
    for check in ("Booking flow", "Login", "Dashboard load"):
        form = qa.locator("[data-form=smoke]")
        form.get_by_label("Check").select_option(label=check)
        form.get_by_role("button", name="Log smoke result").click()
        expect(qa.locator("#smoke .message.success")).to_contain_text(f"Smoke {check}: Pass")
    expect(watcher.locator("[data-smoke-panel]")).to_contain_text(
        "All smoke checks passed", timeout=LIVE
    )

    act(
        watcher,
        "complete",
        "Complete release",
        "24-hour post-release watch",
        fill={"Completion observation": "All green at 11:40"},
    )
    expect(watcher.locator("[data-status]")).to_have_text("Monitoring", timeout=LIVE)

    seen = timezone.now().astimezone(IST) - dt.timedelta(minutes=1)
    act(
        sre,
        "anomaly",
        "Log anomaly",
        "Anomaly logged",
        select={"Service or app": "service:providers", "Severity": "high"},
        fill={
            "Seen at (IST)": seen.strftime("%Y-%m-%dT%H:%M"),
            "Description": "Provider search p95 above 2 s",
        },
    )
    act(
        sre,
        "anomaly-incident",
        "Record incident",
        "Incident recorded",
        select={"Incident severity": "sev2"},
    )
    expect(watcher.locator("[data-anomaly-incident]")).to_contain_text("SEV-2", timeout=LIVE)

    rollback = sre.locator("[data-form=rollback]")
    rollback.get_by_label("Partial (chosen below)").check()
    rollback.get_by_label("Providers").check()
    rollback.get_by_label("Incident report").select_option(index=1)
    rollback.get_by_label("Reason").fill("Provider search slow after release")
    rollback.get_by_role("button", name="Start rollback").click()
    expect(sre.locator("#board-actions .message")).to_contain_text("Partial rollback started")
    act(
        sre,
        "rollback-result",
        "Record outcome",
        "Rollback of Providers recorded",
        fill={"Steps performed": "Redeployed providers v1"},
    )
    expect(watcher.locator("[data-status]")).to_have_text("Rolled back", timeout=LIVE)
    expect(watcher.locator("[data-rollback-item=providers] [data-rollback-outcome]")).to_have_text(
        "rolled back", timeout=LIVE
    )
    expect(watcher.locator("[data-intervention-count]")).to_have_text("1")
    assert watcher.evaluate("window.__noReload") is True

    failed = {
        (d.component.slug, d.kind): d.failed
        for d in Deployment.objects.with_failed().select_related("service", "app")
    }
    assert failed[("providers", "promotion")] and not failed[("identity", "promotion")]
