"""Shared fixtures: services (real when configured), a real Chromium, a real Celery worker.

With REQUIRE_SERVICES=1 a missing PostgreSQL, Redis or Chromium fails the run; otherwise the
tests that need one are skipped, so a fresh clone passes on the embedded defaults.
"""

import datetime as dt
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
import time_machine
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from tests import factories

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
BROWSER_TIMEOUT_MS = 30_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _redis_reachable() -> bool:
    url = urlparse(settings.REDIS_URL)
    if not settings.REDIS_URL:
        return False
    try:
        with socket.create_connection((url.hostname or "127.0.0.1", url.port or 6379), timeout=2):
            return True
    except OSError:
        return False


def _missing_services() -> list[str]:
    missing = []
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        missing.append("PostgreSQL (DATABASE_URL=postgres://...)")
    if not _redis_reachable():
        missing.append("Redis (REDIS_URL=redis://...)")
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"Chromium at {CHROMIUM}")
    return missing


def pytest_configure(config: pytest.Config) -> None:
    if REQUIRE_SERVICES and (missing := _missing_services()):
        raise pytest.UsageError("REQUIRE_SERVICES=1 but these are missing: " + "; ".join(missing))


# Every test runs at a fixed instant, so no outcome depends on the day or hour of the run. The
# default is a Thursday afternoon; .ci/run re-runs the tests marked `clock` at the instants of
# the week where the release clock turns (freeze, T-24h, Go/No-Go, the weekend).
DEFAULT_TEST_NOW = "2026-11-26T15:00:00+05:30"


def test_now() -> dt.datetime:
    raw = os.environ.get("RELEASEHUB_TEST_NOW") or DEFAULT_TEST_NOW
    try:
        now = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise pytest.UsageError(f"RELEASEHUB_TEST_NOW={raw!r} is not an ISO 8601 instant") from None
    if now.tzinfo is None:
        raise pytest.UsageError(f"RELEASEHUB_TEST_NOW={raw!r} needs an offset, e.g. +05:30")
    return now


test_now.__test__ = False  # a helper, not a test


def pytest_report_header(config: pytest.Config) -> str:
    return f"releasehub: tests run at {test_now().isoformat()} (RELEASEHUB_TEST_NOW)"


@pytest.fixture(autouse=True)
def fixed_clock(request: pytest.FixtureRequest) -> Iterator[time_machine.Traveller | None]:
    """The Python clock starts at the run's fixed instant and ticks from there.

    It ticks because the live server, the in-process Celery worker and Playwright's waits need
    time to pass; tests that need it stopped travel again with tick=False. Tests marked
    `real_clock` (subprocess workers that cannot see this process's clock) keep the real one.
    Clock-relative factories refuse to run in a test that is not marked `clock`, so the re-runs
    at the week's instants cover every such test.
    """
    factories.CLOCK_MARKED = request.node.get_closest_marker("clock") is not None or (
        request.node.get_closest_marker("real_clock") is not None
    )
    if request.node.get_closest_marker("real_clock"):
        yield None
    else:
        # time-machine moves this process's clock, not PostgreSQL's: the timed-action engine
        # takes the moved one as its reference clock (releasehub/schedule/clock.py).
        with (
            time_machine.travel(test_now(), tick=True) as traveller,
            override_settings(SCHEDULE_CLOCK="python"),
        ):
            yield traveller
    factories.CLOCK_MARKED = False


