"""A real Alertmanager (Debian's prometheus-alertmanager) sending to the live server: an alert for
payments during its monitoring window marks the window unhealthy and holds the next promotion;
its resolution is recorded. Plus the receiver's own rules over plain HTTP."""

import datetime as dt
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from releasehub.audit.models import TimelineEvent
from releasehub.releases.models import Release
from releasehub.rollout.errors import RolloutError
from releasehub.rollout.models import Anomaly, RolloutStep, Step
from releasehub.rollout.services.promotion import service_step_record
from releasehub.webhooks.models import Alert, AlertStatus
from tests.conftest import need
from tests.factories import UserFactory, rollout_release, service
from tests.rollout.conftest import fire_due
from tests.rollout.test_release_day import promote, staged

ALERTMANAGER = os.environ.get("ALERTMANAGER_PATH", "/usr/bin/prometheus-alertmanager")
PORT = 19300
TOKEN = "am-token-for-tests"
WAIT_SECONDS = 30


def http(method: str, url: str, body=None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def wait_for(what: str, check, seconds: float = WAIT_SECONDS):
    """Poll a real external process's effect (bounded); the clock is not moved for it."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.2)
    pytest.fail(f"Timed out after {seconds} s waiting for {what}")


@pytest.fixture
def alertmanager(live_server, settings, tmp_path: Path):
    need(f"Alertmanager at {ALERTMANAGER}", bool(shutil.which(ALERTMANAGER)))
    settings.ALERTMANAGER_WEBHOOK_TOKEN = TOKEN
    receiver = live_server.url.replace("localhost", "127.0.0.1")
    (tmp_path / "alertmanager.yml").write_text(
        f"""
route:
  receiver: releasehub
  group_by: [alertname, service]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: releasehub
    webhook_configs:
      - url: {receiver}/webhooks/alertmanager/{TOKEN}/
        send_resolved: true
"""
    )
    process = subprocess.Popen(
        [
            ALERTMANAGER,
            f"--config.file={tmp_path / 'alertmanager.yml'}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{PORT}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "alertmanager.log").open("w"),
    )
    base = f"http://127.0.0.1:{PORT}"
    try:
        wait_for("Alertmanager to be ready", lambda: http("GET", f"{base}/-/ready")[0] == 200)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def alert_body(**extra) -> list[dict]:
    return [
        {
            "labels": {
                "alertname": "PaymentsErrors",
                "service": "payments",
                "severity": "critical",
            },
            "annotations": {"summary": "payments 5xx above 2% for 1 minute"},
            "generatorURL": "http://prometheus.example/graph?g0.expr=errors",
            **extra,
        }
    ]


def board_html(release: Release, user) -> str:
    client = Client()
    client.force_login(user)
    return client.get(f"/releases/{release.code}/rollout/").content.decode()


def messaging_refusal(release: Release, sre) -> str:
    try:
        service_step_record(
            release=release, service=service("messaging"), kind=Step.PROMOTION_STARTED, actor=sre
        )
    except RolloutError as exc:
        return str(exc)
    return ""


@pytest.mark.real_clock
@pytest.mark.django_db(transaction=True)
def test_a_real_alertmanager_alert_marks_the_window_unhealthy_and_holds_the_next_promotion(
    alertmanager, settings
):
    # Alertmanager keeps real time; the window's close is moved with time-machine, which the
    # engine must read (on PostgreSQL it would ask the database's clock).
    settings.SCHEDULE_CLOCK = "python"
    sre = UserFactory(username="kiran", roles=["sre"])
    release = rollout_release(["payments", "messaging"], [])
    staged(release, "messaging", sre)
    promote(release, "payments", sre, None, close=False)
    assert 'data-health="healthy"' in board_html(release, sre)

    assert http("POST", f"{alertmanager}/api/v2/alerts", alert_body())[0] == 200
    health = wait_for(
        "the payments window to be marked unhealthy",
        lambda: RolloutStep.objects.filter(
            release=release, service=service("payments"), kind=Step.HEALTH, passed=False
        ).first(),
    )
    assert health.actor.username == "machine:alertmanager"
    assert "payments 5xx above 2% for 1 minute" in health.note
    assert 'data-health="unhealthy"' in board_html(release, sre)
    alert = Alert.objects.get()
    assert (alert.release, alert.status) == (release, AlertStatus.FIRING)
    # Logged on release day too (people log anomalies from Verifying on; machines any time).
    assert "anomaly logged" in alert.outcome
    assert Anomaly.objects.get().description.startswith("Alert PaymentsErrors: payments 5xx")

    # The window closes unhealthy: the next promotion is held with the reason.
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16), tick=False):
        fire_due()
        refusal = messaging_refusal(release, sre)
        assert "Payments was observed unhealthy: Alert PaymentsErrors: payments 5xx" in refusal

    started = json.loads(http("GET", f"{alertmanager}/api/v2/alerts")[1])[0]["startsAt"]
    # Ended a moment after it started, on Alertmanager's own clock (which this process's
    # clock need not share): resolved whatever the time here.
    ended = dt.datetime.fromisoformat(started.replace("Z", "+00:00")) + dt.timedelta(seconds=1)
    resolved = alert_body(startsAt=started, endsAt=ended.isoformat())
    assert http("POST", f"{alertmanager}/api/v2/alerts", resolved)[0] == 200
    wait_for(
        "the resolution",
        lambda: TimelineEvent.objects.filter(verb="webhooks.alert_resolved").first(),
    )
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    event = TimelineEvent.objects.get(verb="webhooks.alert_resolved")
    assert (event.release, event.via) == (release, "Alertmanager")
    # Alertmanager repeats nothing that acts twice: one health mark for one alert.
    assert RolloutStep.objects.filter(kind=Step.HEALTH, passed=False).count() == 1


def notification(status: str, starts: str = "2026-11-26T09:00:00Z", service_="payments") -> dict:
    return {
        "version": "4",
        "status": status,
        "groupKey": "{}:{}",
        "alerts": [
            {
                "status": status,
                "labels": {"alertname": "Latency", "service": service_, "severity": "warning"},
                "annotations": {"summary": f"{service_} p95 above 800 ms"},
                "startsAt": starts,
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": f"fp-{service_}",
            }
        ],
    }


@pytest.mark.clock
@pytest.mark.django_db(transaction=True)
def test_alerts_in_the_watch_log_an_anomaly_once_and_others_are_kept(live_server, settings):
    settings.ALERTMANAGER_WEBHOOK_TOKEN = TOKEN
    url = f"{live_server.url}/webhooks/alertmanager/{TOKEN}/"
    assert (
        http("POST", f"{live_server.url}/webhooks/alertmanager/wrong/", notification("firing"))[0]
        == 401
    )
    assert http("POST", url, {"version": "3", "alerts": []})[0] == 400
    assert not Alert.objects.exists()

    release = rollout_release(["payments"], [])
    Release.objects.filter(pk=release.pk).update(status=Release.Status.MONITORING)
    for _ in range(2):
        assert http("POST", url, notification("firing"))[0] == 200
    anomaly = Anomaly.objects.get()
    assert (anomaly.release, anomaly.service, anomaly.severity) == (
        release,
        service("payments"),
        "medium",
    )
    assert "payments p95 above 800 ms" in anomaly.description
    # Analytics is not in the release: its alert is kept for the service's page only.
    assert http("POST", url, notification("firing", service_="analytics"))[0] == 200
    kept = Alert.objects.get(service=service("analytics"))
    assert kept.release is None and kept.outcome.startswith("Kept:")
    sre = UserFactory(username="kiran", roles=["sre"])
    client = Client()
    client.force_login(sre)
    page = client.get("/webhooks/alerts/?service=analytics").content.decode()
    assert "analytics p95 above 800 ms" in page and "payments p95" not in page

    assert http("POST", url, notification("resolved"))[0] == 200
    assert (
        TimelineEvent.objects.filter(verb="webhooks.alert_resolved", release=release).count() == 1
    )
    assert Alert.objects.get(service=service("payments")).status == AlertStatus.RESOLVED
