"""One release through its whole day in real Chromium, while a second person watches the board
update without reloading it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import expect

from releasehub.readiness.models import ChecklistItem, Phase
from releasehub.readiness.services.qa import smoke_record
from releasehub.releases.clock import IST
from releasehub.rollout.models import Deployment, Step
from releasehub.rollout.services.frontends import app_step_record
from releasehub.rollout.services.promotion import service_health_record, service_step_record
from releasehub.rollout.services.watch import release_complete
from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction
from releasehub.schedule.services import LEASE, run_action
from tests.factories import app, readiness_cast, rollout_release, service

pytestmark = [pytest.mark.clock, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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


def complete(page, observation: str) -> None:
    fill = {"Completion observation": observation}
    act(page, "complete", "Complete release", "24-hour post-release watch", fill=fill)


def row_step(page, row, button, notice, **fill):
    """Press the one next action a service or app row offers (filling its inline inputs)."""
    scope = page.locator(f"#row-{row}")
    for label, value in fill.items():
        scope.get_by_label(label, exact=True).fill(value)
    scope.get_by_role("button", name=button, exact=True).click()
    expect(page.locator(f"#feedback-{row}")).to_contain_text(notice)


def close_window(clock, release, slug: str) -> None:
    """Move the clock past `slug`'s monitoring window and fire that action from this thread (no
    worker runs in browser tests). Only that one: other actions may be due as well, such as the
    release's T-48h reminder on a Monday evening."""
    window = ScheduledAction.objects.get(
        release=release,
        service__slug=slug,
        kind=ActionKind.MONITORING_WINDOW_CLOSES,
        status=ActionStatus.PENDING,
    )
    clock.shift(max(window.due_at - timezone.now(), dt.timedelta(0)) + dt.timedelta(seconds=1))
    # Claimed as the sweeper claims a row, this one alone.
    claimed = ScheduledAction.objects.filter(pk=window.pk, status=ActionStatus.PENDING).update(
        status=ActionStatus.DISPATCHED,
        attempts=F("attempts") + 1,
        lease_expires_at=timezone.now() + LEASE,
    )
    assert claimed == 1 and run_action(window.pk) == ActionStatus.DONE


def promote(sre, slug):
    row, name = f"service-{slug}", slug.capitalize()
    row_step(sre, row, f"Start promotion of {name}", "Production promotion started recorded")
    row_step(sre, row, f"Finish promotion of {name}", "Production promotion finished recorded")
    figures = {"p95 (ms)": "180", "Error rate (%)": "0.2"}
    row_step(sre, row, "Record monitoring: healthy", "healthy recorded", **figures)


