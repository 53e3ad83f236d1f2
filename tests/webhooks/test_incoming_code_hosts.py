"""GitHub and GitLab posting to ReleaseHub over real HTTP (the live server): signatures, replays,
merges and CI results reaching the tickets and the checklist item they answer."""

import datetime as dt
import hashlib
import hmac
import json
import urllib.error
import urllib.request
import uuid

import pytest
import time_machine

from releasehub.audit.models import TimelineEvent
from releasehub.readiness.computed import compute
from releasehub.releases.models import ScopeTicket
from releasehub.webhooks.models import IncomingDelivery, Outcome, Provider, Repository
from tests.factories import (
    ScopeTicketFactory,
    default_window,
    next_wednesday,
    readiness_release,
    squad,
    today,
)

pytestmark = [pytest.mark.clock, pytest.mark.django_db(transaction=True)]
SECRET = "s3cret-for-tests"


@pytest.fixture
def release():
    # Its freeze is days away at every instant of the week the suite runs at: merging a ticket
    # in the freeze needs an exception (test_a_merge_in_the_freeze_needs_an_exception).
    start, end = default_window(next_wednesday(today() + dt.timedelta(days=7)))
    return readiness_release(window_start=start, window_end=end)


@pytest.fixture
def ticket(release):
    return ScopeTicketFactory(release=release, key="PAT-101", merged=False, ci_passing=False)


def github_repo(**kwargs) -> Repository:
    return Repository.objects.create(
        provider=Provider.GITHUB, full_name="acme/patient-app", secret=SECRET, **kwargs
    )


def post(url: str, body: dict, headers: dict[str, str]) -> tuple[int, dict]:
    data = json.dumps(body).encode()
    if "sign" in headers:
        secret = headers.pop("sign")
        digest = hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
        headers["X-Hub-Signature-256"] = f"sha256={digest}"
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **headers}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def merged_pr(title="PAT-101 Faster login", branch="feature/pat-101-login") -> dict:
    return {
        "action": "closed",
        "repository": {
            "full_name": "acme/patient-app",
            "html_url": "https://github.com/acme/patient-app",
        },
        "pull_request": {
            "title": title,
            "merged": True,
            "merge_commit_sha": "9f8e7d6c",
            "head": {"ref": branch},
        },
    }


def github(live_server, body, event="pull_request", delivery=None, secret=SECRET):
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery or str(uuid.uuid4())}
    if secret is not None:
        headers["sign"] = secret
    return post(f"{live_server.url}/webhooks/github/", body, headers)


def checklist_answer(release) -> bool:
    return compute("scope_merged_ci", release).done


def test_a_signed_merge_and_a_green_check_suite_make_the_checklist_item_green(
    live_server, release, ticket
):
    github_repo()
    assert not checklist_answer(release)
    status, answer = github(live_server, merged_pr())
    assert (status, answer["outcome"]) == (200, Outcome.APPLIED)
    ticket.refresh_from_db()
    assert (ticket.merged, ticket.ci_passing) == (True, False)
    event = TimelineEvent.objects.get(verb="scope.ticket_updated", release=release)
    assert event.via.startswith("GitHub acme/patient-app (delivery ")
    assert event.via_url == "https://github.com/acme/patient-app/commit/9f8e7d6c"
    assert event.actor.username == "machine:github-acme/patient-app"
    assert not checklist_answer(release)

    suite = {
        "action": "completed",
        "repository": {
            "full_name": "acme/patient-app",
            "html_url": "https://github.com/acme/patient-app",
        },
        "check_suite": {"conclusion": "success", "head_branch": "feature/pat-101-login"},
    }
    status, answer = github(live_server, suite, event="check_suite")
    assert (status, answer["outcome"]) == (200, Outcome.APPLIED)
    ticket.refresh_from_db()
    assert (ticket.merged, ticket.ci_passing) == (True, True)
    assert checklist_answer(release)

    suite["check_suite"]["conclusion"] = "failure"
    github(live_server, suite, event="check_suite")
    ticket.refresh_from_db()
    assert (ticket.merged, ticket.ci_passing) == (True, False)
    assert not checklist_answer(release)


def test_a_wrong_signature_is_401_and_writes_nothing(live_server, release, ticket):
    github_repo()
    events = TimelineEvent.objects.count()
    for secret in ("not-the-secret", None):
        status, _ = github(live_server, merged_pr(), secret=secret)
        assert status == 401
    # A repository nobody connected cannot be verified either.
    body = merged_pr()
    body["repository"]["full_name"] = "acme/unknown"
    assert github(live_server, body)[0] == 401
    ticket.refresh_from_db()
    assert not ticket.merged
    assert IncomingDelivery.objects.count() == 0
    assert TimelineEvent.objects.count() == events


def test_a_replayed_delivery_is_409_and_writes_nothing_more(live_server, release, ticket):
    github_repo()
    delivery = str(uuid.uuid4())
    assert github(live_server, merged_pr(), delivery=delivery)[0] == 200
    ScopeTicket.objects.filter(pk=ticket.pk).update(merged=False)
    events = TimelineEvent.objects.count()
    status, answer = github(live_server, merged_pr(), delivery=delivery)
    assert status == 409
    assert "received before" in answer["error"]
    ticket.refresh_from_db()
    assert not ticket.merged
    assert IncomingDelivery.objects.count() == 1
    assert TimelineEvent.objects.count() == events


