"""Writes that change releases. Each runs in one transaction and records a timeline event.

Services check the rules that hold whoever calls them (the freeze, nobody approves their own
request, one decision per request); views check who may call them at all.
"""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from releasehub.accounts.models import RotaMember, Squad, User
from releasehub.accounts.rota import next_release_manager
from releasehub.audit.timeline import record_event
from releasehub.catalog.models import FrontendApp, Service
from releasehub.core.errors import ServiceError
from releasehub.releases.clock import IST, default_window
from releasehub.releases.hooks import Change, announce
from releasehub.releases.models import (
    APP_STRATEGIES,
    MOVABLE_STATUSES,
    SERVICE_STRATEGIES,
    Decision,
    FlagChange,
    FollowUp,
    FreezeException,
    FreezeExceptionDecision,
    Hotfix,
    HotfixApproval,
    HotfixFollowUp,
    MonitoringDashboard,
    OnCallAssignment,
    Release,
    Risk,
    RollbackPlan,
    ScopeTicket,
    Train,
    parse_keys,
)

S = Release.Status

# Which status may follow which. Anything else is a programming or a user error.
TRANSITIONS: dict[str, set[str]] = {
    S.PLANNED: {S.FROZEN, S.GO, S.NO_GO, S.DEPLOYING, S.CANCELLED},
    S.FROZEN: {S.PLANNED, S.GO, S.NO_GO, S.CANCELLED},
    S.GO: {S.DEPLOYING, S.NO_GO, S.CANCELLED},
    S.NO_GO: {S.PLANNED, S.CANCELLED},
    S.DEPLOYING: {S.VERIFYING, S.ROLLED_BACK},
    S.VERIFYING: {S.MONITORING, S.COMPLETED, S.ROLLED_BACK},
    S.MONITORING: {S.COMPLETED, S.ROLLED_BACK},
    S.COMPLETED: {S.ROLLED_BACK},
    S.ROLLED_BACK: set(),
    S.CANCELLED: set(),
}


class TransitionError(ServiceError):
    """The release is not in a status the requested change can start from."""


class ScopeFrozen(ServiceError):
    """Scope changes during the code freeze need an approved freeze exception."""


class AlreadyDecided(ServiceError):
    """Someone decided first (two RMs at once, or a double click): the first decision stands."""


def ist(moment: dt.datetime) -> str:
    return f"{moment.astimezone(IST):%a %d %b %Y %H:%M} IST"


def suggest_version(day: dt.date, kind: str = Release.Kind.REGULAR) -> str:
    """`2026.12.02` for a train date; hotfixes add `-hf1`, `-hf2`, ... to the day."""
    base = day.strftime("%Y.%m.%d")
    if kind == Release.Kind.REGULAR:
        return base
    taken = Release.objects.filter(version__startswith=f"{base}-hf").count()
    return f"{base}-hf{taken + 1}"


@transaction.atomic
def release_create(
    *,
    version: str,
    window_start: dt.datetime,
    window_end: dt.datetime,
    actor: User | None,
    kind: str = Release.Kind.REGULAR,
    train: Train | None = None,
    train_date: dt.date | None = None,
    release_manager: User | None = None,
    summary: str = "",
    at: dt.datetime | None = None,
) -> Release:
    if window_end <= window_start:
        raise ServiceError("The window must end after it starts.")
    if Release.objects.filter(version=version).exists():
        raise ServiceError(f"Version {version} already exists.")
    if train and Release.objects.filter(train=train, train_date=train_date).exists():
        raise ServiceError(f"The train already has a release for {train_date:%d %b %Y}.")
    if release_manager is None:
        last = Release.objects.exclude(release_manager=None).order_by("-created_at", "-id").first()
        release_manager = next_release_manager(last.release_manager if last else None)
    try:
        with transaction.atomic():
            release = Release.objects.create(
                version=version,
                kind=kind,
                window_start=window_start,
                window_end=window_end,
                train=train,
                train_date=train_date,
                release_manager=release_manager,
                summary=summary,
            )
    except IntegrityError:
        # Two people created the same version at once; the first one stands.
        raise ServiceError(f"Version {version} already exists.") from None
    record_event(
        verb="release.created",
        target=release,
        release=release,
        actor=actor,
        summary=f"{release.get_kind_display()} release {version} planned",
        after={"window_start": window_start.isoformat(), "rm": str(release_manager or "")},
        occurred_at=at,
    )
    announce(Change.CLOCK, release)
    announce(Change.CREATED, release)
    return release