def need(what: str, available: bool) -> None:
    """Skip when `what` is unavailable, or fail when the run requires every service."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not available")


@pytest.fixture(autouse=True, scope="session")
def _fast_passwords() -> None:
    # Tests make dozens of people (the demo seed alone twelve); PBKDF2 would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _sqlite_flush_keeps_triggers() -> None:
    """Let test teardown empty append-only tables on SQLite.

    Django flushes SQLite with DELETE, which the append-only triggers refuse. Teardown drops
    them, empties the table and puts the same triggers back; the tests of the triggers
    themselves run inside a test, never here.
    """
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return
    from django.db.backends.sqlite3.base import DatabaseWrapper

    DatabaseOperations = DatabaseWrapper.ops_class
    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        sql = original(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'append_only_%'"
            )
            triggers = cursor.fetchall()
        drops = [f"DROP TRIGGER {name};" for name, _ in triggers]
        creates = [f"{create};" for _, create in triggers]
        return drops + sql + creates

    DatabaseOperations.sql_flush = sql_flush


@pytest.fixture(autouse=True, scope="session")
def _connections_close_after_each_request_or_task() -> None:
    """Production keeps a connection per thread for DB_CONN_MAX_AGE; in tests, the threads of the
    live server and the Celery worker fixture close theirs after each request or task, so none
    is left open on the test database when it is dropped."""
    from django.db import connections

    connections.settings["default"]["CONN_MAX_AGE"] = 0


@pytest.fixture(autouse=True, scope="session")
def _postgres_flush_passes_append_only_triggers() -> None:
    """Let test teardown empty append-only tables on PostgreSQL.

    Django flushes PostgreSQL with one TRUNCATE of every table, which the evidence tables refuse
    (releasehub/audit/operations.py). The flush's transaction runs in replica mode, where
    ordinary triggers do not fire; only a superuser may choose it, as the test database's role
    is, and never the app's role (tests/test_database_roles.py).
    """
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        sql = original(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        # execute_sql_flush runs these in one transaction: LOCAL ends with it.
        return ["SET LOCAL session_replication_role = replica;", *sql] if sql else sql

    DatabaseOperations.sql_flush = sql_flush


@pytest.fixture
def demo_data(db):
    """The demo seed, as `make run` loads it (it refuses to run with DEBUG off, as tests are)."""
    from django.test import override_settings

    from releasehub.demo.seed import seed_demo

    factories.require_clock_mark("the demo seed")
    with override_settings(DEBUG=True):
        return seed_demo()


@pytest.fixture
def redis_url() -> str:
    need("Redis", _redis_reachable())
    return settings.REDIS_URL


@pytest.fixture
def postgres() -> None:
    need("PostgreSQL", settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql")


@pytest.fixture(scope="session")
def browser() -> Iterator:
    need("Chromium", os.access(CHROMIUM, os.X_OK) and shutil.which(CHROMIUM) is not None)
    # Playwright's sync API runs an event loop in this thread; the ORM calls that the test makes
    # between browser steps are still plain synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=BROWSER_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class BrowserPage:
    """A Playwright page that fails the test on any console error (CSP violations included) and
    on any WCAG 2.1 A/AA violation that axe-core finds in a document it shows.

    axe (tests/browser/vendor/axe-core) runs once per document: when it has loaded (goto,
    reload, login and a click that navigates alike) and, for the one still shown, at teardown
    (`new_page`). goto, reload and login fail at once; the others at teardown. It is evaluated
    over the DevTools protocol, which the page's strict CSP does not govern (a <script> tag,
    add_script_tag's way, would be refused). A document the test leaves before its run ends goes
    unchecked: wait for the next page's content, as the tests do, and it has ended.
    """

    AXE_SOURCE = Path(__file__).parent / "browser" / "vendor" / "axe-core" / "axe.min.js"
    AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
    # htmx fades a section while its poll is in flight (.htmx-request): axe would read the faded
    # colours. A check waits until nothing is in flight or animating, and runs again if a
    # request started meanwhile (the page's htmx:beforeRequest count, kept from injection).
    AXE_WATCH = """document.addEventListener("htmx:beforeRequest", () => {
      window.__axeRequests = (window.__axeRequests || 0) + 1;
    });"""
    AXE_QUIET = """() => !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")
      && !document.getAnimations().some(a => a.playState === "running")"""
    # One run per document however many callers ask (the load handler and goto overlap), and a
    # fresh one at teardown, when htmx may have swapped in new content.
    AXE_RUN = """async ([tags, fresh]) => {
      if (fresh && window.__axeRun) await window.__axeRun.catch(() => null);
      const before = window.__axeRequests;
      if (fresh || !window.__axeRun) {
        window.__axeRun = axe.run(document, {runOnly: {type: "tag", values: tags}});
      }
      const result = await window.__axeRun;
      return {disturbed: window.__axeRequests !== before, violations: result.violations.map(
        v => `${v.id} (${v.impact}): ${v.help}\\n    ` +
          v.nodes.map(n => n.target.join(" ")).join("\\n    "))};
    }"""
    _axe_inject: str | None = None

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.errors: list[str] = []
        self.violations: dict[str, list[str]] = {}  # by document URL
        self.checked: list[str] = []  # the URL of each run
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("load", self._check_loaded)

    def __getattr__(self, name: str):
        return getattr(self.page, name)

    def _check_loaded(self, _page) -> None:
        from playwright.sync_api import Error

        try:
            self.check_accessibility()
        except Error as error:  # the test went on to another document, or ended
            if "destroyed" not in error.message and "closed" not in error.message:
                raise

    def check_accessibility(self, *, fresh: bool = False) -> list[str]:
        """Run axe on the document shown now (once, unless fresh); record its violations."""
        url = self.page.url
        if self.page.is_closed() or not url.startswith(self.base_url):
            return []
        if BrowserPage._axe_inject is None:  # in one step: the load handler and goto overlap
            source = self.AXE_SOURCE.read_text()
            BrowserPage._axe_inject = f"if (!window.axe) {{\n{source}\n;{self.AXE_WATCH}\n}}"
        if not self.page.evaluate("!!window.axe"):
            self.page.evaluate(BrowserPage._axe_inject)
        for _ in range(5):
            self.page.wait_for_function(self.AXE_QUIET)
            result = self.page.evaluate(self.AXE_RUN, [self.AXE_TAGS, fresh])
            if not result["disturbed"]:
                break
            fresh = True
        found = result["violations"]
        self.checked.append(url)
        if found:
            self.violations[url] = found
        return found

    def assert_accessible(self) -> None:
        self.check_accessibility()
        report, self.violations = self.violations, {}
        assert not report, "axe-core found WCAG 2.1 A/AA violations:\n" + "\n".join(
            f"{url}\n  " + "\n  ".join(lines) for url, lines in report.items()
        )

    def goto(self, url: str, **kwargs):
        response = self.page.goto(url, **kwargs)
        self.assert_accessible()
        return response

    def reload(self, **kwargs):
        response = self.page.reload(**kwargs)
        self.assert_accessible()
        return response

    def login(self, username: str, password: str | None = None) -> None:
        self.page.goto(f"{self.base_url}/accounts/login/")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password or settings.DEMO_PASSWORD)
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_load_state()
        self.assert_accessible()


def _not_aborts(errors: list[str]) -> list[str]:
    """htmx logs a request it aborted on purpose (a row action replacing a poll in flight,
    hx-sync "replace") as the errors afterRequest + sendAbort; a failed request (sendError,
    responseError) still counts."""
    aborts = sum(e.startswith("htmx:sendAbort") for e in errors)
    kept, paired = [], 0
    for error in errors:
        if error.startswith("htmx:sendAbort"):
            continue
        if error.startswith("htmx:afterRequest") and paired < aborts:
            paired += 1
            continue
        kept.append(error)
    return kept


@pytest.fixture
def new_page(browser, live_server):
    """A factory of isolated browser pages (one per person) against the live server."""
    contexts = []
    pages: list[BrowserPage] = []

    def make() -> BrowserPage:
        context = browser.new_context(base_url=live_server.url, timezone_id="Asia/Kolkata")
        # A ceiling for waits on a state, not a guess of how long a step takes: on a loaded
        # 2-core machine a poll can take seconds, and a passing wait returns at once.
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        # The page's clock starts where the server's (fixed, ticking) clock stands, so that
        # countdowns agree with the server; timers then run as usual.
        context.clock.install(time=timezone.now())
        context.clock.resume()
        contexts.append(context)
        page = BrowserPage(context.new_page(), live_server.url)
        pages.append(page)
        return page

    yield make
    for page in pages:
        if not page.is_closed():
            page.clock.resume()  # a test may have paused the page's timers, which axe needs
            page.check_accessibility(fresh=True)  # the document each person ended on
    # Read before closing: closing aborts a poll in flight, which htmx logs as an error.
    errors = [e for p in pages for e in _not_aborts(p.errors)]
    for context in contexts:
        context.close()
    assert not errors, f"browser console errors: {errors}"
    for page in pages:
        page.assert_accessible()


@pytest.fixture
def page(new_page) -> BrowserPage:
    return new_page()


@pytest.fixture
def celery_worker(transactional_db, redis_url):
    """A real Celery worker thread consuming from Redis."""
    from celery.contrib.testing.worker import start_worker

    from releasehub.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker
