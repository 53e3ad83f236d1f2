"""A pipeline walks a whole release day over real HTTP against the live server on PostgreSQL,
while a person watches the board in Chromium and sees each row reach its final state.

The live server's thread shares this process's clock, so moving time with time-machine moves
it for the server too; each monitoring window's timed action is fired from this thread once
time is past it (no worker runs here), as the browser tests do."""

import json
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from releasehub.api.scopes import Scope
from releasehub.audit.models import TimelineEvent
from releasehub.readiness.models import ChecklistItem, Phase
from releasehub.readiness.services.qa import smoke_record
from releasehub.releases.models import Release
from releasehub.rollout.models import Deployment, RolloutStep
from tests.browser.test_rollout_release_day import close_window
from tests.factories import readiness_cast, rollout_release

pytestmark = [
    pytest.mark.clock,
    pytest.mark.postgres,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

SERVICES = ["identity", "providers", "appointments", "payments", "messaging", "analytics"]
APPS = ["patient-web", "doctor-web", "admin-console"]
RUN = "https://ci.example/acme/deploy/actions/runs/9001"


class Pipeline:
    """What a CI job does with curl: JSON over HTTP with its token and its run URL."""

    def __init__(self, base: str, secret: str, release: Release) -> None:
        self.base = f"{base}/api/v1/releases/{release.version}"
        self.secret = secret

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {self.secret}",
                "Content-Type": "application/json",
                "ReleaseHub-Run-URL": RUN,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def step(self, path: str, body: dict) -> dict:
        status, answer = self.post(path, body)
        assert status == 201, (path, body, answer)
        return answer


def test_a_pipeline_walks_the_whole_release_day_while_the_board_watches(
    postgres, live_server, page, settings, fixed_clock, integration_token, personal_token
):
    settings.LIVE_POLL_SECONDS = {**settings.LIVE_POLL_SECONDS, "board": 1}  # same process
    cast = readiness_cast()
    release = rollout_release(SERVICES, APPS)
    token, api = integration_token(scopes=[Scope.RELEASES_READ, Scope.ROLLOUT_WRITE])
    ci = Pipeline(live_server.url, api.secret, release)

    page.login("asha")
    page.goto(f"/releases/{release.code}/rollout/")
    page.evaluate("window.__noReload = true")  # what follows arrives by polling alone
    row = lambda slug: page.locator(f"[data-service={slug}], [data-app={slug}]")  # noqa: E731

    for slug in SERVICES:
        ci.step(f"/services/{slug}/steps", {"kind": "staging_deployed"})
        ci.step(f"/services/{slug}/steps", {"kind": "staging_smoke", "passed": True})
    expect(row("analytics")).to_have_attribute("data-state", "staging smoke test")

    # Out of order: providers may not start before identity is done; nothing is written.
    steps_before = RolloutStep.objects.count()
    status, problem = ci.post("/services/providers/steps", {"kind": "promotion_started"})
    assert status == 409 and problem["rule"] == "rollout"
    assert "Identity has not finished its production promotion" in problem["detail"]
    assert RolloutStep.objects.count() == steps_before

    for slug in SERVICES:
        ci.step(f"/services/{slug}/steps", {"kind": "promotion_started"})
        answer = ci.step(f"/services/{slug}/steps", {"kind": "promotion_finished"})
        assert answer["row"]["state"] == "monitoring"
        expect(row(slug)).to_have_attribute("data-state", "monitoring")
        close_window(fixed_clock, release, slug)
        expect(row(slug)).to_have_attribute("data-state", "awaiting health")
        healthy = {"healthy": True, "p95_ms": 170, "error_rate": "0.1"}
        answer = ci.step(f"/services/{slug}/observations", healthy)
        assert answer["row"]["done"] and answer["row"]["next"] is None
        expect(row(slug)).to_have_attribute("data-state", "done")

    for slug in APPS:
        for body in (
            {"kind": "build_triggered", "build_id": f"{slug}-311"},
            {"kind": "canary_started", "canary_percent": 10},
            {"kind": "canary_validated"},
            {"kind": "full_rollout"},
            {"kind": "flags_toggled", "note": "none"},
            {"kind": "cdn", "cdn_cleared": True},
        ):
            ci.step(f"/apps/{slug}/steps", body)
        expect(row(slug)).to_have_attribute("data-state", "done")
    expect(page.locator("[data-status]")).to_have_text("Verifying")

    # Completion is the RM's (no scope gives a pipeline that role): her own token, after QA's
    # smoke checklist has passed.
    for item in ChecklistItem.objects.filter(release=release, phase=Phase.SMOKE):
        smoke_record(item=item, actor=cast["neha"], outcome="passed")
    assert ci.post("/complete", {"note": "All green"})[0] == 403
    rm = Pipeline(live_server.url, personal_token(cast["asha"])[1].secret, release)
    assert rm.step("/complete", {"note": "All green at 11:40"})["status"] == "monitoring"
    expect(page.locator("[data-status]")).to_have_text("Monitoring")
    for slug in SERVICES + APPS:
        expect(row(slug)).to_have_attribute("data-state", "done")
    assert page.evaluate("window.__noReload") is True

    assert Deployment.objects.filter(release=release).count() == len(SERVICES + APPS)
    # Every step and observation names the pipeline's token and its run on the timeline.
    carried = TimelineEvent.objects.filter(release=release, verb__startswith="rollout.")
    assert carried.filter(via=token.label, via_url=RUN).count() == 4 * 6 + 6 + 6 * 3