@transaction.atomic
def release_transition(
    release: Release,
    to: str,
    *,
    actor: User | None,
    reason: str = "",
    at: dt.datetime | None = None,
) -> Release:
    """Move `release` to status `to`, guarded so that two concurrent requests change it once."""
    before = Release.objects.select_for_update().get(pk=release.pk)
    if to not in TRANSITIONS[before.status]:
        raise TransitionError(
            f"{release.version} is {before.get_status_display()}; it cannot become "
            f"{Release.Status(to).label}."
        )
    if before.is_hotfix and to != S.CANCELLED and before.status == S.PLANNED:
        hotfix = Hotfix.objects.filter(release=before).select_related("approval").first()
        # A hotfix requested through ReleaseHub waits for the RM; rows without a request are
        # history imported as already approved.
        if hotfix is not None and not hotfix.is_approved:
            raise TransitionError(f"Hotfix {release.version} cannot proceed before RM approval.")
    fields = {"status": to}
    if to in (S.MONITORING, S.COMPLETED) and before.completed_at is None:
        # Deployment and verification are done: the 24-hour post-release watch starts here.
        fields["completed_at"] = at or timezone.now()
    Release.objects.filter(pk=release.pk).update(**fields)
    for name, value in fields.items():
        setattr(release, name, value)
    record_event(
        verb="release.status",
        target=release,
        release=release,
        actor=actor,
        summary=f"{release.version}: {before.get_status_display()} → {Release.Status(to).label}",
        reason=reason,
        before={"status": before.status},
        after={"status": to},
        occurred_at=at,
    )
    announce(Change.CLOCK, release)
    if release.is_hotfix and to == S.VERIFYING:
        # Deployed: the back-merge into main is due now, reminded every 4 hours until confirmed.
        back_merged = HotfixFollowUp.objects.filter(
            hotfix__release=release, kind=FollowUp.BACK_MERGE
        ).exists()
        if not back_merged:
            announce(Change.HOTFIX_DEPLOYED, release, deployed_at=at)
    return release


def release_freeze(release: Release, *, actor: User | None = None) -> Release:
    """Monday 18:00 IST: the timed-action engine calls this (tests may call it directly)."""
    return release_transition(
        release, S.FROZEN, actor=actor, reason="Code freeze (Monday 18:00 IST before the window)"
    )


def _check_window(window_start: dt.datetime, window_end: dt.datetime) -> None:
    if window_end <= window_start:
        raise ServiceError("The window must end after it starts.")
    if window_start <= timezone.now():
        raise ServiceError("The window must start in the future.")


@transaction.atomic
def release_move(
    release: Release,
    *,
    window_start: dt.datetime,
    window_end: dt.datetime,
    actor: User,
    reason: str,
) -> Release:
    """Move the window and with it the whole clock: bump schedule_version, then replan."""
    if not reason.strip():
        raise ServiceError("Give a reason for moving the release.")
    _check_window(window_start, window_end)
    old = Release.objects.select_for_update().get(pk=release.pk)
    if old.status not in MOVABLE_STATUSES:
        raise TransitionError(f"{old.version} is {old.get_status_display()}; it cannot move.")
    changed = Release.objects.filter(pk=old.pk, schedule_version=old.schedule_version).update(
        window_start=window_start,
        window_end=window_end,
        schedule_version=old.schedule_version + 1,
    )
    if changed != 1:
        raise ServiceError("The release changed meanwhile; reload and try again.")
    release.refresh_from_db()
    record_event(
        verb="release.moved",
        target=release,
        release=release,
        actor=actor,
        summary=f"{release.version} moved from {ist(old.window_start)} to {ist(window_start)}",
        reason=reason,
        before={
            "window_start": old.window_start.isoformat(),
            "window_end": old.window_end.isoformat(),
        },
        after={"window_start": window_start.isoformat(), "window_end": window_end.isoformat()},
    )
    announce(Change.CLOCK, release)
    if release.status == S.FROZEN and timezone.now() < release.freeze_at:
        # Moved past its freeze: scope opens again until the new Monday 18:00.
        release_transition(release, S.PLANNED, actor=actor, reason="Moved before its new freeze")
    return release


