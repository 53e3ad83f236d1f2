"""The release ticket's own sections: what they show and how an action on one of them answers.

The page itself (`pages.views.release`) lays these sections out beside the other apps' panels.
An action here answers htmx with its section, plus what else it changed out of band; a plain
POST that worked with a redirect to the page; a plain POST with an error with the one section
on a page of its own, since only the pages app may build the whole page."""

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
SECTION_PAGE = "releases/section_page.html"
# What else changes when a section changes; refreshed out of band in the same htmx response.
ALSO_REFRESH = {
    "scope-tickets": ["rollback-plans", "freeze-banner", "timeline"],
    "freeze-exceptions": ["scope-tickets", "freeze-banner", "timeline"],
    "hotfix": ["release-header", "timeline"],
}


def allowed_next(release: Release) -> list[str]:
    """The statuses the release may move to, in lifecycle order."""
    return [s for s in Release.Status.values if s in TRANSITIONS[release.status]]


def default_forms(release: Release, request: AuthedRequest) -> dict:
    user = request.user
    squads = user.squads
    components = selectors.changed_components(release)
    first_missing = next(iter(selectors.missing_plans(release)), None)
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


def detail_context(request: AuthedRequest, code, bound: dict | None = None) -> dict:
    """Everything the release's own sections show, with `bound` forms in place of blank ones."""
    release = get_object_or_404(
        selectors.with_scope(Release.objects.all()).prefetch_related(
            "risks__added_by", "flags", "oncall__person", "dashboards__validated_by"
        ),
        code=code,
    )
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
        "problems": selectors.scope_problems(release),
        "components": selectors.changed_components(release),
        "missing_plans": selectors.missing_plans(release),
        "squad_ids": {s.pk for s in request.user.squads},
        "timeline": list(release.timeline.select_related("actor")[:100]),
        "hotfix": hotfix,
    }
    if hotfix:
        context["hotfix_deployed"] = release.status in DEPLOYED_STATUSES
        context["follow_ups"] = [
            {"kind": kind, "label": label, "done": hotfix.follow_up(kind)}
            for kind, label in FollowUp.choices
        ]
    context.update(default_forms(release, request))
    context.update(bound or {})
    return context


def render_section(
    request: AuthedRequest, release: Release, section: str, bound: dict | None = None
) -> HttpResponse:
    """The section with bound forms showing their errors: for htmx with what else it changed,
    out of band; for a plain POST alone on a page that links back to the release."""
    context = detail_context(request, release.code, bound)
    if not request.htmx:
        context.update(section=section, section_template=f"{TEMPLATE}#{section}")
        return render(request, SECTION_PAGE, context, status=400 if bound else 200)
    html = render_to_string(f"{TEMPLATE}#{section}", context, request)
    for extra in ALSO_REFRESH.get(section, ["timeline"]):
        html += render_to_string(f"{TEMPLATE}#{extra}", {**context, "oob": True}, request)
    return HttpResponse(html)


def section_done(
    request: AuthedRequest, release: Release, section: str, message: str
) -> HttpResponse:
    if request.htmx:
        return render_section(request, release, section)
    messages.success(request, message)
    return redirect(reverse("pages:release", args=[release.code]) + f"#{section}")


def answer(
    request: AuthedRequest, release: Release, section: str, outcome: Outcome, form_name: str
) -> HttpResponse:
    """How an action on a section answers once `attempt` ran: done, with the notice the service
    call returned, or the section again with the form (`form_name` in its context) and its
    error."""
    if outcome.ok:
        return section_done(request, release, section, outcome.value)
    return render_section(request, release, section, {form_name: outcome.form})
