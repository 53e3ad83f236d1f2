"""The API over real HTTP against the live server: idempotent retries (also ten at once, on
PostgreSQL, where the unique index is the lock), the rate limit counted in Redis, and the
pipeline client scripts/releasehub-report run as a subprocess."""

import datetime as dt
import http.server
import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from releasehub.api.models import IdempotencyRecord
from releasehub.api.scopes import Scope
from releasehub.audit.models import TimelineEvent
from releasehub.releases.models import ScopeTicket
from releasehub.rollout.models import RolloutStep
from tests.factories import readiness_reference_data, release_in, rollout_release

pytestmark = [pytest.mark.clock, pytest.mark.django_db(transaction=True)]

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "releasehub-report"
TICKET = {"key": "PAT-900", "title": "Faster booking", "squad": "patient"}


def call(base: str, secret: str, method: str, path: str, body=None, key: str | None = None):
    """(status, headers, decoded body) of one real HTTP request."""
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read() or b"null")


@pytest.fixture
def pipeline(release, integration_token):  # after `release`: the machine needs the squads
    _, api = integration_token(scopes=[Scope.SCOPE_WRITE, Scope.RELEASES_READ])
    return api.secret


@pytest.fixture
def release():
    readiness_reference_data()  # squads: transactional tests flush them
    return release_in(21)  # far from any freeze, whatever instant the run is at


def _tickets_url(live_server, release) -> str:
    return f"{live_server.url}/api/v1/releases/{release.version}/tickets"


@pytest.mark.postgres
def test_a_retried_write_with_the_same_key_writes_once(postgres, live_server, pipeline, release):
    url = _tickets_url(live_server, release)
    first = call(url, pipeline, "POST", "", TICKET, key="run-1/add")
    again = call(url, pipeline, "POST", "", TICKET, key="run-1/add")
    assert first[0] == again[0] == 201
    assert again[2] == first[2] and again[1]["Idempotent-Replayed"] == "true"
    assert ScopeTicket.objects.filter(release=release).count() == 1
    assert TimelineEvent.objects.filter(verb="scope.ticket_added").count() == 1
    # Without the key the retry asks again, and the rule refuses a second PAT-900.
    assert call(url, pipeline, "POST", "", TICKET)[0] == 409


@pytest.mark.postgres
def test_ten_identical_requests_at_once_write_once_and_get_one_answer(
    postgres, live_server, pipeline, release
):
    url = _tickets_url(live_server, release)
    start = threading.Barrier(10)
    answers: list = []

    def send() -> None:
        start.wait()
        status, _, body = call(url, pipeline, "POST", "", TICKET, key="run-2/add")
        answers.append((status, body))

    threads = [threading.Thread(target=send) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == 10
    assert {status for status, _ in answers} == {201}
    assert all(body == answers[0][1] for _, body in answers)
    assert ScopeTicket.objects.filter(release=release).count() == 1
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.postgres
def test_the_same_key_with_another_body_is_a_422(postgres, live_server, pipeline, release):
    url = _tickets_url(live_server, release)
    assert call(url, pipeline, "POST", "", TICKET, key="run-3/add")[0] == 201
    other = call(url, pipeline, "POST", "", {**TICKET, "key": "PAT-901"}, key="run-3/add")
    assert other[0] == 422 and "another request" in other[2]["detail"]
    assert list(ScopeTicket.objects.values_list("key", flat=True)) == ["PAT-900"]


@pytest.mark.redis
@override_settings(API_RATE_LIMIT="3/min")
def test_the_rate_limit_is_counted_in_redis_over_http(redis_url, live_server, personal_token):
    from releasehub.accounts.models import Role
    from tests.factories import user_with

    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    cache.clear()  # Redis db 8 outlives test databases, whose token ids start over
    _, api = personal_token(user_with(Role.LEADERSHIP))
    minute = timezone.now().replace(second=5, microsecond=0) + dt.timedelta(minutes=1)
    base = f"{live_server.url}/api/v1/releases"
    with time_machine.travel(minute, tick=False):
        assert [call(base, api.secret, "GET", "")[0] for _ in range(3)] == [200] * 3
        status, headers, body = call(base, api.secret, "GET", "")
    assert status == 429 and headers["Retry-After"] == "55"
    assert body["status"] == 429 and headers["Content-Type"] == "application/problem+json"


# The pipeline client ---------------------------------------------------------------------------


def report(live_server, secret: str, *args: str, env: dict | None = None):
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--url", live_server.url, "--token", secret, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
    )


@pytest.fixture
def day(integration_token):
    release = rollout_release(["identity", "providers"], ["patient-web"])
    _, api = integration_token(scopes=[Scope.ROLLOUT_WRITE, Scope.RELEASES_READ])
    return release, api.secret


def test_the_client_reports_a_step_once_however_often_the_job_reruns(live_server, day):
    release, secret = day
    run = ["--release", release.version, "--service", "identity"]
    run += ["--run-url", "https://ci.example/runs/41"]
    first = report(live_server, secret, "staging-deployed", *run)
    assert first.returncode == 0, first.stderr
    again = report(live_server, secret, "staging-deployed", *run)
    assert again.returncode == 0 and json.loads(again.stdout) == json.loads(first.stdout)
    steps = RolloutStep.objects.filter(release=release, kind="staging_deployed")
    assert steps.count() == 1
    event = TimelineEvent.objects.filter(release=release).latest("pk")
    assert event.via_url == "https://ci.example/runs/41" and "API token" in event.via


def test_the_client_prints_the_rule_and_exits_1_on_a_refusal(live_server, day):
    release, secret = day
    refused = report(
        live_server,
        secret,
        "promotion-finished",
        "--release",
        release.version,
        "--service",
        "providers",
        "--run-url",
        "https://ci.example/runs/42",
    )
    assert refused.returncode == 1
    assert "409" in refused.stderr and "[rule:" in refused.stderr
    assert not RolloutStep.objects.filter(release=release, kind="promotion_finished").exists()


def test_the_client_exits_1_on_a_revoked_token(live_server, day, staff):
    from releasehub.api.models import ApiToken
    from releasehub.api.tokens import token_revoke

    release, secret = day
    token_revoke(token=ApiToken.objects.get(), actor=staff)
    result = report(live_server, secret, "get", "--release", release.version, "clock")
    assert result.returncode == 1 and "401" in result.stderr


def test_the_client_reads_the_clock(live_server, day):
    release, secret = day
    result = report(live_server, secret, "get", "--release", release.version, "clock")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["release"]["version"] == release.version


class _Flaky(http.server.BaseHTTPRequestHandler):
    """Answers 503 twice, then 201, recording each request's Idempotency-Key."""

    keys: list[str] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        _Flaky.keys.append(self.headers["Idempotency-Key"])
        status = 503 if len(_Flaky.keys) <= 2 else 201
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"status": status}).encode())

    def log_message(self, *args) -> None:
        pass


@pytest.mark.django_db(transaction=False)
def test_the_client_retries_a_5xx_with_the_same_key():
    _Flaky.keys = []
    server = http.server.HTTPServer(("127.0.0.1", 19507), _Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = subprocess.run(
            [
                *(sys.executable, str(SCRIPT), "--url", "http://127.0.0.1:19507", "--token", "t"),
                *("--backoff", "0.05", "promotion-started", "--release", "r1", "--service", "x"),
                *("--run-url", "https://ci.example/runs/9"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr
    assert len(_Flaky.keys) == 3 and len(set(_Flaky.keys)) == 1
    assert result.stderr.count("retrying") == 2