def release_cancel(release: Release, *, actor: User, reason: str, skip: bool = False) -> Release:
    """Cancel a release, or skip one train occurrence (the train goes on from the next one)."""
    if not reason.strip():
        raise ServiceError("Give a reason.")
    label = "Skipped this train occurrence" if skip else "Cancelled"
    with transaction.atomic():
        release_transition(release, S.CANCELLED, actor=actor, reason=f"{label}: {reason.strip()}")
        if release.train_id:
            train_fill(release.train, actor=actor)
    return release


@transaction.atomic
def release_handover(release: Release, *, to: User, actor: User, reason: str = "") -> Release:
    if not RotaMember.objects.filter(user=to, active=True).exists():
        raise ServiceError(f"{to} is not on the Release Manager rota.")
    locked = Release.objects.select_for_update().get(pk=release.pk)
    if locked.release_manager_id == to.pk:
        raise ServiceError(f"{to} is already the Release Manager of {locked.version}.")
    Release.objects.filter(pk=locked.pk).update(release_manager=to)
    record_event(
        verb="release.handover",
        target=release,
        release=release,
        actor=actor,
        summary=f"{locked.version}: RM handed over from {locked.release_manager} to {to}",
        reason=reason,
        before={"rm": str(locked.release_manager or "")},
        after={"rm": str(to)},
    )
    release.release_manager = to
    return release


# Trains ------------------------------------------------------------------------------------

TRAIN_HORIZON = 4


def train_next_occurrences(train: Train, *, count: int = 1) -> list[dt.date]:
    """The next `count` occurrences whose window is still ahead and that have no release yet
    (a skipped or cancelled occurrence keeps its release row, so it is not offered again)."""
    now = timezone.now()
    taken = set(
        Release.objects.filter(
            train=train, train_date__gte=now.date() - dt.timedelta(days=1)
        ).values_list("train_date", flat=True)
    )
    found: list[dt.date] = []
    for day in train.occurrences(now.astimezone(IST).date(), count + len(taken) + 1):
        if day not in taken and default_window(day)[0] > now:
            found.append(day)
        if len(found) == count:
            break
    return found


@transaction.atomic
def train_fill(train: Train, *, actor: User | None = None) -> list[Release]:
    """Keep the next four occurrences planned: create what is missing, with suggested versions."""
    if not train.active:
        return []
    now = timezone.now()
    planned = Release.objects.filter(
        train=train, status__in=Release.OPEN_STATUSES, window_start__gt=now
    ).count()
    created = []
    for day in train_next_occurrences(train, count=max(TRAIN_HORIZON - planned, 0)):
        version = suggest_version(day)
        if Release.objects.filter(version=version).exists():
            continue
        start, end = default_window(day)
        created.append(
            release_create(
                version=version,
                window_start=start,
                window_end=end,
                actor=actor,
                train=train,
                train_date=day,
                summary=f"{train.name}: {day:%d %b %Y}",
            )
        )
    return created


# Scope -------------------------------------------------------------------------------------


def _lock_open(release: Release) -> Release:
    locked = Release.objects.select_for_update().get(pk=release.pk)
    if not locked.is_open:
        raise ServiceError(f"{locked.version} is {locked.get_status_display()}; scope is closed.")
    return locked


def _covering_exception(
    release: Release, key: str, at: dt.datetime | None = None
) -> FreezeException | None:
    """The approved freeze exception that names `key`, if the release is frozen (at `at`)."""
    if not release.is_frozen(at or timezone.now()):
        return None
    approved = FreezeException.objects.filter(
        release=release, decision__decision=Decision.APPROVED
    ).order_by("requested_at")
    for exception in approved:
        if key in exception.keys:
            return exception
    raise ScopeFrozen(
        f"Code freeze since {ist(release.freeze_at)}: {key} can only be added or changed under "
        "an approved freeze exception."
    )


