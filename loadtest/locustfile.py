"""Release-day load on ReleaseHub: locust users that behave like the people who keep it open.

Run by loadtest/run.py (`make loadtest`), which prepares the database and the plan (LOAD_PLAN),
starts gunicorn and a worker, and picks the scenario (LOAD_SCENARIO):

- `live`: open live pages polling at their intervals (LIVE_POLL_SECONDS, from the plan): the
  board (every 2 s), the Go/No-Go panel (3 s) and the dashboard (20 s), 4:4:2.
- `mixed`: RMs reading, reps and SRE polling and signing off, QA polling and logging smoke,
  leadership on metrics and the dashboard.
- `crowd`: readers loading pages while LOAD_CROWD people sign in within 10 s.

Every user signs in (a real POST to the sign-in form, PBKDF2 and all) before the timed part:
the clock (LOAD_SECONDS) starts and the statistics are reset once all have. A poll sends the
version its fragment carries (`since` in hx-vals), as htmx does, so a server that answers 204
when nothing changed is measured as such. At the end the successful writes are written to
LOAD_WRITES for the invariant check, and the summary to LOAD_RESULTS.
"""

import datetime as dt
import html
import itertools
import json
import os
import random
import re
import statistics
import time
import uuid
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path

import gevent
from gevent.event import Event
from gevent.lock import Semaphore
from locust import FastHttpUser, constant_pacing, events, task
from locust.contrib.fasthttp import FastHttpSession
from locust.env import Environment

PLAN = json.loads(Path(os.environ["LOAD_PLAN"]).read_text())
SCENARIO = os.environ.get("LOAD_SCENARIO", "mixed")
SECONDS = float(os.environ.get("LOAD_SECONDS", "60"))
CROWD = int(os.environ.get("LOAD_CROWD", "40"))
CROWD_WINDOW = 10.0
FINISH_SECONDS = 5.0
POLL = PLAN["poll"]
NEXT, LIVE = PLAN["next"], PLAN["live"]
HX = {"HX-Request": "true"}
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HX_TOKEN = re.compile(r"X-CSRFToken&quot;: &quot;([^&]+)&quot;|\"X-CSRFToken\": \"([^\"]+)\"")
SINCE_ATTRIBUTE = re.compile(r'data-live-since="([^"]*)"')
VALS = re.compile(r"""hx-vals=(?:'([^']*)'|"([^"]*)")""")

signed_in = 0
everyone_in = Event()
# Writes that succeeded (a plain form POST answered with its redirect), by kind.
writes: dict[str, int] = {"signoff": 0, "smoke": 0}
# (start, name, ms) of every request, for the crowd's window.
timeline: list[tuple[float, str, float]] = []
crowd_span: list[float] = []
started_users: list[int] = []
stopping = Event()
timed_from: list[str] = []
names = {key: itertools.cycle(users) for key, users in PLAN["users"].items()}
# Two users with one name are one person with two tabs: one sign-in, the session shared.
sessions: dict[str, tuple[CookieJar, str]] = {}
locks: dict[str, Semaphore] = {}


def since_of(body: str) -> tuple[dict[str, str], dict[str, str]]:
    """What htmx and static/js/app.js send with the next poll: the version the fragment carries
    (data-live-since as the ReleaseHub-Since header, or `since` in hx-vals)."""
    if found := SINCE_ATTRIBUTE.search(body):
        return {}, {"ReleaseHub-Since": html.unescape(found.group(1))}
    for match in VALS.finditer(body):
        try:
            values = json.loads(html.unescape(match.group(1) or match.group(2)))
        except ValueError:
            continue
        if isinstance(values, dict) and "since" in values:
            return {k: str(v) for k, v in values.items()}, {}
    return {}, {}


