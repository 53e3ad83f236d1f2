"""The release ticket's scope: tickets, known risks, flags, on-call, dashboards to validate and
rollback plans. After the freeze a ticket changes only under an approved freeze exception."""

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from releasehub.accounts.models import Squad, User
from releasehub.audit.timeline import record_event
from releasehub.catalog.models import FrontendApp, Service
from releasehub.core.errors import ServiceError
from releasehub.releases.models import (
    APP_STRATEGIES,
    SERVICE_STRATEGIES,
    FlagChange,
    MonitoringDashboard,
    OnCallAssignment,
    Release,
    Risk,
    RollbackPlan,
    ScopeTicket,
)
from releasehub.releases.services.decisions import AlreadyDecided
from releasehub.releases.services.freeze import covering_exception
from releasehub.releases.services.lifecycle import lock_open


@transaction.atomic
def ticket_add(
    *,
    release: Release,
    actor: User,
    key: str,
    title: str,
    squad: Squad,
    services: Iterable[Service] = (),
    apps: Iterable[FrontendApp] = (),
    link: str = "",
    merged: bool = False,
    ci_passing: bool = False,
    at: dt.datetime | None = None,
) -> ScopeTicket:
    """Tag a ticket for the release (`at` lets the demo seed scope added before the freeze)."""
    locked = lock_open(release)
    key = key.strip().upper()
    exception = covering_exception(locked, key, at)
    if ScopeTicket.objects.filter(release=locked, key=key).exists():
        raise ServiceError(f"{key} is already in the scope of {locked.version}.")
    ticket = ScopeTicket.objects.create(
        release=locked,
        key=key,
        title=title,
        squad=squad,
        link=link,
        merged=merged,
        ci_passing=ci_passing,
        freeze_exception=exception,
        added_by=actor,
    )
    ticket.services.set(services)
    ticket.apps.set(apps)
    record_event(
        verb="scope.ticket_added",
        target=ticket,
        release=locked,
        actor=actor,
        summary=f"{key} added to {locked.version} ({squad})"
        + (" under a freeze exception" if exception else ""),
        after=_ticket_state(ticket),
        occurred_at=at,
    )
    return ticket


def _ticket_state(ticket: ScopeTicket) -> dict:
    return {
        "key": ticket.key,
        "title": ticket.title,
        "squad": ticket.squad.slug,
        "services": sorted(s.slug for s in ticket.services.all()),
        "apps": sorted(a.slug for a in ticket.apps.all()),
        "merged": ticket.merged,
        "ci_passing": ticket.ci_passing,
    }


@transaction.atomic
def ticket_update(*, ticket: ScopeTicket, actor: User, merged: bool, ci_passing: bool) -> None:
    """Record merged / CI status. Merging during the freeze is a change of scope; a CI result
    is not (it only reports on code already in)."""
    locked = lock_open(ticket.release)
    # The release row lock above serialises every scope write of this release.
    ticket = ScopeTicket.objects.get(pk=ticket.pk)
    if merged == ticket.merged and ci_passing == ticket.ci_passing:
        return
    exception = None
    if merged != ticket.merged:
        exception = covering_exception(locked, ticket.key)
    before = {"merged": ticket.merged, "ci_passing": ticket.ci_passing}
    ticket.merged, ticket.ci_passing = merged, ci_passing
    fields = ["merged", "ci_passing"]
    if exception:
        ticket.freeze_exception = exception
        fields.append("freeze_exception")
    ticket.save(update_fields=fields)
    record_event(
        # Merging changes what ships (sign-offs go stale); a CI result only reports on it.
        verb="scope.ticket_updated" if before["merged"] != merged else "ci.ticket_status",
        target=ticket,
        release=locked,
        actor=actor,
        summary=f"{ticket.key}: merged {'yes' if merged else 'no'}, "
        f"CI {'passing' if ci_passing else 'failing'}",
        before=before,
        after={"merged": merged, "ci_passing": ci_passing},
    )


@transaction.atomic
def ticket_remove(*, ticket: ScopeTicket, actor: User, reason: str) -> None:
    if not reason.strip():
        raise ServiceError("Give a reason for removing the ticket.")
    locked = lock_open(ticket.release)
    covering_exception(locked, ticket.key)
    state = _ticket_state(ticket)
    ScopeTicket.objects.filter(pk=ticket.pk).delete()
    record_event(
        verb="scope.ticket_removed",
        target=ticket,
        release=locked,
        actor=actor,
        summary=f"{ticket.key} removed from {locked.version}",
        reason=reason,
        before=state,
    )


