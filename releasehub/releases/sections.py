"""The release ticket's own sections: what they show and how an action on one of them answers.

The page itself (`pages.views.release`) lays these sections out, a stage at a time, beside the
other apps' panels. An action here answers htmx with its section, plus what else it changed out
of band, but only the parts the page says it shows (`SECTIONS_HEADER`: an out-of-band part with
no target is an htmx error); a plain POST that worked with a redirect to the page's stage that
shows the section; a plain POST with an error with the one section on a page of its own, since
only the pages app may build the whole page."""

from collections.abc import Collection
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from releasehub.core.forms import Outcome
from releasehub.core.http import AuthedRequest
from releasehub.core.relations import one_to_one_or_none
from releasehub.releases import forms, selectors
from releasehub.releases.access import capabilities
from releasehub.releases.models import FollowUp, Hotfix, Release
from releasehub.releases.services.hotfix import DEPLOYED_STATUSES
from releasehub.releases.services.lifecycle import TRANSITIONS

TEMPLATE = "releases/_sections.html"
LATEST_EVENTS = 5
SECTION_PAGE = "releases/section_page.html"
# What else changes when a section changes; refreshed out of band in the same htmx response.
ALSO_REFRESH = {
    "scope-tickets": ["rollback-plans", "freeze-banner", "timeline"],
    "freeze-exceptions": ["scope-tickets", "freeze-banner", "timeline"],
    "hotfix": ["release-header", "timeline"],
}
# The DOM ids of the sections on the page an htmx request came from (its stage panel sends it).
SECTIONS_HEADER = "X-Release-Sections"
# The sections each prefetch serves; a stage that shows none of them does not load it.
NEEDS_TICKETS = {"scope-tickets", "rollback-plans"}


def allowed_next(release: Release) -> list[str]:
    """The statuses the release may move to, in lifecycle order."""
    return [s for s in Release.Status.values if s in TRANSITIONS[release.status]]


def default_forms(
    release: Release, request: AuthedRequest, components: list, missing: list
) -> dict:
    user = request.user
    squads = user.squads
    first_missing = next(iter(missing), None)
    return {
        "ticket_form": forms.TicketForm(
            initial={"squad": squads[0] if squads else None}, user=user
        ),
        "risk_form": forms.RiskForm(),
        "flag_form": forms.FlagForm(),
        "oncall_form": forms.OnCallForm(),
        "dashboard_form": forms.DashboardForm(),
        "plan_form": forms.RollbackPlanForm(
            components=components,
            initial={"component": forms.RollbackPlanForm.value_for(first_missing)}
            if first_missing
            else None,
        ),
        "exception_form": forms.FreezeExceptionForm(),
        "decision_form": forms.DecisionForm(),
        "status_form": forms.StatusForm(allowed=allowed_next(release)),
        "move_form": forms.MoveForm(
            initial={"window_start": release.window_start, "window_end": release.window_end}
        ),
        "reason_form": forms.ReasonForm(),
        "handover_form": forms.HandoverForm(),
    }


def _release(code, shown: Collection[str] | None) -> Release:
    def needs(*sections: str) -> bool:
        return shown is None or any(s in shown for s in sections)

    queryset = selectors.with_scope(Release.objects.all(), tickets=needs(*NEEDS_TICKETS))
    related = [
        name
        for section, name in [
            ("risks", "risks__added_by"),
            ("flags", "flags"),
            ("oncall", "oncall__person"),
            ("dashboards", "dashboards__validated_by"),
        ]
        if needs(section)
    ]
    return get_object_or_404(queryset.prefetch_related(*related), code=code)


def detail_context(
    request: AuthedRequest,
    code,
    bound: dict | None = None,
    shown: Collection[str] | None = None,
) -> dict:
    """Everything the release's own sections show (only what the sections `shown` need, when
    given), with `bound` forms in place of blank ones."""
    release = _release(code, shown)
    now = timezone.now()
    hotfix: Hotfix | None = one_to_one_or_none(release, "hotfix") if release.is_hotfix else None
    context: dict[str, Any] = {
        "release": release,
        "now": now,
        "can": capabilities(request.user),
        "frozen": release.is_frozen(now),
        "milestones": release.clock.milestones(),
        "next": selectors.next_milestone(release, now),
        "pending": selectors.pending_exceptions(release),
        "squad_ids": {s.pk for s in request.user.squads},
        # The latest few; the whole timeline is a page of its own (pages:timeline).
        "timeline": list(release.timeline.select_related("actor")[:LATEST_EVENTS]),
        "hotfix": hotfix,
    }
    if shown is None or not NEEDS_TICKETS.isdisjoint(shown):
        context["components"] = selectors.changed_components(release)
        context["missing_plans"] = selectors.missing_plans(release)
    if hotfix:
        context["hotfix_deployed"] = release.status in DEPLOYED_STATUSES
        context["follow_ups"] = [
            {"kind": kind, "label": label, "done": hotfix.follow_up(kind)}
            for kind, label in FollowUp.choices
        ]
    context.update(
        default_forms(
            release, request, context.get("components", []), context.get("missing_plans", [])
        )
    )
    context.update(bound or {})
    return context


def shown_on_client(request: AuthedRequest) -> set[str]:
    """The sections on the page the htmx request came from; none if it does not say."""
    return set(request.headers.get(SECTIONS_HEADER, "").split())


def render_section(
    request: AuthedRequest, release: Release, section: str, bound: dict | None = None
) -> HttpResponse:
    """The section with bound forms showing their errors: for htmx with what else it changed,
    out of band; for a plain POST alone on a page that links back to the release."""
    on_page = shown_on_client(request) if request.htmx else set()
    context = detail_context(request, release.code, bound, shown={section, *on_page})
    if not request.htmx:
        context.update(section=section, section_template=f"{TEMPLATE}#{section}")
        return render(request, SECTION_PAGE, context, status=400 if bound else 200)
    html = render_to_string(f"{TEMPLATE}#{section}", context, request)
    for extra in ALSO_REFRESH.get(section, ["timeline"]):
        if extra in on_page:
            html += render_to_string(f"{TEMPLATE}#{extra}", {**context, "oob": True}, request)
    return HttpResponse(html)


def section_done(
    request: AuthedRequest, release: Release, section: str, message: str
) -> HttpResponse:
    if request.htmx:
        response = render_section(request, release, section)
        # The page around the section may show what this changed (the release page's badges).
        response["HX-Trigger"] = "release-changed"
        return response
    messages.success(request, message)
    return redirect(section_url(release, section))


def section_url(release: Release, section: str) -> str:
    """The release page at the stage that shows `section` (the pages app picks it)."""
    return reverse("pages:release", args=[release.code]) + f"?section={section}#{section}"


def answer(
    request: AuthedRequest, release: Release, section: str, outcome: Outcome, form_name: str
) -> HttpResponse:
    """How an action on a section answers once `attempt` ran: done, with the notice the service
    call returned, or the section again with the form (`form_name` in its context) and its
    error."""
    if outcome.ok:
        return section_done(request, release, section, outcome.value)
    return render_section(request, release, section, {form_name: outcome.form})
