"""What a feed lists: the whole train, or what one person owes. Each in a fixed number of
queries, whatever the number of releases; every time comes from the release's clock."""

import datetime as dt
from collections.abc import Iterable

from django.db.models import Max, Prefetch, Q

from releasehub.accounts.models import Role, User
from releasehub.audit.models import TimelineEvent
from releasehub.feeds.ics import Entry
from releasehub.readiness.evidence import current_of, currents_by
from releasehub.readiness.models import (
    ChecklistItem,
    ChecklistItemUpdate,
    GoNoGoDecision,
    ItemState,
    Phase,
    SignOff,
    SignOffDecision,
    SquadInvolvement,
)
from releasehub.readiness.panels import (
    SCOPE_VERB_PREFIX,
    SIGNING_STATUSES,
    SRE_SLOT,
    Slot,
    squad_slot,
)
from releasehub.releases.clock import POST_RELEASE_WATCH
from releasehub.releases.models import Release

# Releases whose window opened longer ago than this are left out, so the feed stays small.
HISTORY = dt.timedelta(days=90)
WINDOW_KEYS = ("window_start", "window_end")


def _name(release: Release) -> str:
    return f"Hotfix {release.version}" if release.is_hotfix else release.version


def release_entries(release: Release) -> list[Entry]:
    """The release's milestones as the clock gives them, the window as one event."""
    clock, name = release.clock, _name(release)
    entries = [
        # Go/No-Go lasts until the window opens; the other milestones are moments.
        Entry(
            release,
            m.key,
            f"{name}: {m.label}",
            m.at,
            clock.window_start if m.key == "go_no_go" else None,
        )
        for m in clock.milestones()
        if m.key not in WINDOW_KEYS
    ]
    label = "Hotfix window" if release.is_hotfix else "Release window"
    window = Entry(release, "window", f"{name}: {label}", clock.window_start, clock.window_end)
    return [*entries, window]


def train_entries(now: dt.datetime) -> list[Entry]:
    """Every release from HISTORY ago on, cancelled ones included (marked so, which makes
    calendars that kept a copy drop it). One query."""
    releases = Release.objects.filter(window_start__gte=now - HISTORY).order_by("window_start")
    return [entry for release in releases for entry in release_entries(release)]


# One person's feed ----------------------------------------------------------------------------


def _due(release: Release, phase: str) -> dt.datetime:
    """When a checklist phase is due on the release's clock."""
    clock = release.clock
    if release.is_hotfix:
        return clock.window_start
    if phase == Phase.PRE_RELEASE:
        return clock.pre_release_due
    if phase == Phase.MEETING:
        return clock.pre_release_meeting
    if phase == Phase.SMOKE:
        return clock.window_end
    # Post-release actions are due when the 24-hour watch after completion ends.
    return (release.completed_at or clock.window_end) + POST_RELEASE_WATCH


def _stale_cuts(releases: list[Release]) -> dict[int, dt.datetime]:
    """readiness.panels.stale_before for many releases at once (2 queries): the last scope
    change or No-Go; a sign-off given at or before it must be given again."""
    ids = [r.pk for r in releases]
    changes = (
        TimelineEvent.objects.filter(release__in=ids, verb__startswith=SCOPE_VERB_PREFIX)
        .values("release")
        .annotate(at=Max("occurred_at"))
        .values_list("release", "at")
    )
    no_gos = (
        GoNoGoDecision.objects.filter(release__in=ids, decision=SignOffDecision.NO_GO)
        .values("release")
        .annotate(at=Max("at"))
        .values_list("release", "at")
    )
    cuts: dict[int, dt.datetime] = {}
    for release_id, at in [*changes, *no_gos]:
        cuts[release_id] = max(at, cuts.get(release_id, at))
    return cuts