@transaction.atomic
def ticket_add(
    *,
    release: Release,
    actor: User,
    key: str,
    title: str,
    squad: Squad,
    services: list[Service] = (),
    apps: list[FrontendApp] = (),
    link: str = "",
    merged: bool = False,
    ci_passing: bool = False,
    at: dt.datetime | None = None,
) -> ScopeTicket:
    """Tag a ticket for the release (`at` lets the demo seed scope added before the freeze)."""
    locked = _lock_open(release)
    key = key.strip().upper()
    exception = _covering_exception(locked, key, at)
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
def ticket_update(ticket: ScopeTicket, *, actor: User, merged: bool, ci_passing: bool) -> None:
    """Record merged / CI status. Merging during the freeze is a change of scope; a CI result
    is not (it only reports on code already in)."""
    locked = _lock_open(ticket.release)
    # The release row lock above serialises every scope write of this release.
    ticket = ScopeTicket.objects.get(pk=ticket.pk)
    if merged == ticket.merged and ci_passing == ticket.ci_passing:
        return
    exception = None
    if merged != ticket.merged:
        exception = _covering_exception(locked, ticket.key)
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
def ticket_remove(ticket: ScopeTicket, *, actor: User, reason: str) -> None:
    if not reason.strip():
        raise ServiceError("Give a reason for removing the ticket.")
    locked = _lock_open(ticket.release)
    _covering_exception(locked, ticket.key)
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
    locked = _lock_open(release)
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
    locked = _lock_open(release)
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
    locked = _lock_open(release)
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
    locked = _lock_open(release)
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
def dashboard_validate(board: MonitoringDashboard, *, actor: User) -> MonitoringDashboard:
    locked = _lock_open(board.release)
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
    locked = _lock_open(release)
    is_service = isinstance(component, Service)
    if strategy not in (SERVICE_STRATEGIES if is_service else APP_STRATEGIES):
        raise ServiceError(f"That strategy does not apply to {component}.")
    lookup = {"service": component} if is_service else {"app": component}
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


# Freeze exceptions -------------------------------------------------------------------------


@transaction.atomic
def freeze_exception_request(
    *, release: Release, actor: User, items: str, reason: str, risk: str, rollback_note: str
) -> FreezeException:
    locked = _lock_open(release)
    if locked.is_hotfix:
        raise ServiceError("A hotfix has no code freeze.")
    if not all(v.strip() for v in (items, reason, risk, rollback_note)):
        raise ServiceError("Items, reason, risk and rollback note are all required.")
    exception = FreezeException.objects.create(
        release=locked,
        items="\n".join(parse_keys(items)),
        reason=reason,
        risk=risk,
        rollback_note=rollback_note,
        requested_by=actor,
        requested_at=timezone.now(),
    )
    record_event(
        verb="freeze.exception_requested",
        target=exception,
        release=locked,
        actor=actor,
        summary=f"Freeze exception requested for {', '.join(exception.keys)}",
        reason=reason,
        after={"items": exception.keys, "risk": risk, "rollback_note": rollback_note},
    )
    return exception


def freeze_exception_decide(
    exception: FreezeException, *, actor: User, approve: bool, comment: str
) -> FreezeExceptionDecision:
    if not comment.strip():
        raise ServiceError("A decision needs a comment.")
    if exception.requested_by_id == actor.pk:
        raise PermissionDenied("Nobody decides on their own freeze exception.")
    decision = Decision.APPROVED if approve else Decision.REJECTED
    try:
        with transaction.atomic():
            locked = _lock_open(exception.release)
            # The one-to-one refuses a second decision even when two RMs click at once.
            row = FreezeExceptionDecision.objects.create(
                exception=exception,
                decision=decision,
                comment=comment,
                decided_by=actor,
                decided_at=timezone.now(),
            )
            record_event(
                verb=f"freeze.exception_{decision}",
                target=exception,
                release=locked,
                actor=actor,
                summary=f"Freeze exception for {', '.join(exception.keys)} {decision}",
                reason=comment,
            )
    except IntegrityError:
        raise AlreadyDecided("This exception has already been decided.") from None
    return row


# Hotfixes ----------------------------------------------------------------------------------


def last_production_tag() -> str:
    """The version of the last completed release: the default base of a hotfix branch."""
    last = (
        Release.objects.filter(status=S.COMPLETED)
        .order_by("-completed_at", "-window_start")
        .values_list("version", flat=True)
        .first()
    )
    return last or ""


