"""#19 items 3 and 5, keyboard only: a squad rep signs off, QA logs a smoke result, the RM
records the Go/No-Go decision and ticks a checklist item, with Tab, Shift+Tab, Enter, Space and
the arrow keys alone; after each action focus is on its feedback (not on <body>) and the next Tab
stays in the section. (The SRE's promotion journey is tested with the rollout board.)"""

import pytest
from playwright.sync_api import expect

from releasehub.readiness.models import GoNoGoDecision, SignOff, SmokeResult
from releasehub.releases.models import Release
from tests.factories import readiness_cast, readiness_release

pytestmark = [pytest.mark.clock, pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# What has focus, described for the assertions (and for a failure message).
FOCUSED = """() => {
  const e = document.activeElement;
  return {tag: e.tagName.toLowerCase(), id: e.id, name: e.getAttribute("name") || "",
          value: e.value === undefined ? "" : e.value, text: e.textContent.trim().slice(0, 80),
          section: e.closest("section") ? e.closest("section").id : ""};
}"""


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def tab_to(page, text: str, limit: int = 60) -> int:
    """Tab from where focus is until the link or button reading `text`; the number of Tabs."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if focused(page)["text"] == text:
            return presses
    raise AssertionError(f"{text!r} not reached in {limit} Tabs; at {focused(page)}")


def tab(page, key: str = "Tab") -> dict:
    page.keyboard.press(key)
    return focused(page)


def radio(focus: dict) -> tuple[str, str]:
    return focus["name"], focus["value"]


def open_readiness(page, username: str, release: Release) -> None:
    page.login(username)
    page.goto(f"/releases/{release.code}/go-no-go/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Readiness of")


def settled(page, shows: str) -> None:
    """The panels refreshed after the action (`shows` is on the page) and no htmx request is in
    flight: a panel being swapped is drawn faded, which axe (at teardown) would check."""
    expect(page.locator(shows).first).to_be_attached()
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def assert_focus_on_feedback(page, section: str, says: str) -> None:
    feedback = page.locator(f"#{section} [data-feedback]")
    expect(feedback).to_be_focused()
    expect(feedback).to_contain_text(says)
    assert focused(page)["tag"] != "body"


def test_squad_rep_signs_off_by_keyboard_and_focus_lands_on_the_confirmation(page):
    cast = readiness_cast()
    release = readiness_release()
    open_readiness(page, "priya", release)

    # The rep's own form is linked at the top: a few Tabs past the header, not the whole page.
    assert tab_to(page, "Sign off for Patient") <= 15
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "sign-off-heading"

    assert radio(tab(page)) == ("decision", "go")
    assert tab(page)["id"] == "signoff-comment"
    page.keyboard.type("Patient squad ready")
    assert tab(page)["text"] == "Record sign-off"
    assert tab(page, "Shift+Tab")["id"] == "signoff-comment"  # back and forth
    assert tab(page)["text"] == "Record sign-off"
    page.keyboard.press("Enter")

    assert_focus_on_feedback(page, "go-no-go-actions", "Go recorded for Patient")
    assert SignOff.objects.get().actor == cast["priya"]
    # The next Tab stays with the confirmation's section, not past it into the checklists.
    assert tab(page)["section"] == "go-no-go-actions"
    settled(page, "[data-go-no-go-panel] tr[data-status=go]")


def test_qa_logs_a_failed_smoke_result_by_keyboard(page):
    readiness_cast()
    release = readiness_release(status=Release.Status.VERIFYING)
    open_readiness(page, "neha", release)

    tab_to(page, "Log a smoke result")
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "smoke-form-heading"

    check = tab(page)
    assert check["id"] == "smoke-item"
    page.keyboard.press("ArrowDown")  # the second check
    second = page.locator("#smoke-item option").nth(1).text_content()
    assert tab(page)["value"] == "passed"
    page.keyboard.press("ArrowRight")  # Pass -> Fail
    assert focused(page)["value"] == "failed"
    assert tab(page)["id"] == "smoke-notes"
    page.keyboard.type("Spinner never stops")
    assert tab(page)["text"] == "Log smoke result"
    page.keyboard.press("Space")

    assert_focus_on_feedback(page, "smoke", f"{second}: Fail logged")
    result = SmokeResult.objects.select_related("item").get()
    assert (result.item.text, result.outcome, result.notes) == (
        second,
        "failed",
        "Spinner never stops",
    )
    settled(page, "[data-smoke-failure]")


def test_rm_records_a_no_go_by_keyboard(page):
    readiness_cast()
    release = readiness_release()
    open_readiness(page, "asha", release)

    tab_to(page, "Record the Go/No-Go decision")
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "decision-heading"

    assert radio(tab(page)) == ("decision", "go")
    page.keyboard.press("ArrowRight")  # Go -> No-Go
    assert focused(page)["value"] == "no_go"
    assert tab(page)["id"] == "decision-reason"
    page.keyboard.type("Payments migration not rehearsed")
    assert tab(page)["id"] == "decision-override"
    assert tab(page)["name"] == "then"  # the first choice after a No-Go, already chosen
    assert tab(page)["text"] == "Record decision"
    page.keyboard.press("Enter")

    assert_focus_on_feedback(page, "go-no-go-actions", "Decision recorded: No-Go")
    decision = GoNoGoDecision.objects.get()
    assert (decision.decision, decision.reason) == ("no_go", "Payments migration not rehearsed")
    settled(page, "[data-go-no-go-panel] [data-decision]")


def test_rm_ticks_a_checklist_item_by_keyboard(page):
    readiness_cast()
    release = readiness_release()
    open_readiness(page, "asha", release)

    tab_to(page, "Save")  # the first item the RM may update
    assert tab(page, "Shift+Tab")["id"].startswith("evidence-")
    page.keyboard.type("https://ci.example.com/run/42")
    assert tab(page)["text"] == "Save"
    page.keyboard.press("Enter")

    assert_focus_on_feedback(page, "checklists", "Updated:")
    assert tab(page)["section"] == "checklists"
    settled(page, "#checklists tr[data-state=done]")
