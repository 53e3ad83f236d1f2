"""The Go/No-Go and smoke panels: the readiness page shows them, and so do the release ticket
page and the dashboard; the services read them for the rules (who is waiting, what blocks a Go).
Each is built in a fixed number of queries.

Current state is derived, never stored: the current row of a slot is the tip of its chain of
`supersedes` (evidence.py), and a sign-off is stale when the scope changed (or a No-Go started
a new round) after it was given.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Max, Prefetch
from django.urls import reverse
from django.utils import timezone

from releasehub.accounts.models import Role, Squad
from releasehub.audit import live
from releasehub.audit.models import TimelineEvent
from releasehub.readiness.computed import Computed, compute
from releasehub.readiness.evidence import current_of, currents_by
from releasehub.readiness.models import (
    ChecklistItem,
    ChecklistItemUpdate,
    GoNoGoDecision,
    ItemState,
    Phase,
    SignOff,
    SignOffDecision,
    SmokeOutcome,
    SmokeResult,
    SquadInvolvement,
)
from releasehub.releases.models import Release

S = Release.Status
# Sign-offs are given, and the panel polls, until release day moves past Go/No-Go.
SIGNING_STATUSES = (S.PLANNED, S.FROZEN, S.GO)
PANEL_LIVE_STATUSES = (S.PLANNED, S.FROZEN, S.GO, S.NO_GO)
# QA runs the smoke checklist once the release is deployed; the smoke panel polls meanwhile.
SMOKE_STATUSES = (S.GO, S.DEPLOYING, S.VERIFYING, S.MONITORING)
SMOKE_LIVE_STATUSES = (S.GO, S.DEPLOYING, S.VERIFYING)
# Scope changes are timeline events with this verb prefix (releases.services.scope writes them).
SCOPE_VERB_PREFIX = "scope."

# Slots -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """Whose sign-off is required: one per squad and one for SRE (who holds it: rules.signs_for)."""

    key: str
    label: str
    role: str
    squad: Squad | None = None


SRE_SLOT = Slot("sre", "SRE", Role.SRE)


def squad_slot(squad: Squad) -> Slot:
    return Slot(f"squad-{squad.pk}", squad.name, Role.SQUAD_REP, squad)


def slots(squads: Iterable[Squad]) -> list[Slot]:
    return [squad_slot(s) for s in squads] + [SRE_SLOT]


# Staleness ---------------------------------------------------------------------------------


def last_scope_change_at(release: Release) -> dt.datetime | None:
    """When the release's scope last changed, read from its audit timeline."""
    return TimelineEvent.objects.filter(
        release=release, verb__startswith=SCOPE_VERB_PREFIX
    ).aggregate(at=Max("occurred_at"))["at"]


def _cut(scope_change: dt.datetime | None, decisions: list[GoNoGoDecision]) -> dt.datetime | None:
    # A No-Go starts a new round: sign-offs given before it are for a release that moved.
    no_gos = [d.at for d in decisions if d.decision == SignOffDecision.NO_GO]
    return max([t for t in [scope_change, *no_gos] if t is not None], default=None)


def stale_before(release: Release) -> dt.datetime | None:
    """Sign-offs given at or before this moment are stale (None: none are)."""
    return _cut(last_scope_change_at(release), list(GoNoGoDecision.objects.filter(release=release)))


@dataclass
class SlotState:
    slot: Slot
    current: SignOff | None
    history: list[SignOff]
    involvement: SquadInvolvement | None
    stale: bool

    @property
    def involved(self) -> bool:
        return self.involvement is None or self.involvement.involved

    @property
    def status(self) -> str:
        """missing, stale, go, no_go or not_involved: what the panel shows."""
        if not self.involved:
            return "not_involved"
        if self.current is None:
            return "missing"
        if self.stale:
            return "stale"
        return self.current.decision

    @property
    def status_label(self) -> str:
        return {
            "not_involved": "Not involved",
            "missing": "Waiting",
            "stale": "Stale: scope changed, sign again",
            "go": "Go",
            "no_go": "No-Go",
        }[self.status]


