"""What the apps above `releases` show on the pages that combine them. Only full pages read
these: an htmx fragment of a page neither shows nor needs them."""

from collections.abc import Collection
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q

from releasehub.accounts.models import Role, User
from releasehub.audit import live
from releasehub.comms.selectors import release_comms
from releasehub.core.relations import one_to_one_or_none, prefetched
from releasehub.notify.selectors import deliveries_for_release
from releasehub.readiness.evidence import currents_by
from releasehub.readiness.models import ChecklistItem, Phase, SignOff, SquadInvolvement
from releasehub.readiness.panels import (
    PANEL_LIVE_STATUSES,
    SIGNING_STATUSES,
    SMOKE_LIVE_STATUSES,
    SMOKE_STATUSES,
    SRE_SLOT,
    shown_go_no_go_state,
    shown_smoke_state,
    squad_slot,
    stale_before,
)
from releasehub.releases.models import FreezeException, Release, RollbackPlan, ScopeTicket
from releasehub.schedule.selectors import actions_for_release


def other_app_sections(
    release: Release, user: User, shown: Collection[str] | None = None, version: str | None = None
) -> dict:
    """What the readiness, schedule, notify and comms apps show on the release page: those of
    `shown` (DOM ids, see pages/stages.py), or all of them; the panels shared at the release's
    `version` when the page read it already."""

    def wanted(section: str) -> bool:
        return shown is None or section in shown

    return {
        "comms": release_comms(release, user, version=version) if wanted("release-comms") else None,
        # A hotfix has no Go/No-Go of its own: the RM's approval of the request stands for it.
        "gng": shown_go_no_go_state(release, version=version)
        if wanted("go-no-go-panel") and not release.is_hotfix
        else None,
        "smoke": shown_smoke_state(release, version=version) if wanted("smoke-panel") else None,
        "actions": actions_for_release(release) if wanted("timed-actions") else [],
        "deliveries": deliveries_for_release(release) if wanted("delivery-log") else [],
    }


def upcoming_releases(count: int, version: str | None = None) -> list[Release]:
    """The next `count` open releases with what their dashboard cards show (scope problems,
    pending exceptions): five queries, none for what only the release page shows. With the
    `version` they were read at (the latest event of all), shared like the panels."""
    if version is not None:
        return live.shared(f"upcoming:{count}", version, lambda: upcoming_releases(count))
    tickets = ScopeTicket.objects.prefetch_related("services", "apps")
    return list(
        Release.objects.filter(status__in=Release.OPEN_STATUSES)
        .select_related("release_manager")
        .prefetch_related(
            Prefetch("tickets", queryset=tickets),
            "rollback_plans",
            Prefetch("exceptions", queryset=FreezeException.objects.select_related("decision")),
        )
        .order_by("window_start")[:count]
    )


def current_release_panels(release: Release | None, version: str) -> dict:
    """The dashboard's readiness panels for the current release: Go/No-Go until release day
    moves past it, the smoke checklist while QA runs it (a failure then shows at once). Read
    at the dashboard's `version` (the latest event of all), so no query when nothing changed."""
    if release is None:
        return {"gng": None, "smoke": None}
    return {
        "gng": shown_go_no_go_state(release, version=version)
        if release.status in PANEL_LIVE_STATUSES and not release.is_hotfix
        else None,
        "smoke": shown_smoke_state(release, version=version)
        if release.status in SMOKE_LIVE_STATUSES
        else None,
    }


# What waits for the signed-in person, per stage ----------------------------------------------


@dataclass
class Badge:
    """What on a stage waits for the signed-in person."""

    reasons: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, count: int, reason: str) -> None:
        if count:
            self.count += count
            self.reasons.append(reason)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _missing_plans(release: Release, squads: list | None) -> int:
    """Changed services and apps without a rollback plan; only `squads`' tickets if given.
    From the page's rows when its stage loaded the tickets and plans, else one query."""
    if prefetched(release, "tickets", "rollback_plans"):
        ids = {s.pk for s in squads or []}
        mine = [t for t in release.tickets.all() if squads is None or t.squad_id in ids]
        changed = {("s", s.pk) for t in mine for s in t.services.all()}
        changed |= {("a", a.pk) for t in mine for a in t.apps.all()}
        planned = {("s", p.service_id) for p in release.rollback_plans.all()}
        planned |= {("a", p.app_id) for p in release.rollback_plans.all()}
        return len(changed - planned)
    # Three plain reads: the union of subqueries this was cost more to build and to plan
    # (2.9 ms against 1.5 ms on PostgreSQL) than the rows it saved.
    services = ScopeTicket.services.through.objects.filter(scopeticket__release=release)
    apps = ScopeTicket.apps.through.objects.filter(scopeticket__release=release)
    if squads is not None:
        services = services.filter(scopeticket__squad__in=squads)
        apps = apps.filter(scopeticket__squad__in=squads)
    changed = {("s", pk) for pk in services.values_list("service_id", flat=True)}
    changed |= {("a", pk) for pk in apps.values_list("frontendapp_id", flat=True)}
    plans = RollbackPlan.objects.filter(release=release).order_by()
    planned = {("s", s) if s else ("a", a) for s, a in plans.values_list("service_id", "app_id")}
    return len(changed - planned)


