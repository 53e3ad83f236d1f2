"""A real Prometheus (Debian's /usr/bin/prometheus) on its own port, with a temporary config and
data dir, scraping every second a small exporter in this process whose request latency and
error figures the test sets per service (the labels the catalog's default rules read).

Waits are on Prometheus's own state (its targets API, a query's answer), never a guessed sleep.
Prometheus's clock is the real one: the gates query "now", so a test may move Python's clock.
"""

import json
import os
import random
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

from tests.conftest import need

PROMETHEUS = os.environ.get("PROMETHEUS_PATH", "/usr/bin/prometheus")
# This suite's own ports (19090-19099): Prometheus, the exporter, a Prometheus to stop.
PROMETHEUS_PORT, EXPORTER_PORT, DOOMED_PROMETHEUS_PORT = 19090, 19091, 19092
WAIT_SECONDS = 60


class Exporter:
    """Request traffic per service: each tick adds requests at the service's latency, a share
    of them answered 500. Rates need counters that keep increasing, so a thread keeps ticking."""

    def __init__(self, port: int) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Request latency",
            ["service"],
            registry=self.registry,
            buckets=(0.05, 0.1, 0.2, 0.3, 0.4, 0.6, 1.0, 2.0),
        )
        self.requests = Counter(
            "http_requests", "Requests", ["service", "code"], registry=self.registry
        )
        self.profiles: dict[str, tuple[float, float]] = {}
        self.port = port
        self._stop = threading.Event()
        self.server, self._server_thread = start_http_server(
            port, addr="127.0.0.1", registry=self.registry
        )
        self._ticker = threading.Thread(target=self._tick_forever, daemon=True)
        self._ticker.start()

    def serve(self, service: str, *, latency: float, error_ratio: float = 0.0) -> None:
        self.profiles[service] = (latency, error_ratio)

    def _tick_forever(self) -> None:
        while not self._stop.wait(0.1):
            for service, (latency, error_ratio) in list(self.profiles.items()):
                for _ in range(20):
                    self.latency.labels(service).observe(latency * random.uniform(0.9, 1.1))
                    code = "500" if random.random() < error_ratio else "200"
                    self.requests.labels(service, code).inc()

    def close(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()


class Prometheus:
    def __init__(self, port: int, targets: list[str], workdir: Path) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        workdir.mkdir(parents=True, exist_ok=True)
        config = workdir / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: exporter\n    static_configs:\n"
            f"      - targets: {json.dumps(targets)}\n"
        )
        self.log = (workdir / "prometheus.log").open("w")
        self.process = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--log.level=warn",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait(lambda: self._targets_up(len(targets)), "its targets to be up")

    def _api(self, path: str, **params: str) -> dict:
        url = f"{self.url}{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=2) as response:
            return json.load(response)

    def _targets_up(self, count: int) -> bool:
        try:
            active = self._api("/api/v1/targets")["data"]["activeTargets"]
        except OSError:
            return False
        return sum(t["health"] == "up" for t in active) == count

    def value(self, expression: str) -> float | None:
        result = self._api("/api/v1/query", query=expression)["data"]["result"]
        if not result:
            return None
        value = float(result[0]["value"][1])
        return None if value != value else value  # NaN: no traffic yet

    def wait(self, ready: Callable[[], bool], what: str) -> None:
        """Poll Prometheus's state until `ready`, or fail saying what never came."""
        deadline = time.monotonic() + WAIT_SECONDS
        while not ready():
            if self.process.poll() is not None:
                pytest.fail(f"Prometheus exited ({self.process.returncode}) waiting for {what}")
            if time.monotonic() > deadline:
                pytest.fail(f"Prometheus: no {what} after {WAIT_SECONDS} s")
            time.sleep(0.2)

    def wait_value(self, expression: str, ready: Callable[[float], bool], what: str) -> float:
        found: list[float] = []

        def check() -> bool:
            value = self.value(expression)
            if value is not None and ready(value):
                found.append(value)
                return True
            return False

        self.wait(check, what)
        return found[0]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.log.close()


def prometheus_available() -> None:
    need(f"Prometheus at {PROMETHEUS}", os.access(PROMETHEUS, os.X_OK))


@pytest.fixture(scope="module")
def exporter() -> Iterator[Exporter]:
    prometheus_available()
    started = Exporter(EXPORTER_PORT)
    yield started
    started.close()


@pytest.fixture(scope="module")
def prometheus(exporter, tmp_path_factory) -> Iterator[Prometheus]:
    server = Prometheus(
        PROMETHEUS_PORT, [f"127.0.0.1:{exporter.port}"], tmp_path_factory.mktemp("prometheus")
    )
    yield server
    server.stop()


@pytest.fixture
def doomed_prometheus(exporter, tmp_path) -> Iterator[Prometheus]:
    """A Prometheus of its own, which the test stops."""
    server = Prometheus(DOOMED_PROMETHEUS_PORT, [f"127.0.0.1:{exporter.port}"], tmp_path)
    yield server
    server.stop()