# Checklists --------------------------------------------------------------------------------


@dataclass
class ChecklistRow:
    item: ChecklistItem
    current: ChecklistItemUpdate | None
    history: list[ChecklistItemUpdate]
    computed: Computed | None = None
    smoke: SmokeResult | None = None
    smoke_history: list[SmokeResult] = field(default_factory=list)

    @property
    def state(self) -> str:
        if self.computed is not None:
            return ItemState.DONE if self.computed.done else ItemState.OPEN
        return self.current.state if self.current else ItemState.OPEN

    @property
    def state_label(self) -> str:
        return ItemState(self.state).label

    @property
    def complete(self) -> bool:
        return self.state in (ItemState.DONE, ItemState.NOT_APPLICABLE)

    @property
    def related_url(self) -> str:
        """Where the evidence for the item lives, when ReleaseHub has a page for it."""
        if self.item.text.lower().startswith("feature flags"):
            return reverse("flags:for_release", args=[self.item.release.code])
        return ""


def checklist_rows(release: Release, phases: Iterable[str]) -> dict[str, list[ChecklistRow]]:
    items = (
        ChecklistItem.objects.filter(release=release, phase__in=list(phases))
        .select_related("owner", "release")
        .prefetch_related(
            Prefetch("updates", queryset=ChecklistItemUpdate.objects.select_related("actor")),
            Prefetch("smoke_results", queryset=SmokeResult.objects.select_related("actor")),
        )
    )
    by_phase: dict[str, list[ChecklistRow]] = {p: [] for p in phases}
    computed_cache: dict[str, Computed] = {}
    for item in items:
        updates = list(item.updates.all())
        smoke = list(item.smoke_results.all())
        computed = None
        if item.computed_by:
            if item.computed_by not in computed_cache:
                computed_cache[item.computed_by] = compute(item.computed_by, release)
            computed = computed_cache[item.computed_by]
        by_phase[item.phase].append(
            ChecklistRow(item, current_of(updates), updates, computed, current_of(smoke), smoke)
        )
    return by_phase


# Go/No-Go ----------------------------------------------------------------------------------


@dataclass
class GoNoGoState:
    release: Release
    now: dt.datetime
    rows: list[SlotState]
    decision: GoNoGoDecision | None
    decisions: list[GoNoGoDecision]
    last_scope_change: dt.datetime | None
    pre_release: list[ChecklistRow]

    @property
    def go_no_go_at(self) -> dt.datetime:
        return self.release.clock.go_no_go

    @property
    def seconds_left(self) -> int:
        return int((self.go_no_go_at - self.now).total_seconds())

    @property
    def countdown(self) -> str:
        """'1d 02:03:04' until Go/No-Go, '-00:05:00' after it (static/js/app.js ticks it on)."""
        seconds = self.seconds_left
        sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
        days, seconds = divmod(seconds, 86400)
        hours, seconds = divmod(seconds, 3600)
        minutes, seconds = divmod(seconds, 60)
        return f"{sign}{f'{days}d ' if days else ''}{hours:02d}:{minutes:02d}:{seconds:02d}"

    @property
    def live(self) -> bool:
        return self.release.status in PANEL_LIVE_STATUSES

    @property
    def required(self) -> list[SlotState]:
        return [r for r in self.rows if r.involved]

    def _with(self, status: str) -> list[SlotState]:
        return [r for r in self.required if r.status == status]

    @property
    def waiting(self) -> list[SlotState]:
        return self._with("missing")

    @property
    def stale(self) -> list[SlotState]:
        return self._with("stale")

    @property
    def no_go(self) -> list[SlotState]:
        return self._with("no_go")

    @property
    def go(self) -> list[SlotState]:
        return self._with("go")

    @property
    def all_go(self) -> bool:
        return len(self.go) == len(self.required)

    @property
    def open_pre_release(self) -> list[ChecklistRow]:
        return [r for r in self.pre_release if not r.complete]

    @property
    def checklists_missing(self) -> bool:
        return not self.pre_release

    @property
    def pre_release_complete(self) -> bool:
        return bool(self.pre_release) and not self.open_pre_release

    @property
    def blockers(self) -> list[str]:
        """Why a Go would need an override; empty when the release is ready."""
        found = [f"No-Go from {r.slot.label}" for r in self.no_go]
        found += [f"Waiting for {r.slot.label}" for r in self.waiting]
        found += [f"Stale sign-off from {r.slot.label}" for r in self.stale]
        if self.checklists_missing:
            found.append("The pre-release checklist has not been created")
        found += [f"Pre-release item open: {r.item.text}" for r in self.open_pre_release]
        return found

    @property
    def ready(self) -> bool:
        return not self.blockers


