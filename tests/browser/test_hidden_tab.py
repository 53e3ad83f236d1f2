"""A hidden tab does not poll; it refreshes its live sections once when it is shown again."""

import pytest

from releasehub.accounts.models import Role
from tests.factories import user_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POLL = "/timed-actions/?upcoming=2"  # the page the SRE is on: the poll keeps it
SHOW = """state => {
  Object.defineProperty(document, "visibilityState", {configurable: true, get: () => state});
  Object.defineProperty(document, "hidden", {configurable: true, get: () => state === "hidden"});
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def _quiet(page, polls: list[str]) -> None:
    """Every poll sent so far has been answered (a swap, or a 204 when nothing changed).
    Request events arrive in order, so once a later request is seen none is still on its way."""
    with page.expect_request("**/healthz"):
        page.evaluate("fetch('/healthz')")
    page.wait_for_function("n => window.__swaps >= n", arg=len(polls), polling=50)


def test_a_hidden_tab_stops_polling_and_refreshes_once_when_shown(page, settings):
    settings.LIVE_POLL_SECONDS = {**settings.LIVE_POLL_SECONDS, "timed_actions": 2}
    sre = user_with(Role.SRE)
    page.login(sre.username)
    polls: list[str] = []
    page.on("request", lambda r: r.headers.get("hx-request") == "true" and polls.append(r.url))
    page.goto(POLL)
    page.evaluate(
        "window.__swaps = 0;"
        "document.addEventListener('htmx:afterRequest', () => { window.__swaps += 1; });"
    )
    # From here the page's timers run only when the test moves its clock.
    page.clock.pause_at(page.evaluate("Date.now()") + 300)
    _quiet(page, polls)
    before = len(polls)
    page.clock.run_for(2_500)  # one interval: the visible tab polls
    _quiet(page, polls)
    assert len(polls) == before + 1 and polls[-1].endswith(POLL)

    page.evaluate(SHOW, "hidden")
    page.clock.run_for(20_000)  # ten intervals
    _quiet(page, polls)
    assert len(polls) == before + 1, f"polled while hidden: {polls[before + 1 :]}"

    page.evaluate(SHOW, "visible")  # shown again: refreshed at once, with no time passing
    _quiet(page, polls)
    assert len(polls) == before + 2 and polls[-1].endswith(POLL)
    page.clock.run_for(2_500)  # and polling goes on
    _quiet(page, polls)
    assert len(polls) == before + 3
    page.clock.resume()  # the accessibility check at teardown runs on the page's timers