@transaction.atomic
def hotfix_create(
    *,
    actor: User,
    version: str,
    window_start: dt.datetime,
    window_end: dt.datetime,
    production_tag: str,
    problem: str,
    incident_url: str,
    branch: str,
    risk_assessment: str,
    tests_run: str,
    tests_result: str,
    supervising_sre: User,
    components: Iterable[Service | FrontendApp] = (),
    at: dt.datetime | None = None,
) -> Hotfix:
    """Request a hotfix (the form refuses a window in the past; `at` lets history be seeded).

    `components` are the services and apps it affects: the form requires one; a hotfix from
    an anomaly that named none has none."""
    release = release_create(
        version=version,
        kind=Release.Kind.HOTFIX,
        window_start=window_start,
        window_end=window_end,
        actor=actor,
        summary=problem,
        at=at,
    )
    hotfix = Hotfix.objects.create(
        release=release,
        production_tag=production_tag,
        problem=problem,
        incident_url=incident_url,
        branch=branch,
        risk_assessment=risk_assessment,
        tests_run=tests_run,
        tests_result=tests_result,
        supervising_sre=supervising_sre,
        requested_by=actor,
        requested_at=at or timezone.now(),
    )
    components = list(components)
    hotfix.services.set(c for c in components if isinstance(c, Service))
    hotfix.apps.set(c for c in components if isinstance(c, FrontendApp))
    affects = hotfix.components_text
    record_event(
        verb="hotfix.requested",
        target=hotfix,
        release=release,
        actor=actor,
        summary=f"Hotfix {version} from {production_tag} on {branch}, SRE {supervising_sre}"
        + (f"; affects {affects}" if affects else ""),
        reason=problem,
        after={
            "incident": incident_url,
            "tests": tests_result,
            "risk": risk_assessment,
            "components": [c.slug for c in hotfix.components],
        },
        occurred_at=at,
    )
    return hotfix


def hotfix_decide(
    hotfix: Hotfix, *, actor: User, approve: bool, comment: str, at: dt.datetime | None = None
) -> HotfixApproval:
    if not comment.strip():
        raise ServiceError("A decision needs a comment.")
    if hotfix.requested_by_id == actor.pk:
        raise PermissionDenied("Nobody approves their own hotfix.")
    decision = Decision.APPROVED if approve else Decision.REJECTED
    try:
        with transaction.atomic():
            release = _lock_open(hotfix.release)
            row = HotfixApproval.objects.create(
                hotfix=hotfix,
                decision=decision,
                comment=comment,
                decided_by=actor,
                decided_at=at or timezone.now(),
            )
            record_event(
                verb=f"hotfix.{decision}",
                target=hotfix,
                release=release,
                actor=actor,
                summary=f"Hotfix {release.version} {decision}",
                reason=comment,
                occurred_at=at,
            )
            if not approve:
                release_transition(release, S.CANCELLED, actor=actor, reason=comment)
    except IntegrityError:
        raise AlreadyDecided("This hotfix has already been decided.") from None
    return row


# After deployment: a hotfix that has reached verification has been deployed.
DEPLOYED_STATUSES = (S.VERIFYING, S.MONITORING, S.COMPLETED)


def hotfix_confirm(
    hotfix: Hotfix, *, actor: User, kind: str, note: str = "", at: dt.datetime | None = None
) -> HotfixFollowUp:
    if hotfix.release.status not in DEPLOYED_STATUSES:
        raise ServiceError("Follow-ups are confirmed after the hotfix is deployed.")
    label = FollowUp(kind).label
    try:
        with transaction.atomic():
            row = HotfixFollowUp.objects.create(
                hotfix=hotfix,
                kind=kind,
                note=note,
                confirmed_by=actor,
                confirmed_at=at or timezone.now(),
            )
            record_event(
                verb=f"hotfix.{kind}",
                target=hotfix,
                release=hotfix.release,
                actor=actor,
                summary=f"Hotfix {hotfix.release.version}: {label}",
                reason=note,
                occurred_at=at,
            )
            if kind == FollowUp.BACK_MERGE:
                announce(Change.BACK_MERGED, hotfix.release)
    except IntegrityError:
        raise AlreadyDecided(f"{label} was already confirmed.") from None
    return row
