"""The release ticket's own sections: what they show and how an action on one of them answers.

The page itself (`pages.views.release`) lays these sections out, a stage at a time, beside the
other apps' panels. An action here answers htmx with its section, plus what else it changed out
of band, but only the parts the page says it shows (`SECTIONS_HEADER`: an out-of-band part with
no target is an htmx error); a plain POST that worked with a redirect to the page's stage that
shows the section; a plain POST with an error with the one section on a page of its own, since
only the pages app may build the whole page."""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from releasehub.audit import live
from releasehub.core.forms import Outcome
from releasehub.core.http import AuthedRequest
from releasehub.core.relations import (
    keep_prefetched,
    one_to_one_or_none,
    prefetched,
    prefetched_rows,
)
from releasehub.releases import forms, selectors
from releasehub.releases.access import capabilities, release_for
from releasehub.releases.models import (
    FlagChange,
    FollowUp,
    FreezeException,
    Hotfix,
    MonitoringDashboard,
    OnCallAssignment,
    Release,
    Risk,
    RollbackPlan,
    ScopeTicket,
)
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


@dataclass(frozen=True)
class LazyForm:
    """A form behind a disclosure. The page renders it only when it shows it open (bound with
    errors, or asked for with `?form=<name>`); else the closed disclosure fetches it when
    opened, with a link to the page showing it open for a browser without JavaScript. Building
    and rendering the page's dozen forms was most of its cost (#15)."""

    name: str
    key: str  # its name in the template context
    section: str  # the section it acts on
    partial: str = "form-add"  # the partial of releases/_sections.html that renders it
    action: str = ""  # an add form's URL name, its button and its class
    button: str = ""
    form_class: str = ""


LAZY_FORMS = {
    f.name: f
    for f in (
        LazyForm(
            "ticket",
            "ticket_form",
            "scope-tickets",
            action="releases:ticket_add",
            button="Add ticket",
            form_class="grid-form",
        ),
        LazyForm("risk", "risk_form", "risks", action="releases:risk_add", button="Add risk"),
        LazyForm("flag", "flag_form", "flags", action="releases:flag_add", button="Add flag"),
        LazyForm(
            "oncall", "oncall_form", "oncall", action="releases:oncall_assign", button="Assign"
        ),
        LazyForm(
            "dashboard",
            "dashboard_form",
            "dashboards",
            action="releases:dashboard_add",
            button="Add dashboard",
        ),
        LazyForm(
            "plan", "plan_form", "rollback-plans", action="releases:plan_save", button="Save plan"
        ),
        LazyForm(
            "exception",
            "exception_form",
            "freeze-exceptions",
            action="releases:exception_request",
            button="Request exception",
        ),
        LazyForm("status", "status_form", "release-header", "form-status"),
        LazyForm("move", "move_form", "release-header", "form-move"),
        LazyForm("reason", "reason_form", "release-header", "form-reason"),
        LazyForm("handover", "handover_form", "release-header", "form-handover"),
    )
}


def build_form(name: str, release: Release, request: AuthedRequest) -> forms.PageForm:
    """The blank form `name` of LAZY_FORMS for this release and person."""
    match name:
        case "ticket":
            squads = request.user.squads
            initial = {"squad": squads[0] if squads else None}
            return forms.TicketForm(initial=initial, user=request.user)
        case "plan":
            # The release may come without its scope prefetched (a form fetched on its own).
            if not prefetched(release, "tickets"):
                release = selectors.with_scope_of(release)
            missing = selectors.missing_plans(release)
            return forms.RollbackPlanForm(
                components=selectors.changed_components(release),
                initial={"component": forms.RollbackPlanForm.value_for(missing[0])}
                if missing
                else None,
            )
        case "status":
            return forms.StatusForm(allowed=allowed_next(release))
        case "move":
            return forms.MoveForm(
                initial={"window_start": release.window_start, "window_end": release.window_end}
            )
    simple: dict[str, type[forms.PageForm]] = {
        "risk": forms.RiskForm,
        "flag": forms.FlagForm,
        "oncall": forms.OnCallForm,
        "dashboard": forms.DashboardForm,
        "exception": forms.FreezeExceptionForm,
        "reason": forms.ReasonForm,
        "handover": forms.HandoverForm,
    }
    return simple[name]()


def open_forms(release: Release, request: AuthedRequest, context: dict) -> dict:
    """The blank forms the page shows open: the one `?form=` asks for (a link that works
    without JavaScript) and the rollback plan while a changed component has none."""
    names = {request.GET.get("form", "")} & LAZY_FORMS.keys()
    if context.get("missing_plans"):
        names.add("plan")
    return {LAZY_FORMS[n].key: build_form(n, release, request) for n in names}


