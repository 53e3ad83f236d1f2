"""Issue 19, items 4 and 5: a focus ring that shows on every background, and targets of at
least 24 x 24 px on a phone. Measured from the CSS the browser applies (getComputedStyle)."""

import pytest
from django.utils import timezone

from releasehub.releases.models import Release
from tests.browser.helpers import end_live_releases

pytestmark = [pytest.mark.clock, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# WCAG relative luminance and contrast, and the ring's colours (outline, then box-shadow) of the
# focused element against the background it sits on (the first opaque one of its ancestors) and,
# for a button, against the button itself.
RING_CONTRAST = """el => {
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = c => {
    const [r, g, b] = rgb(c).slice(0, 3).map(v => v / 255).map(
      v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const opaque = node => {
    for (; node; node = node.parentElement) {
      const c = getComputedStyle(node).backgroundColor;
      const parts = rgb(c);
      if (parts.length === 3 || parts[3] === 1) return c;
    }
    return "rgb(255, 255, 255)";
  };
  el.focus();
  const style = getComputedStyle(el);
  const ring = [style.outlineColor];
  const shadow = style.boxShadow.match(/rgba?\\([^)]*\\)/);
  if (shadow) ring.push(shadow[0]);
  const behind = [opaque(el.parentElement)];
  if (el.matches("button, .button")) behind.push(opaque(el));
  return {
    visible: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
    // For each background, the best of the ring's colours against it.
    worst: Math.min(...behind.map(bg => Math.max(...ring.map(c => ratio(c, bg))))),
    ring, behind,
  };
}"""


def _rings(page, places: dict[str, str]) -> dict[str, dict]:
    # A key pressed first, so that :focus-visible applies to what el.focus() focuses then.
    page.keyboard.press("Shift")
    return {place: page.locator(sel).first.evaluate(RING_CONTRAST) for place, sel in places.items()}


def test_the_focus_ring_has_3_to_1_against_every_background_it_sits_on(page, demo_data):
    end_live_releases()
    page.goto("/accounts/login/")
    found = _rings(page, {"the primary button on a white card": "main form button"})
    page.login("asha")
    found |= _rings(
        page,
        {
            "a link on a white card": ".card a",
            "a link in the dark header": ".site-header nav a",
            "the header's Log out button": ".site-header button",
        },
    )
    page.goto("/calendar/")
    found |= _rings(page, {"a link on the page background": ".calendar-head a"})
    page.goto("/releases/")
    found |= _rings(page, {"a secondary button": "main .button.secondary, main button.secondary"})
    weak = {
        place: f"{m['worst']:.2f}:1 ({m['ring']} on {m['behind']})"
        for place, m in found.items()
        if not m["visible"] or m["worst"] < 3
    }
    assert not weak, f"focus ring under 3:1: {weak}"


# Interactive elements under 24 x 24 px that are shown. A link inside running text (a <p>, <li>,
# table cell or <dd> with words of its own, such as a ticket key before its title) is exempt, as
# WCAG 2.5.8 allows.
SMALL_TARGETS = """() => {
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary, " +
    "[tabindex]:not([tabindex='-1'])";
  const inText = el => {
    const block = el.tagName === "A" && el.closest("p, li, td, dd");
    return !!block && block.textContent.trim().length > el.textContent.trim().length;
  };
  return [...document.querySelectorAll(selector)].filter(el => {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || !el.checkVisibility({visibilityProperty: true})) return false;
    if (el.closest(".visually-hidden, .skip-link")) return false;
    return (box.width < 24 || box.height < 24) && !inText(el);
  }).map(el => {
    const box = el.getBoundingClientRect();
    const name = (el.textContent.trim() || el.getAttribute("aria-label") || el.name || "");
    return `${el.tagName.toLowerCase()}${el.type ? "[" + el.type + "]" : ""} ` +
      `"${name.slice(0, 30)}" ${Math.round(box.width)}x${Math.round(box.height)}`;
  });
}"""


def _current_release() -> Release:
    return (
        Release.objects.filter(kind=Release.Kind.REGULAR, window_start__gt=timezone.now())
        .exclude(status=Release.Status.CANCELLED)
        .order_by("window_start")
        .first()
    )


@pytest.mark.parametrize("username", ["asha", "priya"])
def test_no_target_is_under_24_px_on_a_phone(new_page, demo_data, username):
    end_live_releases()
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.login(username)
    release = _current_release()
    small = {}
    for path in ["/", f"/releases/{release.code}/", f"/releases/{release.code}/go-no-go/"]:
        page.goto(path)
        page.locator("main h1").first.wait_for()
        small[path] = page.evaluate(SMALL_TARGETS)
    assert not any(small.values()), "targets under 24 x 24 px:\n" + "\n".join(
        f"{path}: {len(found)}\n  " + "\n  ".join(found) for path, found in small.items() if found
    )