def go_no_go_state(release: Release, *, now: dt.datetime | None = None) -> GoNoGoState:
    """The Go/No-Go state from the rows themselves (13 queries): what the services decide on."""
    return GoNoGoState(release, now or timezone.now(), *_go_no_go_rows(release))


def shown_go_no_go_state(
    release: Release, *, now: dt.datetime | None = None, version: str | None = None
) -> GoNoGoState:
    """The Go/No-Go state as a page shows it: built once per version of the release (or the
    `version` of everything the page read, the dashboard's) and shared by everyone reading it
    (audit.live.shared); one query, the version, when it is there."""
    version = version or live.release_version(release)
    rows = live.shared(f"go-no-go:{release.code.hex}", version, lambda: _go_no_go_rows(release))
    return GoNoGoState(release, now or timezone.now(), *rows)


type GoNoGoRows = tuple[
    list[SlotState],
    GoNoGoDecision | None,
    list[GoNoGoDecision],
    dt.datetime | None,
    list[ChecklistRow],
]


def _go_no_go_rows(release: Release) -> GoNoGoRows:
    squads = list(Squad.objects.all())
    signoffs = list(
        SignOff.objects.filter(release=release).select_related("actor", "squad").order_by("id")
    )
    involvement = currents_by(
        SquadInvolvement.objects.filter(release=release).select_related("actor"),
        lambda r: r.squad_id,
    )
    decisions = list(
        GoNoGoDecision.objects.filter(release=release).select_related("actor").order_by("id")
    )
    decision = current_of(decisions)
    scope_change = last_scope_change_at(release)
    cut = _cut(scope_change, decisions)
    rows = []
    for slot in slots(squads):
        history = [s for s in signoffs if s.slot == slot.key]
        current = current_of(history)
        rows.append(
            SlotState(
                slot=slot,
                current=current,
                history=history,
                involvement=involvement.get(slot.squad.pk) if slot.squad else None,
                stale=current is not None and cut is not None and current.at <= cut,
            )
        )
    pre_release = checklist_rows(release, [Phase.PRE_RELEASE])[Phase.PRE_RELEASE]
    return rows, decision, decisions, scope_change, pre_release


# Smoke -------------------------------------------------------------------------------------


@dataclass
class SmokeState:
    release: Release
    rows: list[ChecklistRow]

    @property
    def failures(self) -> list[ChecklistRow]:
        return [r for r in self.rows if r.smoke and r.smoke.outcome == SmokeOutcome.FAILED]

    @property
    def passed(self) -> bool:
        return bool(self.rows) and all(
            r.smoke and r.smoke.outcome == SmokeOutcome.PASSED for r in self.rows
        )

    @property
    def live(self) -> bool:
        return self.release.status in SMOKE_LIVE_STATUSES

    @property
    def open_for_results(self) -> bool:
        return self.release.status in SMOKE_STATUSES


def smoke_state(release: Release) -> SmokeState:
    return SmokeState(release, _smoke_rows(release))


def shown_smoke_state(release: Release, *, version: str | None = None) -> SmokeState:
    """`smoke_state` as a page shows it, shared like `shown_go_no_go_state`."""
    version = version or live.release_version(release)
    return SmokeState(
        release, live.shared(f"smoke:{release.code.hex}", version, lambda: _smoke_rows(release))
    )


def _smoke_rows(release: Release) -> list[ChecklistRow]:
    return checklist_rows(release, [Phase.SMOKE])[Phase.SMOKE]