def form_fragment(request: AuthedRequest, release: Release, name: str) -> HttpResponse:
    """One form of LAZY_FORMS on its own: what a disclosure fetches when it is opened."""
    lazy = LAZY_FORMS.get(name)
    if lazy is None:
        raise Http404("No such form")
    context = {
        "release": release,
        "lazy": lazy,
        "form": build_form(name, release, request),
    }
    return render(request, f"{TEMPLATE}#{lazy.partial}", context)


# The rows the chrome of every stage reads with the release (its header). A hotfix's own rows
# come in a second query, and only for a hotfix (`with_hotfix`): joined into this one, they made
# PostgreSQL plan an eight-table join for every release page (3 ms of planning, 3 ms of SQL
# compiling, for rows that an ordinary release does not have).
RELATED = ("release_manager", "train")
HOTFIX_RELATED = ("supervising_sre", "requested_by", "approval__decided_by")


def with_hotfix(release: Release) -> Release:
    """A hotfix release with its hotfix row and the people on it read (one query); a train
    release as it is. Afterwards `release.hotfix` reads no more."""
    if release.is_hotfix:
        hotfix = Hotfix.objects.select_related(*HOTFIX_RELATED).filter(release=release).first()
        Release.hotfix.related.set_cached_value(release, hotfix)
    return release


def prefetch_for(
    release: Release, shown: Collection[str] | None, *, version: str | None = None
) -> Release:
    """Add to `release` the rows the sections `shown` read (all of them when None): one query
    a kind, and none for a section the stage does not show. With the release's `version`
    (`audit.live.release_version`) the rows are shared by everyone reading the release at that
    version (`audit.live.shared`): every change to them writes a timeline event. Only for what a
    page shows; a hotfix's own rows are read each time."""

    def needs(*sections: str) -> bool:
        return shown is None or any(s in shown for s in sections)

    # The freeze banner (on every stage) counts the pending exceptions.
    lookups: list[Prefetch] = [
        Prefetch(
            "exceptions",
            queryset=FreezeException.objects.select_related("requested_by", "decision__decided_by"),
        )
    ]
    # Shared, they cost a read once per version: then every stage has them for the rail's
    # badges (tickets not merged, changed components without a plan) at no query.
    if needs(*NEEDS_TICKETS) or version is not None:
        tickets = ScopeTicket.objects.select_related("squad", "added_by")
        lookups += [
            Prefetch("tickets", queryset=tickets.prefetch_related("services", "apps")),
            Prefetch(
                "rollback_plans",
                queryset=RollbackPlan.objects.select_related("service", "app", "updated_by"),
            ),
        ]
    for section, name, related in [
        ("risks", "risks", Risk.objects.select_related("added_by")),
        ("flags", "flags", FlagChange.objects.all()),
        ("oncall", "oncall", OnCallAssignment.objects.select_related("person")),
        ("dashboards", "dashboards", MonitoringDashboard.objects.select_related("validated_by")),
    ]:
        if needs(section):
            lookups.append(Prefetch(name, queryset=related))
    if version is None:
        prefetch_related_objects([release], *lookups)
    else:
        names = [lookup.prefetch_to for lookup in lookups]
        rows = live.shared(
            f"release-rows:{release.code.hex}:{'+'.join(names)}",
            version,
            lambda: _rows_of(release, lookups, names),
        )
        keep_prefetched(release, rows)
    if release.is_hotfix and needs("hotfix"):
        prefetch_related_objects(
            [release], "hotfix__follow_ups__confirmed_by", "hotfix__services", "hotfix__apps"
        )
    return release


def _rows_of(release: Release, lookups: list[Prefetch], names: list[str]) -> dict[str, Any]:
    prefetch_related_objects([release], *lookups)
    return prefetched_rows(release, names)


def detail_context(
    request: AuthedRequest,
    code,
    bound: dict | None = None,
    shown: Collection[str] | None = None,
    release: Release | None = None,
    version: str | None = None,
) -> dict:
    """Everything the release's own sections show (only what the sections `shown` need, when
    given), with `bound` forms in place of blank ones. `release`, when given, is the one named
    by `code` with `RELATED` joined; with its `version` its rows may be a shared copy."""
    release = prefetch_for(
        release or with_hotfix(release_for(request, code, related=RELATED)),
        shown,
        version=version,
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
        "squad_ids": {s.pk for s in request.user.squads},
        # The latest few; the whole timeline is a page of its own (pages:timeline). The version
        # is the latest event: what it names cannot have changed.
        "timeline": latest_events(release)
        if version is None
        else live.shared(f"latest:{release.code.hex}", version, lambda: latest_events(release)),
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
    context["lazy_forms"] = LAZY_FORMS
    context["next_statuses"] = allowed_next(release)
    # A form bound with errors is shown open in place of the blank one.
    context.update(open_forms(release, request, context))
    context.update(bound or {})
    return context


def latest_events(release: Release) -> list:
    return list(release.timeline.select_related("actor")[:LATEST_EVENTS])


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
