"""The release ticket page, a stage at a time: the release's own sections and the other apps'
panels that matter at that point of the runbook, with a rail to the other stages. The page is
the stage its clock says (or the one that shows `?section=`), each stage has a URL of its own,
and an htmx request gets only the rail and the stage (what a rail link swaps)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from releasehub.audit import live
from releasehub.core.http import AuthedRequest
from releasehub.core.pagination import paginate
from releasehub.pages import selectors as pages
from releasehub.pages import stages
from releasehub.releases import sections
from releasehub.releases.access import capabilities, release_for
from releasehub.releases.models import Release
from releasehub.releases.sections import SECTIONS_HEADER

TIMELINE_PAGE_SIZE = 50


def _rail(request: AuthedRequest, release: Release, stage: stages.Stage, now) -> dict:
    current = stages.default_stage(release, now)
    badges = pages.stage_badges(release, request.user)
    return {
        "release": release,
        "stage": stage,
        "rail": [
            {"stage": s, "badge": badges.get(s.slug), "current": s == current}
            for s in stages.STAGES
        ],
    }


def _stage_page(request: AuthedRequest, code, stage: stages.Stage | None) -> HttpResponse:
    # Loaded once with what every stage shows; the stage's own rows are prefetched onto it.
    release = sections.with_hotfix(release_for(request, code, related=sections.RELATED))
    if request.htmx and "form" in request.GET:
        # A disclosure opened: its form alone (releases/sections.py LAZY_FORMS).
        return sections.form_fragment(request, release, request.GET["form"])
    now = timezone.now()
    if stage is None:
        section = request.GET.get("section", "")
        stage = stages.stage_holding(section, release, now)
    if request.htmx and request.GET.get("part") == "rail":
        # An action in the stage changed something: its badges again, nothing else.
        return render(request, "pages/_stages.html#stage-rail", _rail(request, release, stage, now))
    shown = stage.sections_for(release)
    # Read once for what the stage may share with everyone reading the release at this version.
    version = live.release_version(release) if settings.LIVE_SHARED_SECONDS else None
    context = sections.detail_context(
        request, release.code, shown=shown, release=release, version=version
    )
    context.update(pages.other_app_sections(release, request.user, shown, version))
    context.update(_rail(request, release, stage, now))
    context.update(
        shown=shown,
        sections_header=SECTIONS_HEADER,
        on_page=" ".join([*stages.CHROME, *shown]),
    )
    template = "pages/release.html"
    # A rail link swaps the stage in; going back in history asks for the whole page again.
    if request.htmx and not request.htmx.history_restore_request:
        template = "pages/_stages.html#release-stage"
    return render(request, template, context)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def release(request: AuthedRequest, code) -> HttpResponse:
    """The release ticket at the stage under way (or the one showing `?section=`)."""
    return _stage_page(request, code, None)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def release_stage(request: AuthedRequest, code, stage: str) -> HttpResponse:
    if stage not in stages.BY_SLUG:
        raise Http404("No such stage")
    return _stage_page(request, code, stages.BY_SLUG[stage])


@require_GET
@login_required
def release_timeline(request: AuthedRequest, code) -> HttpResponse:
    """The release's whole timeline, newest first, a page at a time."""
    release = release_for(request, code)
    events = release.timeline.select_related("actor").order_by("-occurred_at", "-id")
    pager = paginate(request, events, TIMELINE_PAGE_SIZE, label="Timeline pages")
    context = {
        "release": release,
        "pager": pager,
        "events": pager.page.object_list,
        "can": capabilities(request.user),
    }
    return render(request, "pages/timeline.html", context)
