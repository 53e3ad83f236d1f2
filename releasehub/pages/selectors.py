"""What the apps above `releases` show on the pages that combine them. Only full pages read
these: an htmx fragment of a page neither shows nor needs them."""

from releasehub.accounts.models import User
from releasehub.comms.selectors import release_comms
from releasehub.notify.selectors import deliveries_for_release
from releasehub.readiness.panels import (
    PANEL_LIVE_STATUSES,
    SMOKE_LIVE_STATUSES,
    go_no_go_state,
    smoke_state,
)
from releasehub.releases.models import Release
from releasehub.schedule.selectors import actions_for_release


def other_app_sections(release: Release, user: User) -> dict:
    """What the readiness, schedule, notify and comms apps show on the release ticket page."""
    return {
        "comms": release_comms(release, user),
        # A hotfix has no Go/No-Go of its own: the RM's approval of the request stands for it.
        "gng": None if release.is_hotfix else go_no_go_state(release),
        "smoke": smoke_state(release),
        "actions": actions_for_release(release),
        "deliveries": deliveries_for_release(release),
    }


def current_release_panels(release: Release | None) -> dict:
    """The dashboard's readiness panels for the current release: Go/No-Go until release day
    moves past it, the smoke checklist while QA runs it (a failure then shows at once)."""
    if release is None:
        return {"gng": None, "smoke": None}
    return {
        "gng": go_no_go_state(release)
        if release.status in PANEL_LIVE_STATUSES and not release.is_hotfix
        else None,
        "smoke": smoke_state(release) if release.status in SMOKE_LIVE_STATUSES else None,
    }
