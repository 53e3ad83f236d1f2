"""Leadership opens the metrics, changes the period, sees the charts and downloads the CSV."""

import copy
import re

import pytest
from playwright.sync_api import expect

from releasehub.metrics.importer import import_actor, import_history
from tests.metrics.history import HISTORY

pytestmark = [pytest.mark.clock, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_leadership_reads_the_metrics_and_downloads_the_csv(page, demo_data):
    import_history(copy.deepcopy(HISTORY), actor=import_actor())
    page.login("arjun")
    page.get_by_role("link", name="Metrics").click()
    expect(page.get_by_role("heading", name="Delivery metrics")).to_be_visible()
    page.get_by_label("Period:").select_option(label="Custom dates")
    page.get_by_label("Start:").fill("2025-03-01")
    page.get_by_label("End:").fill("2025-03-30")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#metrics-period")).to_contain_text("1 Mar 2025")
    expect(page.locator("[data-figure=change_failure_rate]")).to_contain_text("71 %")
    expect(page.locator("[data-figure=deployments]")).to_contain_text("7")
    expect(page.get_by_role("img", name="Deployments, bar chart")).to_be_visible()
    assert page.locator("#chart-deployments rect").count() == 5  # five IST weeks touch March
    expect(page.locator("#chart-deployments .chart-x-tick")).to_have_text(
        ["1 Mar 2025", "3 Mar", "10 Mar", "17 Mar", "24 Mar"]
    )
    expect(page.locator("#chart-recovery .chart-y-title")).to_have_text("hours")
    expect(page.locator("[data-figure=recovery]")).to_contain_text("4 hours")
    with page.expect_download() as download:
        page.get_by_role("link", name="Deployments CSV").click()
    with open(download.value.path(), encoding="utf-8") as file:
        text = file.read()
    assert text.startswith("release,release_kind,target")
    assert text.count("\n") == 8  # header and the period's seven deployments


def test_custom_period_without_dates_shows_the_form_with_the_error_beside_the_dates(
    page, demo_data
):
    page.login("arjun")
    page.get_by_role("link", name="Metrics").click()
    page.get_by_label("Period:").select_option(label="Custom dates")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.get_by_label("Period:")).to_have_value("")
    start, end = page.get_by_label("Start:"), page.get_by_label("End:")
    expect(start).to_have_accessible_description(re.compile("Enter a start date"))
    expect(end).to_have_accessible_description(re.compile("Enter an end date"))
    expect(page.locator("#metrics-period")).to_have_count(0)
    start.fill("2025-03-01")
    end.fill("2025-03-30")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#metrics-period")).to_contain_text("1 Mar 2025")
    expect(start).not_to_have_attribute("aria-invalid", "true")