def _sign_off_entries(user: User, releases: list[Release]) -> list[Entry]:
    """The Go/No-Go sign-offs `user` holds a slot for and has not given (or gave before the
    scope changed), on releases still signing. 4 queries."""
    slots: list[Slot] = [squad_slot(s) for s in user.squads]
    if user.has_role(Role.SRE):
        slots.append(SRE_SLOT)
    signing = [r for r in releases if r.status in SIGNING_STATUSES]
    if not slots or not signing:
        return []
    given = currents_by(
        SignOff.objects.filter(release__in=signing, slot__in=[s.key for s in slots]),
        lambda row: (row.release_id, row.slot),
    )
    involvement = currents_by(
        SquadInvolvement.objects.filter(release__in=signing, squad__in=user.squads),
        lambda row: (row.release_id, row.squad_id),
    )
    cuts = _stale_cuts(signing)
    entries = []
    for release in signing:
        cut = cuts.get(release.pk)
        for slot in slots:
            said = involvement.get((release.pk, slot.squad.pk)) if slot.squad else None
            current = given.get((release.pk, slot.key))
            if (said and not said.involved) or (current and not (cut and current.at <= cut)):
                continue
            clock = release.clock
            summary = f"{_name(release)}: your Go/No-Go sign-off ({slot.label})"
            note = "Sign again: the scope changed after your sign-off." if current else ""
            entries.append(
                Entry(
                    release,
                    f"signoff-{slot.key}",
                    summary,
                    clock.go_no_go,
                    clock.window_start,
                    note,
                )
            )
    return entries


def _item_entries(user: User, releases: Iterable[Release]) -> list[Entry]:
    """Open checklist items `user` owns: named, or by role (the RM's only on their releases).
    Computed items are left out: the data answers them, nobody ticks them. 2 queries."""
    by_role = Q(owner__isnull=True, owner_role__in=[a.role for a in user.assignments])
    mine = Q(owner=user) | (by_role & ~Q(owner_role=Role.RELEASE_MANAGER))
    mine |= Q(owner__isnull=True, owner_role=Role.RELEASE_MANAGER, release__release_manager=user)
    items = (
        ChecklistItem.objects.filter(mine, release__in=list(releases), computed_by="")
        .select_related("release")
        .prefetch_related(
            Prefetch(
                "updates",
                queryset=ChecklistItemUpdate.objects.only(
                    "id", "item_id", "supersedes_id", "state"
                ),
            )
        )
        .order_by("release__window_start", "phase", "position")
    )
    entries = []
    for item in items:
        current = current_of(item.updates.all())
        state = current.state if current else ItemState.OPEN
        if state in (ItemState.DONE, ItemState.NOT_APPLICABLE):
            continue
        release = item.release
        note = f"{Phase(item.phase).label}. State: {ItemState(state).label}."
        summary = f"{_name(release)}: {item.text}"
        entries.append(
            Entry(release, f"item-{item.code}", summary, _due(release, item.phase), note=note)
        )
    return entries


def _rm_entries(user: User, releases: Iterable[Release]) -> list[Entry]:
    """The releases `user` manages, from the first milestone to the window's end."""
    return [
        Entry(
            release,
            "rm",
            f"{_name(release)}: you are the Release Manager",
            release.clock.milestones()[0].at,
            release.clock.window_end,
        )
        for release in releases
        if release.release_manager_id == user.pk
    ]


def personal_entries(user: User, now: dt.datetime) -> list[Entry]:
    """What `user` owes: sign-offs, open checklist items, the releases they manage."""
    releases = list(
        Release.objects.filter(window_start__gte=now - HISTORY)
        .filter(Q(status__in=Release.OPEN_STATUSES) | Q(release_manager=user))
        .order_by("window_start")
    )
    open_releases = [r for r in releases if r.is_open]
    entries = [
        *_rm_entries(user, releases),
        *_sign_off_entries(user, open_releases),
        *_item_entries(user, open_releases),
    ]
    return sorted(entries, key=lambda e: (e.start, e.uid))