@transaction.atomic
def risk_add(*, release: Release, actor: User, description: str, mitigation: str = "") -> Risk:
    locked = lock_open(release)
    risk = Risk.objects.create(
        release=locked, description=description, mitigation=mitigation, added_by=actor
    )
    record_event(
        verb="scope.risk_added",
        target=risk,
        release=locked,
        actor=actor,
        summary=f"Known risk: {description}",
        after={"mitigation": mitigation},
    )
    return risk


@transaction.atomic
def flag_add(*, release: Release, actor: User, name: str, default_state: str) -> FlagChange:
    locked = lock_open(release)
    if FlagChange.objects.filter(release=locked, name=name).exists():
        raise ServiceError(f"Flag {name} is already listed.")
    flag = FlagChange.objects.create(
        release=locked, name=name, default_state=default_state, added_by=actor
    )
    record_event(
        verb="scope.flag_added",
        target=flag,
        release=locked,
        actor=actor,
        summary=f"Feature flag {name}: {default_state}",
    )
    return flag


@transaction.atomic
def oncall_assign(*, release: Release, actor: User, role: str, person: User) -> OnCallAssignment:
    locked = lock_open(release)
    current = OnCallAssignment.objects.filter(release=locked, role=role).first()
    before = str(current.person) if current else None
    assignment, _ = OnCallAssignment.objects.update_or_create(
        release=locked, role=role, defaults={"person": person}
    )
    record_event(
        verb="oncall.assigned",
        target=assignment,
        release=locked,
        actor=actor,
        summary=f"On call, {assignment.get_role_display()}: {person}",
        before={"person": before},
        after={"person": str(person)},
    )
    return assignment


@transaction.atomic
def dashboard_add(*, release: Release, actor: User, name: str, url: str) -> MonitoringDashboard:
    locked = lock_open(release)
    board = MonitoringDashboard.objects.create(release=locked, name=name, url=url, added_by=actor)
    record_event(
        verb="monitoring.dashboard_added",
        target=board,
        release=locked,
        actor=actor,
        summary=f"Dashboard to validate: {name}",
        after={"url": url},
    )
    return board


@transaction.atomic
def dashboard_validate(*, board: MonitoringDashboard, actor: User) -> MonitoringDashboard:
    locked = lock_open(board.release)
    now = timezone.now()
    changed = MonitoringDashboard.objects.filter(pk=board.pk, validated_at=None).update(
        validated_by=actor, validated_at=now
    )
    if changed != 1:
        raise AlreadyDecided(f"{board.name} was already validated.")
    board.validated_by, board.validated_at = actor, now
    record_event(
        verb="monitoring.dashboard_validated",
        target=board,
        release=locked,
        actor=actor,
        summary=f"Dashboard validated: {board.name}",
    )
    return board


@transaction.atomic
def rollback_plan_save(
    *,
    release: Release,
    actor: User,
    component: Service | FrontendApp,
    strategy: str,
    previous: str,
    steps: str,
) -> RollbackPlan:
    """Create or replace the plan for one changed service or app."""
    locked = lock_open(release)
    is_service = isinstance(component, Service)
    if strategy not in (SERVICE_STRATEGIES if is_service else APP_STRATEGIES):
        raise ServiceError(f"That strategy does not apply to {component}.")
    lookup: dict[str, Any] = {"service": component} if is_service else {"app": component}
    current = RollbackPlan.objects.filter(release=locked, **lookup).first()
    before = (
        {"strategy": current.strategy, "previous": current.previous, "steps": current.steps}
        if current
        else None
    )
    plan, _ = RollbackPlan.objects.update_or_create(
        release=locked,
        **lookup,
        defaults={
            "strategy": strategy,
            "previous": previous,
            "steps": steps,
            "updated_by": actor,
            "updated_at": timezone.now(),
        },
    )
    record_event(
        verb="rollback.plan_saved",
        target=plan,
        release=locked,
        actor=actor,
        summary=f"Rollback plan for {component}: {plan.get_strategy_display()} ({previous})",
        before=before,
        after={"strategy": strategy, "previous": previous, "steps": steps},
    )
    return plan
