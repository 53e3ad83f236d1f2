"""The release page's stages: the runbook's steps, each a page of its own holding the sections
that matter then, and the one the release's clock and status open by default.

Every section of the release lives in at least one stage, so nothing is out of reach; the page
chrome (header, freeze banner, latest events) is on every stage."""

import datetime as dt
from dataclasses import dataclass

from releasehub.releases.models import Release

S = Release.Status
# On every stage, around the stage's own sections (pages/release.html).
CHROME = ("release-header", "freeze-banner", "timeline")


@dataclass(frozen=True)
class Stage:
    slug: str
    label: str
    # DOM ids of the sections it shows (a regular release; a hotfix: `hotfix_sections`).
    sections: tuple[str, ...]
    hotfix_sections: tuple[str, ...] | None = None

    def sections_for(self, release: Release) -> tuple[str, ...]:
        if release.is_hotfix and self.hotfix_sections is not None:
            return self.hotfix_sections
        return self.sections


# "go-no-go-panel" and "smoke-panel" stand for the readiness panels, whose DOM ids carry the
# release's code; "board-link" is the way to the release-day board.
STAGES = (
    Stage("scope", "Scope", ("scope-tickets", "risks", "flags")),
    Stage("freeze", "Freeze", ("freeze-exceptions",), hotfix_sections=()),
    Stage("readiness", "Readiness", ("rollback-plans", "oncall", "dashboards", "release-comms")),
    Stage("go-no-go", "Go/No-Go", ("go-no-go-panel",), hotfix_sections=("hotfix",)),
    Stage(
        "release-day",
        "Release day",
        ("board-link", "smoke-panel", "release-comms"),
        hotfix_sections=("board-link", "hotfix", "smoke-panel", "release-comms"),
    ),
    Stage("watch", "Watch", ("board-link", "timed-actions")),
    Stage(
        "wrap-up",
        "Wrap-up",
        ("release-comms", "delivery-log"),
        hotfix_sections=("hotfix", "release-comms", "delivery-log"),
    ),
)
BY_SLUG = {s.slug: s for s in STAGES}


def default_stage(release: Release, now: dt.datetime) -> Stage:
    """The stage the release's status and clock say is under way now."""
    if release.status in (S.COMPLETED, S.ROLLED_BACK, S.CANCELLED):
        return BY_SLUG["wrap-up"]
    if release.status == S.MONITORING:
        return BY_SLUG["watch"]
    if release.status in (S.DEPLOYING, S.VERIFYING):
        return BY_SLUG["release-day"]
    # A hotfix has no freeze: the RM's approval of the request stands for scope and Go/No-Go.
    if release.status in (S.GO, S.NO_GO) or release.is_hotfix:
        return BY_SLUG["go-no-go"]
    clock = release.clock
    if not release.is_frozen(now):
        return BY_SLUG["scope"]
    if now < clock.pre_release_meeting:
        return BY_SLUG["freeze"]
    if now < clock.go_no_go_reminder:
        return BY_SLUG["readiness"]
    return BY_SLUG["go-no-go"]


def stage_holding(section: str, release: Release, now: dt.datetime) -> Stage:
    """The stage showing `section`: the default one if it does, else the first that does."""
    current = default_stage(release, now)
    if section in current.sections_for(release) or section in CHROME:
        return current
    return next((s for s in STAGES if section in s.sections_for(release)), current)