class Person(FastHttpUser):
    abstract = True
    role = ""
    interval = 0.0  # seconds between a live page's polls; the phase is drawn in it
    host = os.environ.get("LOAD_HOST", "http://127.0.0.1:8000")

    def on_start(self) -> None:
        global signed_in
        self.username = next(names[self.role])
        session(self.client)
        with locks.setdefault(self.username, Semaphore()):
            if self.username not in sessions:
                token = sign_in(self.client, self.username)
                sessions[self.username] = (self.client.cookiejar, token)
        jar, self.token = sessions[self.username]
        if jar is not self.client.cookiejar:
            for cookie in list(jar):
                self.client.cookiejar.set_cookie(cookie)
        self.since: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
        self.open_pages()
        signed_in += 1
        everyone_in.wait()
        # People opened their pages at different moments: each starts at a random point of its
        # interval, as browsers do, not all 500 in the same instant every 2 s.
        gevent.sleep(random.uniform(0, self.interval))

    def open_pages(self) -> None:
        """Before the timed part: what a person's browser has open renders once (the first poll
        of a section whose version it does not know yet), so the timed part measures open pages
        polling, not 500 pages opened in the same second."""

    def poll(self, name: str, url: str) -> None:
        """What htmx does every N seconds: GET with HX-Request and the version last seen."""
        if stopping.is_set():
            return
        params, headers = self.since.get(url, ({}, {}))
        with self.client.get(
            url,
            params=params,
            headers={**HX, **headers},
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 200:
                self.since[url] = since_of(response.text or "")
            elif response.status_code not in (204, 304):
                response.failure(f"{response.status_code}")

    def page(self, name: str, url: str) -> None:
        if stopping.is_set():
            return
        with self.client.get(
            url, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:  # a redirect to the sign-in page is a failure too
                response.failure(f"{response.status_code}")

    def write(self, kind: str, name: str, url: str, data: dict) -> None:
        if stopping.is_set():
            return
        data = {**data, "csrfmiddlewaretoken": self.token}
        with self.client.post(
            url, data=data, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code == 302:
                writes[kind] += 1
                response.success()
            elif response.status_code in (400, 409):
                response.success()  # refused with a message (a conflict); nothing written
            else:
                response.failure(f"{response.status_code}")


class PlainHttp(DefaultCookiePolicy):
    """With DEBUG off the cookies are Secure; the stack under test speaks plain HTTP locally."""

    def return_ok_secure(self, cookie, request) -> bool:
        return True


def session(client):
    client.cookiejar.set_policy(PlainHttp())
    return client


def sign_in(client, username: str) -> str:
    """A real sign-in; returns the CSRF token of the signed-in session."""
    form = client.get("/accounts/login/", name="sign-in form")
    token = TOKEN.search(form.text or "")
    client.post(
        "/accounts/login/",
        allow_redirects=False,
        data={
            "username": username,
            "password": PLAN["password"],
            "csrfmiddlewaretoken": token.group(1) if token else "",
        },
        headers={"Referer": client.base_url + "/accounts/login/"},
        name="sign-in",
    )
    page = client.get("/", name="sign-in dashboard")
    found = HX_TOKEN.search(page.text or "")
    if not found or "/accounts/login/" in (page.url or ""):
        raise RuntimeError(f"{username} could not sign in ({page.status_code})")
    return found.group(1) or found.group(2)


# Scenario a: live pages -------------------------------------------------------------------------


class BoardWatcher(Person):
    role = "sre"
    weight = 4
    interval = POLL["board"]
    wait_time = constant_pacing(interval)

    def open_pages(self) -> None:
        self.poll("open: poll board", f"/releases/{LIVE}/rollout/")

    @task
    def board(self) -> None:
        self.poll("poll board", f"/releases/{LIVE}/rollout/")


class GoNoGoWatcher(Person):
    role = "rep-patient"
    weight = 4
    interval = POLL["go_no_go"]
    wait_time = constant_pacing(interval)

    def open_pages(self) -> None:
        self.poll("open: poll go/no-go panel", f"/releases/{NEXT}/go-no-go/panel/")

    @task
    def panel(self) -> None:
        self.poll("poll go/no-go panel", f"/releases/{NEXT}/go-no-go/panel/")


class DashboardWatcher(Person):
    role = "leader"
    weight = 2
    interval = POLL["dashboard"]
    wait_time = constant_pacing(interval)

    def open_pages(self) -> None:
        self.poll("open: poll dashboard", "/")

    @task
    def dashboard(self) -> None:
        self.poll("poll dashboard", "/")


# Scenario b: mixed users ------------------------------------------------------------------------


class ReleaseManager(Person):
    role = "rm"
    weight = 8
    interval = 5
    wait_time = constant_pacing(interval)

    @task(3)
    def release(self) -> None:
        self.page("release page", f"/releases/{NEXT}/")

    @task(2)
    def go_no_go(self) -> None:
        self.page("go/no-go page", f"/releases/{NEXT}/go-no-go/")

    @task(2)
    def dashboard(self) -> None:
        self.page("dashboard", "/")

    @task(1)
    def releases(self) -> None:
        self.page("release list", "/releases/")

    @task(1)
    def live_release(self) -> None:
        self.page("release page", f"/releases/{LIVE}/")


class SquadRep(Person):
    weight = 18
    interval = POLL["go_no_go"]
    wait_time = constant_pacing(interval)

    def on_start(self) -> None:
        self.role = random.choice([k for k in PLAN["users"] if k.startswith("rep-")])
        super().on_start()

    @task(12)
    def panel(self) -> None:
        self.poll("poll go/no-go panel", f"/releases/{NEXT}/go-no-go/panel/")

    @task(1)
    def sign(self) -> None:
        self.write(
            "signoff",
            "sign off",
            f"/releases/{NEXT}/go-no-go/sign/",
            {"slot": PLAN["slots"][self.role], "decision": "go", "comment": f"load {uuid.uuid4()}"},
        )


class Sre(Person):
    role = "sre"
    weight = 10
    interval = POLL["board"]
    wait_time = constant_pacing(interval)

    @task(20)
    def board(self) -> None:
        self.poll("poll board", f"/releases/{LIVE}/rollout/")

    @task(2)
    def timed(self) -> None:
        self.poll("poll timed actions", "/timed-actions/")

    @task(1)
    def sign(self) -> None:
        self.write(
            "signoff",
            "sign off",
            f"/releases/{NEXT}/go-no-go/sign/",
            {"slot": PLAN["slots"]["sre"], "decision": "go", "comment": f"load {uuid.uuid4()}"},
        )


class Qa(Person):
    role = "qa"
    weight = 6
    interval = POLL["smoke"]
    wait_time = constant_pacing(interval)

    @task(6)
    def smoke_panel(self) -> None:
        self.poll("poll smoke panel", f"/releases/{LIVE}/readiness/smoke/status/")

    @task(1)
    def log_smoke(self) -> None:
        self.write(
            "smoke",
            "log smoke",
            f"/releases/{LIVE}/readiness/smoke/",
            {"item": random.choice(PLAN["smoke_items"]), "outcome": "passed", "notes": ""},
        )


class Leader(Person):
    role = "leader"
    weight = 8
    interval = 10
    wait_time = constant_pacing(interval)

    @task(2)
    def metrics(self) -> None:
        self.page("metrics", "/metrics/")

    @task(1)
    def dashboard(self) -> None:
        self.page("dashboard", "/")


# Scenario c: readers while a crowd signs in ----------------------------------------------------


class Reader(Person):
    role = "rm"
    interval = 1
    wait_time = constant_pacing(interval)

    @task(2)
    def release(self) -> None:
        self.page("release page", f"/releases/{NEXT}/")

    @task(3)
    def panel(self) -> None:
        self.poll("poll go/no-go panel", f"/releases/{NEXT}/go-no-go/panel/")

    @task(3)
    def board(self) -> None:
        self.poll("poll board", f"/releases/{LIVE}/rollout/")


SCENARIOS = {
    "live": [BoardWatcher, GoNoGoWatcher, DashboardWatcher],
    "mixed": [ReleaseManager, SquadRep, Sre, Qa, Leader],
    "crowd": [Reader],
}
for _name, _classes in SCENARIOS.items():
    for _cls in _classes:
        _cls.abstract = _name != SCENARIO
del _name, _classes, _cls  # locust runs every User class it finds at module level


def crowd_sign_in(env: Environment) -> None:
    """CROWD new sign-ins spread over 10 s, each with its own connection."""
    pool = itertools.cycle(PLAN["users"]["support"] + PLAN["users"]["leader"])
    began = time.time()
    crowd_span.append(began)

    def one(delay: float, username: str) -> None:
        gevent.sleep(delay)
        client = session(
            FastHttpSession(
                Person.host,
                env.events.request,
                user=None,
                connection_timeout=60.0,
                network_timeout=60.0,
            )
        )
        try:
            sign_in(client, username)
        except Exception as exc:  # every failed sign-in is an error of the run
            env.events.request.fire(
                request_type="POST",
                name="sign-in (crowd)",
                response_time=0,
                response_length=0,
                exception=exc,
            )

    gevent.joinall([gevent.spawn(one, CROWD_WINDOW * n / CROWD, next(pool)) for n in range(CROWD)])
    crowd_span.append(time.time())


def conductor(env: Environment) -> None:
    """Wait for every user's sign-in, reset the statistics, run for SECONDS, stop."""
    runner = env.runner
    assert runner is not None
    while runner.user_count < runner.target_user_count or signed_in < runner.user_count:
        gevent.sleep(0.2)
    print(f"loadtest: {signed_in} users signed in; timed part starts ({SECONDS:.0f} s)")
    started_users.append(runner.user_count)
    env.stats.reset_all()
    timeline.clear()
    writes.update(dict.fromkeys(writes, 0))
    timed_from.append(dt.datetime.now(dt.UTC).isoformat())
    everyone_in.set()
    if SCENARIO == "crowd":
        gevent.sleep(min(10.0, SECONDS / 3))
        gevent.spawn(crowd_sign_in, env)
    gevent.sleep(SECONDS)
    # No new requests; the ones in flight finish, so every write the server made is counted.
    stopping.set()
    gevent.sleep(FINISH_SECONDS)
    runner.quit()


@events.request.add_listener
def _record(name, response_time, start_time=None, **kwargs) -> None:
    timeline.append((start_time or time.time(), name, response_time))


@events.test_start.add_listener
def _start(environment: Environment, **kwargs) -> None:
    gevent.spawn(conductor, environment)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


@events.quitting.add_listener
def _summary(environment: Environment, **kwargs) -> None:
    stats = environment.stats
    duration = max(1e-9, min(SECONDS, stats.total.last_request_timestamp - stats.total.start_time))
    rows = {}
    for (name, method), entry in sorted(stats.entries.items()):
        rows[f"{method} {name}"] = {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "rps": round(entry.num_requests / duration, 1),
            "p50": entry.get_response_time_percentile(0.5),
            "p95": entry.get_response_time_percentile(0.95),
            "p99": entry.get_response_time_percentile(0.99),
            "max": round(entry.max_response_time),
        }
    total = stats.total
    result = {
        "scenario": SCENARIO,
        "users": started_users[0] if started_users else 0,
        "seconds": round(duration, 1),
        "requests": total.num_requests,
        "failures": total.num_failures,
        "rps": round(total.num_requests / duration, 1),
        "p50": total.get_response_time_percentile(0.5),
        "p95": total.get_response_time_percentile(0.95),
        "p99": total.get_response_time_percentile(0.99),
        "kinds": rows,
        "errors": {f"{e.method} {e.name}: {e.error}": e.occurrences for e in stats.errors.values()},
        "writes": writes,
    }
    if len(crowd_span) == 2:
        start, end = crowd_span
        during = [ms for at, name, ms in timeline if start <= at <= end and "sign-in" not in name]
        before = [ms for at, name, ms in timeline if at < start and "sign-in" not in name]
        signing = [ms for at, name, ms in timeline if name == "sign-in" and at >= start]
        result["crowd"] = {
            "sign_ins": len(signing),
            "sign_in_p50": round(statistics.median(signing)) if signing else None,
            "sign_in_max": round(max(signing)) if signing else None,
            "others_before_p95": round(percentile(before, 0.95)),
            "others_during_requests": len(during),
            "others_during_p95": round(percentile(during, 0.95)),
            "others_during_max": round(max(during)) if during else None,
            "window_s": round(end - start, 1),
        }
    with open(os.environ.get("LOAD_WRITES", "/dev/null"), "w") as f:
        json.dump({"since": timed_from[0] if timed_from else None, "counts": writes}, f)
    with open(os.environ.get("LOAD_RESULTS", "/dev/null"), "w") as f:
        json.dump(result, f, indent=1)
