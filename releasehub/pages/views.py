"""The pages that combine apps: the dashboard here, the release ticket page in release_views.py.
The apps below lay out nothing of each other's; their sections and panels meet here."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from releasehub.audit import live
from releasehub.core.http import AuthedRequest
from releasehub.pages import selectors as pages
from releasehub.releases import selectors
from releasehub.releases.models import Release


@require_GET
@login_required
@live.polled(live.latest_marker)
def dashboard(request: AuthedRequest, live_since: str) -> HttpResponse:
    now = timezone.now()
    # What the cards and panels read is shared by everyone at this version (audit.live.shared).
    version = live.version_of(live_since)
    upcoming = pages.upcoming_releases(2, version)
    cards = [
        {
            "release": r,
            "next": selectors.next_milestone(r, now),
            "frozen": r.is_frozen(now),
            "pending": selectors.pending_exceptions(r),
            "problems": selectors.scope_problems(r),
        }
        for r in upcoming
    ]
    context = {
        "cards": cards,
        "now": now,
        "live": any(r.status in Release.LIVE_STATUSES for r in upcoming),
        "approvals": selectors.pending_approvals_for(request.user),
        "live_since": live_since,
        # The nearest open release is the current one.
        **pages.current_release_panels(upcoming[0] if upcoming else None, version),
    }
    template = "pages/dashboard.html"
    if request.htmx:
        template += "#dashboard-live"
    return render(request, template, context)
