"""Reads for the readiness page, and whom a reminder is for. The panels it lays out, and the
current state they derive from the evidence, are in panels.py.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from releasehub.accounts.models import Role, User
from releasehub.audit.models import ManualIntervention
from releasehub.readiness.evidence import current_of, current_regression
from releasehub.readiness.models import (
    MeetingRecord,
    Phase,
    RegressionResult,
    Suite,
)
from releasehub.readiness.panels import (
    ChecklistRow,
    GoNoGoState,
    SmokeState,
    checklist_rows,
    go_no_go_state,
    shown_go_no_go_state,
)
from releasehub.releases.models import Release

# The whole page ----------------------------------------------------------------------------


@dataclass
class MeetingState:
    current: MeetingRecord | None
    history: list[MeetingRecord]
    attendees: list[User]


@dataclass
class ReadinessPage:
    release: Release
    go_no_go: GoNoGoState
    checklists: dict[str, list[ChecklistRow]]
    smoke: SmokeState
    regression: list[tuple[str, str, RegressionResult | None]]
    meeting: MeetingState
    interventions: list[ManualIntervention]

    @property
    def phases(self) -> list[tuple[str, str, list[ChecklistRow]]]:
        return [
            (value, label, self.checklists[value])
            for value, label in Phase.choices
            if value != Phase.SMOKE
        ]


def _meeting(release: Release) -> MeetingState:
    records = list(
        MeetingRecord.objects.filter(release=release)
        .select_related("actor")
        .prefetch_related("attendees")
        .order_by("id")
    )
    current = current_of(records)
    attendees = list(current.attendees.all()) if current else []
    return MeetingState(current, records, attendees)


def readiness_page(release: Release, *, now: dt.datetime | None = None) -> ReadinessPage:
    go_no_go = shown_go_no_go_state(release, now=now)
    rest = checklist_rows(release, [Phase.MEETING, Phase.SMOKE, Phase.POST_RELEASE])
    checklists = {Phase.PRE_RELEASE.value: go_no_go.pre_release, **rest}
    results = current_regression(release)
    return ReadinessPage(
        release=release,
        go_no_go=go_no_go,
        checklists=checklists,
        smoke=SmokeState(release, rest[Phase.SMOKE]),
        regression=[(suite, label, results.get(suite)) for suite, label in Suite.choices],
        meeting=_meeting(release),
        interventions=list(
            ManualIntervention.objects.filter(release=release).select_related("actor")
        ),
    )


# Who a reminder is for --------------------------------------------------------------------


def open_item_owners(release: Release, phase: str = Phase.PRE_RELEASE) -> list[User]:
    """Whom the phase's open or blocked items wait for: the named owner, or everyone holding
    the item's owner role. Computed items count as open until the data says they are done."""
    waiting = [row.item for row in checklist_rows(release, [phase])[phase] if not row.complete]
    named = {item.owner for item in waiting if item.owner is not None}
    roles = {item.owner_role for item in waiting if not item.owner_id}
    # "The RM" of an item is this release's manager, not every Release Manager on the rota.
    if Role.RELEASE_MANAGER in roles and release.release_manager is not None:
        named.add(release.release_manager)
    roles.discard(Role.RELEASE_MANAGER)
    holders = (
        User.objects.filter(is_active=True, is_machine=False, role_assignments__role__in=roles)
        if roles
        else []
    )
    return sorted(named | set(holders), key=lambda user: user.username)


def unsigned_signers(release: Release) -> list[User]:
    """The people who may give a sign-off that is still missing or stale."""
    waiting = [
        row.slot for row in go_no_go_state(release).rows if row.status in ("missing", "stale")
    ]
    if not waiting:
        return []
    holds_a_slot = Q()
    for slot in waiting:
        holds_a_slot |= Q(role_assignments__role=slot.role, role_assignments__squad=slot.squad)
    return list(
        User.objects.filter(holds_a_slot, is_active=True, is_machine=False)
        .distinct()
        .order_by("username")
    )