def test_a_release_goes_through_its_whole_day_while_someone_watches(
    new_page, settings, fixed_clock
):
    settings.LIVE_POLL_SECONDS = {**settings.LIVE_POLL_SECONDS, "board": 1}  # same process
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

    row_step(sre, "service-identity", "Deploy Identity to staging", "Deployed to staging recorded")
    row_step(sre, "service-identity", "Record staging smoke: passed", "Staging smoke test recorded")
    # Providers may not jump the queue: its row says why, its button is disabled.
    providers = row(sre, "providers").get_by_role("button", name="Start promotion of Providers")
    expect(providers).to_have_attribute("aria-disabled", "true")
    expect(row(sre, "providers").locator("[data-row-blocked]")).to_contain_text(
        "Providers cannot be promoted yet: Identity has not finished"
    )

    promote(sre, "identity")
    expect(row(watcher, "identity")).to_have_attribute("data-state", "monitoring")
    expect(watcher.locator("[data-open-window=identity] [data-countdown-to]")).to_be_visible()
    expect(row(watcher, "providers").locator("[data-row-blocked]")).to_contain_text(
        "monitoring window is still open"
    )
    close_window(fixed_clock, release, "identity")
    expect(row(watcher, "identity")).to_have_attribute("data-state", "done")
    # The SRE's board has polled too (its actions come back with the same answer).
    expect(row(sre, "identity")).to_have_attribute("data-state", "done")
    promote(sre, "providers")
    close_window(fixed_clock, release, "providers")
    expect(row(watcher, "providers")).to_have_attribute("data-state", "done")
    expect(row(sre, "providers")).to_have_attribute("data-state", "done")

    for button, notice, fill in [
        ("Trigger build of Patient web", "Build triggered", {"Build id": "pw-812"}),
        ("Start canary of Patient web", "Canary started", {"Canary %": "10"}),
        ("Validate canary of Patient web", "Canary validated", {}),
        ("Full rollout of Patient web", "Full rollout", {}),
        ("Record flags toggled", "Feature flags toggled", {"Flags toggled": "none"}),
        ("CDN purge: cleared", "CDN cache", {}),
    ]:
        row_step(sre, "app-patient-web", button, notice, **fill)
    expect(watcher.locator("[data-status]")).to_have_text("Verifying")
    expect(watcher.locator("[data-deployment-duration]")).to_be_visible()

    qa = new_page()
    qa.login("neha")
    qa.goto(f"/releases/{release.code}/go-no-go/")
    for check in ("Booking flow", "Login", "Dashboard load"):
        form = qa.locator("[data-form=smoke]")
        form.get_by_label("Check").select_option(label=check)
        form.get_by_role("button", name="Log smoke result").click()
        expect(qa.locator("#smoke .message.success")).to_contain_text(f"Smoke {check}: Pass")
    expect(watcher.locator("[data-smoke-panel]")).to_contain_text("All smoke checks passed")

    complete(watcher, "All green at 11:40")
    expect(watcher.locator("[data-status]")).to_have_text("Monitoring")
    expect(sre.locator("[data-row-action]")).to_have_count(0)  # no row takes a step now

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
    expect(watcher.locator("[data-anomaly-incident]")).to_contain_text("SEV-2")

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
    # A partial rollback reverts providers; the release stays in its post-release watch.
    expect(row(watcher, "providers")).to_have_attribute("data-state", "rolled back")
    expect(watcher.locator("[data-rollback-item=providers] [data-rollback-outcome]")).to_have_text(
        "rolled back"
    )
    expect(watcher.locator("[data-status]")).to_have_text("Monitoring")
    expect(row(watcher, "identity")).to_have_attribute("data-state", "done")
    expect(watcher.locator("[data-intervention-count]")).to_have_text("1")
    expect(watcher.locator("[data-form=anomaly]")).to_be_visible()
    assert watcher.evaluate("window.__noReload") is True

    failed = {
        (d.component.slug, d.kind): d.failed
        for d in Deployment.objects.with_failed().select_related("service", "app")
    }
    assert failed[("providers", "promotion")] and not failed[("identity", "promotion")]


def through_the_day(release, cast, clock, services: list[str], apps: list[str]) -> None:
    """Every service promoted and watched healthy, every app fully out, the smoke passed."""
    sre = cast["kiran"]
    for slug in services:
        for kind in (Step.STAGING_DEPLOYED, Step.STAGING_SMOKE, Step.PROMOTION_STARTED):
            passed = True if kind == Step.STAGING_SMOKE else None
            service_step_record(
                release=release, service=service(slug), kind=kind, actor=sre, passed=passed
            )
        service_step_record(
            release=release, service=service(slug), kind=Step.PROMOTION_FINISHED, actor=sre
        )
        service_health_record(
            release=release,
            service=service(slug),
            actor=sre,
            healthy=True,
            p95_ms=150,
            error_rate=Decimal("0.1"),
        )
        close_window(clock, release, slug)
    for slug in apps:
        app_step_record(
            release=release, app=app(slug), kind=Step.BUILD_TRIGGERED, actor=sre, build_id="b1"
        )
        app_step_record(
            release=release, app=app(slug), kind=Step.CANARY_STARTED, actor=sre, percent=5
        )
        for kind in (Step.CANARY_VALIDATED, Step.FULL_ROLLOUT):
            app_step_record(release=release, app=app(slug), kind=kind, actor=sre)
    for item in ChecklistItem.objects.filter(release=release, phase=Phase.SMOKE):
        smoke_record(item=item, actor=cast["neha"], outcome="passed")


