"""Time the main pages and the htmx polls against the flags list (the trivial logged-in page).

On the configured database (refused when it holds real data, unless --force): the demo seed,
then history releases (`--releases 0 400` measures at demo size, then with 400 more). History
is never removed, so a demo-size figure needs a fresh database. Each page
is read by every role through the test client, interleaved with the flags list as the same
person, `--runs` times; the table shows the median, its ratio to the flags list, the queries
and bytes of one read, and the worst ratio over the roles that may read the page.

A poll is read as htmx asks for it ("changed": no version sent); when the fragment carries the
version it was rendered at (`data-live-since`, which static/js/app.js sends as the
ReleaseHub-Since header; or `since` in hx-vals or its hx-get), the poll is read again with it
("unchanged"), which should answer 204 with no body.
"""

import html
import json
import logging
import re
import statistics
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from releasehub.accounts.models import User
from releasehub.pages.management import benchdata
from releasehub.releases.models import Release

HX = {"HX-Request": "true"}
SINCE_ATTRIBUTE = re.compile(r'data-live-since="([^"]*)"')
SINCE_HEADER = "ReleaseHub-Since"
SINCE_IN_VALS = re.compile(r"""hx-vals=(?:'([^']*)'|"([^"]*)")""")
SINCE_IN_GET = re.compile(r"""hx-get=["']([^"']*[?&]since=[^"']*)["']""")


@dataclass
class Probe:
    """One URL read one way (page or poll) by each role that may read it."""

    name: str
    url: str
    htmx: bool = False
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    times: dict[str, list[float]] = field(default_factory=dict)
    queries: dict[str, int] = field(default_factory=dict)
    size: dict[str, int] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)
    # An "unchanged" poll's version is read again before each run: a rendering is kept only
    # LIVE_POLL_MAX_STALE/2 to LIVE_POLL_MAX_STALE seconds, and a whole run takes longer.
    version_from: tuple[Client, str] | None = None

    def refresh_version(self) -> None:
        if self.version_from:
            reader, url = self.version_from
            self.params, self.headers = poll_version(reader.get(url, headers=HX).content.decode())


def poll_version(body: str) -> tuple[dict[str, str], dict[str, str]]:
    """The query parameters and headers a polled fragment sends back with its next poll."""
    if found := SINCE_ATTRIBUTE.search(body):
        return {}, {SINCE_HEADER: html.unescape(found.group(1))}
    return version_params(body), {}


def version_params(body: str) -> dict[str, str]:
    """The `since` a polled fragment sends back: from hx-vals JSON or from its hx-get URL."""
    for match in SINCE_IN_VALS.finditer(body):
        try:
            values = json.loads(html.unescape(match.group(1) or match.group(2)))
        except ValueError:
            continue
        if isinstance(values, dict) and "since" in values:
            return {k: str(v) for k, v in values.items()}
    if found := SINCE_IN_GET.search(body):
        return dict(parse_qsl(urlsplit(html.unescape(found.group(1))).query))
    return {}


def median(probe: Probe, role: str) -> float:
    return statistics.median(probe.times[role])


