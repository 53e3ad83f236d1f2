"""#19 item 5: the metrics page, the dashboard and the Go/No-Go page read on a phone without
sideways scrolling (at 360 px, a small phone), and the tests save 390 x 844 screenshots (and the
metrics at 1280 px) under docs/."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from releasehub.releases.models import Release

pytestmark = [pytest.mark.clock, pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DOCS = Path(__file__).resolve().parents[2] / "docs"
PHONE = {"width": 390, "height": 844}
SMALL_PHONE = {"width": 360, "height": 740}
# Widest first: what scrolls sideways is named in the failure.
WIDER_THAN_THE_VIEWPORT = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll("main *")]
    .filter(e => e.getBoundingClientRect().right > width + 0.5)
    .sort((a, b) => b.getBoundingClientRect().width - a.getBoundingClientRect().width)
    .slice(0, 5)
    .map(e => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}.${e.className}: `
      + `${Math.round(e.getBoundingClientRect().right)} px`);
}"""


def next_release() -> Release:
    return (
        Release.objects.filter(kind=Release.Kind.REGULAR, status=Release.Status.PLANNED)
        .order_by("window_start")
        .first()
    )


def assert_no_sideways_scroll(page) -> None:
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, (scroll, inner, page.evaluate(WIDER_THAN_THE_VIEWPORT))


def open_at(page, size: dict, who: str, path: str, heading: str) -> None:
    page.set_viewport_size(size)
    page.login(who)
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)


PAGES = [
    ("metrics", "arjun", lambda: "/metrics/?days=365", "Delivery metrics"),
    ("dashboard", "asha", lambda: "/", "Dashboard"),
    ("go-no-go", "priya", lambda: f"/releases/{next_release().code}/go-no-go/", "Readiness of"),
]


@pytest.mark.parametrize(("name", "who", "path", "heading"), PAGES, ids=[p[0] for p in PAGES])
def test_no_sideways_scrolling_at_360_px(page, demo_data, name, who, path, heading):
    open_at(page, SMALL_PHONE, who, path(), heading)
    if name == "metrics":  # the definitions open, as a reader taps them
        for summary in page.locator(".metric-definition summary").all():
            summary.click()
    assert_no_sideways_scroll(page)


@pytest.mark.parametrize(("name", "who", "path", "heading"), PAGES, ids=[p[0] for p in PAGES])
def test_phone_screenshots_are_saved_under_docs(page, demo_data, name, who, path, heading):
    open_at(page, PHONE, who, path(), heading)
    if name == "go-no-go":  # the rep's own action is on the first screen
        expect(page.get_by_role("link", name="Sign off for Patient")).to_be_in_viewport()
    assert_no_sideways_scroll(page)
    page.screenshot(path=DOCS / f"{name}-390.png")
    if name == "metrics":
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=DOCS / "metrics.png", full_page=True)