def start_rollback(page, scope: str, components: list[str], reason: str, notice: str) -> None:
    form = page.locator("[data-form=rollback]")
    form.get_by_label(scope).check()
    for name in components:
        form.get_by_label(name, exact=True).check()
    form.get_by_label("Reason").fill(reason)
    form.get_by_role("button", name="Start rollback").click()
    expect(page.locator("#board-actions .message")).to_contain_text(notice)


def test_a_partial_rollback_reverts_one_service_and_the_release_is_still_completed(
    new_page, fixed_clock
):
    cast = readiness_cast()
    release = rollout_release(["identity", "analytics"], ["patient-web"])
    through_the_day(release, cast, fixed_clock, ["identity", "analytics"], ["patient-web"])
    rm = board(new_page, "asha", release)
    sre = board(new_page, "kiran", release)
    expect(rm.locator("[data-status]")).to_have_text("Verifying")

    start_rollback(
        sre, "Partial", ["Analytics"], "Analytics events dropped", "Partial rollback started"
    )
    expect(rm.locator("[data-unavailable=complete]")).to_contain_text(
        "Not done yet: Analytics (rolling back)."
    )
    act(
        sre,
        "rollback-result",
        "Record outcome",
        "Rollback of Analytics recorded",
        fill={"Steps performed": "Redeployed analytics v1"},
    )
    expect(rm.locator("[data-service=analytics]")).to_have_attribute("data-state", "rolled back")
    expect(rm.locator("[data-service=identity]")).to_have_attribute("data-state", "done")
    expect(rm.locator("[data-status]")).to_have_text("Verifying")

    complete(rm, "Complete without the analytics change")
    expect(rm.locator("[data-status]")).to_have_text("Monitoring")
    expect(sre.locator("[data-status]")).to_have_text("Monitoring")
    expect(sre.locator("[data-form=anomaly]")).to_be_visible()
    rm.goto(f"/releases/{release.code}/changelog/")
    expect(rm.locator("#changelog-markdown")).to_contain_text("Rolled back in part:** Analytics.")


def test_the_board_offers_only_what_the_release_can_take_and_says_why(new_page, fixed_clock):
    cast = readiness_cast()
    release = rollout_release(["identity"], [])
    through_the_day(release, cast, fixed_clock, ["identity"], [])
    release_complete(release=release, actor=cast["asha"], note="All green")
    rm = board(new_page, "asha", release)
    sre = board(new_page, "kiran", release)
    expect(rm.locator("[data-form=anomaly]")).to_be_visible()
    expect(rm.locator("[data-form=complete]")).to_have_count(0)
    expect(rm.locator("[data-unavailable=complete]")).to_contain_text("is Monitoring")
    expect(sre.locator("[data-service=identity]")).to_have_attribute("data-state", "done")
    expect(sre.locator("[data-row-action]")).to_have_count(0)

    # The SRE rolls the whole release back; the RM's board follows without a reload.
    rm.evaluate("window.__noReload = true")
    start_rollback(sre, "Full", [], "Login errors after release", "Full rollback started")
    act(
        sre,
        "rollback-result",
        "Record outcome",
        "Rollback of Identity recorded",
        fill={"Steps performed": "Redeployed identity v1"},
    )
    expect(rm.locator("[data-status]")).to_have_text("Rolled back")
    expect(rm.locator("[data-form=anomaly]")).to_have_count(0)
    expect(rm.locator("[data-unavailable=anomaly]")).to_contain_text(
        "is Rolled back; it is no longer watched, so anomalies are not logged."
    )
    expect(sre.locator("[data-form=rollback]")).to_have_count(0)
    expect(sre.locator("[data-unavailable=rollback]")).to_contain_text("Rolled back; no rollback.")
    assert rm.evaluate("window.__noReload") is True
