"""What GitHub and GitLab deliveries mean: a merged pull/merge request marks its tickets merged
with the merge commit, a finished check suite, workflow run, commit status or pipeline marks
their CI passing or failing. Everything else is stored and ignored."""

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from releasehub.webhooks.incoming import ticket_keys
from releasehub.webhooks.models import Provider, Repository


@dataclass
class Change:
    """The tickets a delivery names and what to set on them (None: leave as it is)."""

    keys: set[str]
    merged: bool | None = None
    ci_passing: bool | None = None
    url: str = ""
    note: str = ""


def dig(data: Any, *path: str | int) -> Any:
    """`data[a][b]…`, or None when any step is missing or of the wrong type (a payload is
    untrusted: a shape we do not expect is ignored, never a 500)."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(data, list) or len(data) <= step:
                return None
        elif not isinstance(data, dict):
            return None
        data = data[step] if isinstance(step, int) else data.get(step)
    return data


def text(data: Any, *path: str | int) -> str:
    value = dig(data, *path)
    return value if isinstance(value, str) else ""


def _merged(title: str, branch: str, commit: str, url: str) -> Change:
    return Change(ticket_keys(title, branch), merged=True, url=url, note=f"Merge commit {commit}.")


def _ci(passing: bool | None, branches: list[str], url: str, what: str) -> Change | str:
    if passing is None:
        return f"{what} did not pass or fail; ignored."
    return Change(ticket_keys(*branches), ci_passing=passing, url=url, note=f"{what}.")


def _words(*parts: str) -> str:
    return " ".join(p for p in parts if p)


# GitHub --------------------------------------------------------------------------------------

# Conclusions of a check suite or workflow run, and states of a commit status; others (neutral,
# skipped, stale, pending) say nothing about the ticket's CI.
GITHUB_PASSING = {
    "success": True,
    "failure": False,
    "timed_out": False,
    "cancelled": False,
    "action_required": False,
    "startup_failure": False,
    "error": False,
}


def github_signed(repository: Repository, request: HttpRequest) -> bool:
    given = request.headers.get("X-Hub-Signature-256", "")
    digest = hmac.new(repository.secret.encode(), request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(f"sha256={digest}".encode(), given.encode())


def github_change(event: str, payload: dict) -> Change | str:
    commit_url = text(payload, "repository", "html_url") + "/commit/"
    if event == "pull_request":
        pr = dig(payload, "pull_request")
        if text(payload, "action") != "closed" or dig(pr, "merged") is not True:
            return "Not a merge; ignored."
        sha = text(pr, "merge_commit_sha")
        return _merged(text(pr, "title"), text(pr, "head", "ref"), sha, commit_url + sha)
    if event in ("check_suite", "workflow_run"):
        run = dig(payload, event)
        if text(payload, "action") != "completed":
            return "Not completed yet; ignored."
        pulls = dig(run, "pull_requests")
        branches = [text(run, "head_branch")] + [
            text(p, "head", "ref") for p in (pulls if isinstance(pulls, list) else [])
        ]
        url = text(run, "html_url") or commit_url + text(run, "head_sha")
        conclusion = text(run, "conclusion")
        what = _words(event.replace("_", " ").capitalize(), text(run, "name"), conclusion)
        return _ci(GITHUB_PASSING.get(conclusion), branches, url, what)
    if event == "status":
        found = dig(payload, "branches")
        branches = [text(b, "name") for b in (found if isinstance(found, list) else [])]
        state = text(payload, "state")
        url = text(payload, "target_url") or commit_url + text(payload, "sha")
        what = _words("Commit status", text(payload, "context"), state)
        return _ci(GITHUB_PASSING.get(state), branches, url, what)
    return f"Event {event!r} is not one ReleaseHub reads; ignored."


# GitLab --------------------------------------------------------------------------------------

GITLAB_PASSING = {"success": True, "failed": False}


def gitlab_signed(repository: Repository, request: HttpRequest) -> bool:
    given = request.headers.get("X-Gitlab-Token", "")
    return hmac.compare_digest(repository.secret.encode(), given.encode())


def gitlab_change(event: str, payload: dict) -> Change | str:
    attrs = dig(payload, "object_attributes")
    if event == "Merge Request Hook":
        if text(attrs, "state") != "merged":
            return "Not a merge; ignored."
        return _merged(
            text(attrs, "title"),
            text(attrs, "source_branch"),
            text(attrs, "merge_commit_sha"),
            text(attrs, "url"),
        )
    if event == "Pipeline Hook":
        status = text(attrs, "status")
        branches = [
            text(attrs, "ref"),
            text(payload, "merge_request", "source_branch"),
            text(payload, "merge_request", "title"),
        ]
        url = text(attrs, "url") or text(payload, "project", "web_url")
        return _ci(GITLAB_PASSING.get(status), branches, url, f"Pipeline {status}")
    return f"Event {event!r} is not one ReleaseHub reads; ignored."


@dataclass(frozen=True)
class CodeHost:
    """How one code host signs, names its deliveries and events, and what they mean."""

    provider: str
    repository: Callable[[dict], str]
    signed: Callable[[Repository, HttpRequest], bool]
    delivery_header: str
    event_header: str
    change: Callable[[str, dict], Change | str]


GITHUB = CodeHost(
    Provider.GITHUB,
    lambda p: text(p, "repository", "full_name"),
    github_signed,
    "X-GitHub-Delivery",
    "X-GitHub-Event",
    github_change,
)
GITLAB = CodeHost(
    Provider.GITLAB,
    lambda p: text(p, "project", "path_with_namespace"),
    gitlab_signed,
    "X-Gitlab-Event-UUID",
    "X-Gitlab-Event",
    gitlab_change,
)