def _broken_tickets(release: Release, squads: list) -> int:
    """The squads' tickets not merged or failing CI (from the page's rows when it has them)."""
    if prefetched(release, "tickets"):
        ids = {s.pk for s in squads}
        return sum(
            1
            for t in release.tickets.all()
            if t.squad_id in ids and not (t.merged and t.ci_passing)
        )
    return (
        ScopeTicket.objects.filter(release=release, squad__in=squads)
        .filter(Q(merged=False) | Q(ci_passing=False))
        .count()
    )


def _waiting_for(release: Release, user: User) -> tuple[int, int]:
    """Freeze exceptions, and the hotfix, waiting for an RM other than their requester: from
    the page's rows (every stage loads the exceptions and the hotfix's approval)."""
    pending = sum(
        1 for e in release.exceptions.all() if e.is_pending and e.requested_by_id != user.pk
    )
    hotfix = one_to_one_or_none(release, "hotfix") if release.is_hotfix else None
    waiting = int(hotfix is not None and hotfix.is_pending and hotfix.requested_by_id != user.pk)
    return pending, waiting


def _sign_offs_owed(release: Release, user: User) -> list[str]:
    """The slots this person signs for whose sign-off is missing or stale (4 queries)."""
    slots = [squad_slot(s) for s in user.squads]
    if user.has_role(Role.SRE):
        slots.append(SRE_SLOT)
    current = currents_by(
        SignOff.objects.filter(release=release, slot__in=[s.key for s in slots]),
        lambda r: r.slot,
    )
    not_involved = {
        squad_id
        for squad_id, row in currents_by(
            SquadInvolvement.objects.filter(release=release), lambda r: r.squad_id
        ).items()
        if not row.involved
    }
    cut = stale_before(release)
    return [
        s.label
        for s in slots
        if not (s.squad and s.squad.pk in not_involved)
        and (s.key not in current or (cut is not None and current[s.key].at <= cut))
    ]


def stage_badges(release: Release, user: User) -> dict[str, Badge]:
    """Per stage slug, what waits for `user` there (at most 8 queries, whatever the data; fewer
    on a stage that loaded the rows it counts)."""
    badges = {slug: Badge() for slug in ("scope", "freeze", "readiness", "go-no-go", "release-day")}
    if not release.is_open:
        return badges
    rm, squads = user.has_role(Role.RELEASE_MANAGER), user.squads
    if squads:
        broken = _broken_tickets(release, squads)
        badges["scope"].add(
            broken,
            _plural(broken, "ticket of your squad", "tickets of your squads")
            + " not merged or failing CI",
        )
    if rm:
        pending, waiting = _waiting_for(release, user)
        badges["freeze"].add(
            pending,
            _plural(pending, "freeze exception", "freeze exceptions")
            + " waiting for your decision",
        )
        badges["go-no-go"].add(waiting, "The hotfix waits for your approval")
    if rm or squads or user.has_role(Role.SRE):
        missing = _missing_plans(release, None if rm or not squads else squads)
        badges["readiness"].add(
            missing,
            _plural(missing, "changed service or app", "changed services and apps")
            + " without a rollback plan",
        )
    if (
        release.status in SIGNING_STATUSES
        and not release.is_hotfix
        and (squads or user.has_role(Role.SRE))
    ):
        owed = _sign_offs_owed(release, user)
        badges["go-no-go"].add(len(owed), f"Your sign-off is owed: {', '.join(owed)}")
    if release.status in SMOKE_STATUSES and user.has_role(Role.QA_LEAD):
        not_run = ChecklistItem.objects.filter(
            release=release, phase=Phase.SMOKE, smoke_results__isnull=True
        ).count()
        badges["release-day"].add(
            not_run, _plural(not_run, "smoke check", "smoke checks") + " not run yet"
        )
    return badges
