"""The axe-core check every browser test runs (tests/conftest.py, BrowserPage) finds violations
and reports them readably, on pages reached by goto and by a click alike."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLEAN = '<!doctype html><html lang="en"><title>Clean</title><main><h1>Clean</h1>{}</main></html>'
BROKEN = CLEAN.replace("Clean", "Broken").format(
    '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text">'
)


@pytest.fixture
def probe_page(page):
    """Same-origin pages served by the browser itself, one clean and one with two violations."""
    pages = {
        "/probe/clean/": CLEAN.format('<a href="/probe/broken/">On</a>'),
        "/probe/broken/": BROKEN,
    }
    page.route(
        "**/probe/**",
        lambda route: route.fulfill(
            body=pages[route.request.url.removeprefix(page.base_url)], content_type="text/html"
        ),
    )
    yield page
    page.violations.clear()  # reported by the test itself; the teardown's run must not see them
    page.goto("/probe/clean/")


def test_a_violation_on_a_page_reached_by_goto_fails_with_rule_element_and_help(probe_page):
    with pytest.raises(AssertionError) as failure:
        probe_page.goto("/probe/broken/")
    report = str(failure.value)
    assert "/probe/broken/" in report
    assert "image-alt (critical): Images must have alternative text\n      img" in report
    assert "label (critical): Form elements must have labels\n      input" in report


def test_a_page_reached_by_a_click_is_checked_and_a_clean_one_passes(probe_page):
    probe_page.goto("/probe/clean/")  # passes
    probe_page.get_by_role("link", name="On").click()
    probe_page.get_by_role("heading", name="Broken").wait_for()
    with pytest.raises(AssertionError, match="image-alt"):
        probe_page.assert_accessible()  # what the teardown runs, on the page each test ends on
    assert probe_page.checked[-1].endswith("/probe/broken/")