def test_unknown_tickets_are_logged_on_the_delivery_and_ignored(live_server, release, ticket):
    github_repo()
    status, answer = github(live_server, merged_pr(title="DOC-999 Something else", branch="x"))
    assert (status, answer["outcome"]) == (200, Outcome.IGNORED)
    row = IncomingDelivery.objects.get()
    assert "DOC-999: not in the scope of an open release; ignored." in row.detail
    assert row.headers["X-GitHub-Event"] == "pull_request"
    ticket.refresh_from_db()
    assert not ticket.merged


def test_a_repository_marks_only_its_squads_tickets(live_server, release, ticket):
    repo = github_repo()
    repo.squads.set([squad("doctor")])
    _, answer = github(live_server, merged_pr())
    assert answer["outcome"] == Outcome.IGNORED
    assert "may not mark Patient's tickets" in answer["detail"][-1]
    ticket.refresh_from_db()
    assert not ticket.merged


def test_the_raw_delivery_is_kept_size_limited(live_server, release, ticket, settings):
    settings.WEBHOOK_DELIVERY_MAX_BYTES = 100
    github_repo()
    github(live_server, merged_pr())
    row = IncomingDelivery.objects.get()
    assert row.truncated and len(row.body) == 100


def test_gitlab_token_merge_and_pipeline(live_server, release, ticket):
    Repository.objects.create(provider=Provider.GITLAB, full_name="acme/patient-app", secret=SECRET)
    url = f"{live_server.url}/webhooks/gitlab/"
    project = {"path_with_namespace": "acme/patient-app", "web_url": "https://gitlab.example/acme"}
    merge = {
        "project": project,
        "object_attributes": {
            "state": "merged",
            "title": "Faster login",
            "source_branch": "pat-101-login",
            "merge_commit_sha": "abc123",
            "url": "https://gitlab.example/acme/patient-app/-/merge_requests/7",
        },
    }

    def headers(token=SECRET, event="Merge Request Hook", uuid_=None):
        return {
            "X-Gitlab-Token": token,
            "X-Gitlab-Event": event,
            "X-Gitlab-Event-UUID": uuid_ or str(uuid.uuid4()),
        }

    assert post(url, merge, headers(token="wrong"))[0] == 401
    assert IncomingDelivery.objects.count() == 0
    once = str(uuid.uuid4())
    assert post(url, merge, headers(uuid_=once))[0] == 200
    assert post(url, merge, headers(uuid_=once))[0] == 409
    pipeline = {
        "project": project,
        "object_attributes": {"status": "success", "ref": "pat-101-login"},
    }
    status, answer = post(url, pipeline, headers(event="Pipeline Hook"))
    assert (status, answer["outcome"]) == (200, Outcome.APPLIED)
    ticket.refresh_from_db()
    assert (ticket.merged, ticket.ci_passing) == (True, True)
    assert checklist_answer(release)
    assert IncomingDelivery.objects.count() == 2


def test_nonsense_bodies_are_a_4xx_never_a_500(live_server, release):
    github_repo()
    url = f"{live_server.url}/webhooks/github/"
    for body in ([1, 2], {"repository": "x"}, {"repository": {"full_name": ["a"]}}):
        assert post(url, body, {"X-GitHub-Event": "ping"})[0] in (400, 401)
    # A signed delivery of a shape ReleaseHub does not expect is stored and ignored.
    odd = {"repository": {"full_name": "acme/patient-app"}, "action": "closed", "pull_request": 3}
    assert github(live_server, odd)[1]["outcome"] == Outcome.IGNORED


def test_old_deliveries_are_purged_and_only_staff_read_them(live_server, release, ticket):
    from django.test import Client
    from django.utils import timezone

    from releasehub.webhooks.incoming import deliveries_purge
    from tests.factories import UserFactory, user_with

    github_repo()
    github(live_server, merged_pr())
    client = Client()
    client.force_login(user_with("sre", username="kiran"))
    assert client.get("/webhooks/deliveries/").status_code == 403
    client.force_login(UserFactory(username="staff", is_staff=True))
    page = client.get("/webhooks/deliveries/").content.decode()
    assert "PAT-101 in " in page
    code = IncomingDelivery.objects.get().code
    assert "9f8e7d6c" in client.get(f"/webhooks/deliveries/{code}/").content.decode()
    assert deliveries_purge(now=timezone.now() + dt.timedelta(days=13)) == 0
    assert deliveries_purge(now=timezone.now() + dt.timedelta(days=15)) == 1


def test_a_merge_in_the_freeze_needs_an_exception(live_server, release, ticket):
    github_repo()
    with time_machine.travel(release.freeze_at + dt.timedelta(minutes=1)):
        status, answer = github(live_server, merged_pr())
    assert (status, answer["outcome"]) == (200, Outcome.IGNORED)
    assert "freeze exception" in IncomingDelivery.objects.get().detail
    ticket.refresh_from_db()
    assert not ticket.merged