class Command(BaseCommand):
    help = "Median time, queries and bytes of each main page and poll, as a ratio to /flags/."

    def add_arguments(self, parser):
        parser.add_argument(
            "--releases",
            type=int,
            nargs="+",
            default=[0],
            help="history releases on top of the demo; several sizes are measured in turn",
        )
        parser.add_argument("--runs", type=int, default=9)
        parser.add_argument(
            "--roles",
            nargs="+",
            choices=list(benchdata.ROLE_USERS),
            default=list(benchdata.ROLE_USERS),
            help="who reads the pages (the demo's person of each role)",
        )
        parser.add_argument("--force", action="store_true", help="run on a database with users")

    def handle(
        self, *args, releases: list[int], runs: int, roles: list[str], force: bool, **options
    ):
        benchdata.refuse_real_data(force=force)
        began = time.perf_counter()
        benchdata.seed()
        self.stdout.write(f"demo seeded in {time.perf_counter() - began:.1f} s")
        for size in releases:
            began = time.perf_counter()
            benchdata.ensure_history(size)
            self.stdout.write(
                f"history: {size} releases ready in {time.perf_counter() - began:.1f} s"
            )
            with override_settings(ALLOWED_HOSTS=["*"], SECURE_SSL_REDIRECT=False):
                self._measure(runs, roles)

    def _measure(self, runs: int, roles: list[str]) -> None:
        loggers = [logging.getLogger(name) for name in ("releasehub.refusals", "django.request")]
        levels = [logger.level for logger in loggers]
        for logger in loggers:
            logger.setLevel(logging.CRITICAL)
        try:
            self._measure_quietly(runs, roles)
        finally:
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)

    def _measure_quietly(self, runs: int, roles: list[str]) -> None:
        clients = self._clients(roles)
        pages, polls = self._probes(clients)
        flags = pages[0]
        everything = pages + polls
        # Warm templates and caches, count queries, and find who is refused or fails: the table
        # shows their status instead of their refusal or traceback at every read.
        for probe in everything:
            for role, client in clients.items():
                self._first(probe, role, client)
        for _ in range(runs):  # interleaved: a busy moment of the machine slows all alike
            for probe in polls:
                probe.refresh_version()
            for probe in everything:
                for role in probe.status:
                    if probe.status[role] < 400:
                        probe.times[role].append(self._time(clients[role], probe))
        total = Release.objects.count()
        self.stdout.write(
            f"\n{total} releases ({benchdata.database_label()}), median of {runs} runs; "
            "ratio: to /flags/ read by the same person"
        )
        header = f"{'page':<26}{'as':<8}{'median ms':>10}{'ratio':>8}{'queries':>9}{'bytes':>10}"
        self.stdout.write(header + "   worst ratio (as)")
        for probe in pages:
            self._row(probe, flags)
        self.stdout.write(f"\n{'poll (htmx)':<26}" + header[26:] + "   status   worst ratio (as)")
        for probe in polls:
            self._row(probe, flags, with_status=True)

    def _clients(self, roles: list[str]) -> dict[str, Client]:
        clients = {}
        for role in roles:
            username = benchdata.ROLE_USERS[role]
            # A page that fails (another change in flight) is a row with its status, not a stop.
            client = Client(raise_request_exception=False)
            client.force_login(User.objects.get(username=username))
            clients[role] = client
        return clients

    def _probes(self, clients: dict[str, Client]) -> tuple[list[Probe], list[Probe]]:
        rm = next(iter(clients.values()))
        # The version of a poll is read by someone who may poll it (timed actions: the SRE).
        sre = clients.get("sre", rm)
        t = benchdata.targets()
        nxt, live = t.next.code, t.live.code
        release_url = reverse("pages:release", args=[nxt])
        pages = [
            Probe("flags (trivial)", reverse("flags:list")),
            Probe("dashboard", reverse("pages:dashboard")),
            Probe("release list", reverse("releases:list")),
            Probe("release page (next)", release_url),
            Probe("release page (live)", reverse("pages:release", args=[live])),
            *self._stages(rm, release_url),
            Probe("go/no-go (next)", reverse("readiness:page", args=[nxt])),
            Probe("board (live)", reverse("rollout:board", args=[live])),
            Probe("timed actions", reverse("schedule:overview")),
            Probe("metrics", reverse("metrics:page")),
            Probe("changelog", reverse("comms:changelog")),
        ]
        polls = [
            ("board", reverse("rollout:board", args=[live])),
            ("go/no-go panel", reverse("readiness:panel", args=[nxt])),
            ("smoke panel", reverse("readiness:smoke_panel", args=[live])),
            ("timed actions", reverse("schedule:overview")),
            ("dashboard", reverse("pages:dashboard")),
        ]
        probes = []
        for name, url in polls:
            changed = Probe(f"{name}: changed", url, htmx=True)
            probes.append(changed)
            reader = sre if url == reverse("schedule:overview") else rm
            params, headers = poll_version(reader.get(url, headers=HX).content.decode())
            if params or headers:
                probes.append(
                    Probe(
                        f"{name}: unchanged",
                        url,
                        htmx=True,
                        params=params,
                        headers=headers,
                        version_from=(reader, url),
                    )
                )
            else:
                probes.append(Probe(f"{name}: unchanged", "", htmx=True))  # not supported
        return pages, probes

    def _stages(self, rm: Client, release_url: str) -> list[Probe]:
        """Each stage of the release page that has its own URL (found in the page's links)."""
        body = rm.get(release_url).content.decode()
        urls = dict.fromkeys(re.findall(rf'href="({re.escape(release_url)}stages/[\w-]+/)"', body))
        return [Probe(f"  stage {url.rstrip('/').rsplit('/', 1)[1]}", url) for url in urls]

    def _first(self, probe: Probe, role: str, client: Client) -> None:
        if not probe.url:
            return
        self._get(client, probe)
        with CaptureQueriesContext(connection) as queries:
            response = self._get(client, probe)
        probe.status[role] = response.status_code
        probe.queries[role] = len(queries)
        probe.size[role] = len(response.content)
        probe.times[role] = []

    def _get(self, client: Client, probe: Probe):
        return client.get(
            probe.url, probe.params, headers={**HX, **probe.headers} if probe.htmx else None
        )

    def _time(self, client: Client, probe: Probe) -> float:
        began = time.perf_counter()
        self._get(client, probe)
        return time.perf_counter() - began

    def _row(self, probe: Probe, flags: Probe, *, with_status: bool = False) -> None:
        if not probe.url:
            self.stdout.write(f"{probe.name:<26}not supported (the fragment carries no version)")
            return
        # A ratio needs the flags list read by the same person (it fails, say, with DEBUG off
        # and no collectstatic: every page then answers 500).
        readable = [r for r in probe.times if probe.times[r] and flags.times.get(r)]
        if not readable:
            self.stdout.write(f"{probe.name:<26}not measured (status by role): {probe.status}")
            return
        ratios = {r: median(probe, r) / median(flags, r) for r in readable}
        role = "rm" if "rm" in readable else readable[0]
        worst = max(ratios, key=ratios.__getitem__)
        status = f"{probe.status[role]:>9}" if with_status else ""
        self.stdout.write(
            f"{probe.name:<26}{role:<8}{median(probe, role) * 1000:>10.1f}{ratios[role]:>7.2f}x"
            f"{probe.queries[role]:>9}{probe.size[role]:>10,}{status}   "
            f"{ratios[worst]:.2f}x ({worst})"
        )
