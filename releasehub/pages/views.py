"""The pages that combine apps: the dashboard and the release ticket page. The apps below lay
out nothing of each other's; their sections and panels meet here."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from releasehub.core.http import AuthedRequest
from releasehub.pages import selectors as pages
from releasehub.releases import sections, selectors
from releasehub.releases.access import release_for
from releasehub.releases.models import Release


@require_GET
@login_required
def dashboard(request: AuthedRequest) -> HttpResponse:
    now = timezone.now()
    upcoming = list(
        selectors.with_scope(Release.objects.filter(status__in=Release.OPEN_STATUSES)).order_by(
            "window_start"
        )[:2]
    )
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
        # The nearest open release is the current one.
        **pages.current_release_panels(upcoming[0] if upcoming else None),
    }
    template = "pages/dashboard.html"
    if request.htmx:
        template += "#dashboard-live"
    return render(request, template, context)


@require_GET
@login_required
def release(request: AuthedRequest, code) -> HttpResponse:
    """The release ticket: its own sections, with the readiness, comms, timed-action and
    delivery sections of the apps above it."""
    release = release_for(request, code)
    context = sections.detail_context(request, release.code)
    context.update(pages.other_app_sections(context["release"], request.user))
    return render(request, "pages/release.html", context)
