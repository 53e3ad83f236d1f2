"""Delivery metrics (docs/metrics.md): the rows of a period in a constant number of queries, the
figures computed in Python from them, so the page and /metrics.json agree and the cost does not
grow with history."""

import datetime as dt
import math
import zoneinfo
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db.models import Q

from releasehub.audit.models import ManualIntervention
from releasehub.catalog.models import FrontendApp, Service
from releasehub.releases.models import Release
from releasehub.rollout.models import (
    Deployment,
    DeploymentKind,
    DeploymentOutcome,
    HotfixFix,
    Incident,
    RollbackItem,
)

IST = zoneinfo.ZoneInfo("Asia/Kolkata")
PERIOD_DAYS = (30, 90, 180, 365)
DORA_SOURCE = "DORA, Accelerate State of DevOps Report 2023"


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks, as PostgreSQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _round(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(value, places)


@dataclass(frozen=True)
class Period:
    """IST days `start`..`end`, both included."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    # Cached: `holds` runs for every row of every trend bucket.
    @cached_property
    def since(self) -> dt.datetime:
        # In UTC, as the database returns times: same-tzinfo comparisons skip the offset math.
        return dt.datetime.combine(self.start, dt.time(), tzinfo=IST).astimezone(dt.UTC)

    @cached_property
    def until(self) -> dt.datetime:
        midnight = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=IST)
        return midnight.astimezone(dt.UTC)

    def previous(self) -> "Period":
        return Period(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))

    def holds(self, moment: dt.datetime | None) -> bool:
        return moment is not None and self.since <= moment < self.until

    @classmethod
    def last(cls, days: int, today: dt.date) -> "Period":
        return cls(today - dt.timedelta(days=days - 1), today)


@dataclass
class Dep:
    """One succeeded production deployment (or one target of a rollback) and what became of it."""

    id: int
    release_id: int
    version: str
    release_kind: str
    target: str
    kind: str
    started_at: dt.datetime
    finished_at: dt.datetime
    manual_interventions: int
    failed: bool = False
    recovered_at: dt.datetime | None = None
    open_incident: bool = False

    @property
    def is_rollback(self) -> bool:
        return self.kind == DeploymentKind.ROLLBACK


@dataclass
class History:
    """The rows a period's figures, its previous period's and its trend are computed from."""

    deployments: list[Dep]
    ledger: list[tuple[int, dt.datetime]]
    # Rows of Incident.objects.values(...), read only.
    incidents: Sequence[Mapping[str, Any]]
    releases_by_target: set[int] | None = None
    completions: dict[int, tuple[dt.datetime, str, dt.datetime]] = field(default_factory=dict)


def _target_key(service_slug: str | None, app_slug: str | None) -> str:
    return service_slug or app_slug or ""


def load_history(period: Period, target: str | None = None) -> History:
    """Rows behind `period` and the one before it, in six queries whatever the history's size."""
    window = Q(finished_at__gte=period.previous().since, finished_at__lt=period.until)
    in_window = list(
        Deployment.objects.filter(window, outcome=DeploymentOutcome.SUCCEEDED)
        .order_by()
        .values_list("release_id", flat=True)
        .distinct()
    )
    resolved_in = Q(
        resolution__resolved_at__gte=period.previous().since,
        resolution__resolved_at__lt=period.until,
    )
    incidents = list(
        Incident.objects.filter(
            Q(release_id__in=in_window) | resolved_in | Q(resolution__isnull=True)
        ).values(
            "id",
            "key",
            "title",
            "severity",
            "release_id",
            "release__version",
            "service__slug",
            "app__slug",
            "detected_at",
            "resolution__resolved_at",
        )
    )
    named = {i["release_id"] for i in incidents if i["release_id"]}
    fixes = list(
        HotfixFix.objects.filter(
            Q(release_id__in=set(in_window) | named) | Q(hotfix__release_id__in=in_window)
        ).values_list("release_id", "service__slug", "app__slug", "hotfix__release_id")
    )
    involved = set(in_window) | named | {f[0] for f in fixes} | {f[3] for f in fixes}
    rows = Deployment.objects.filter(
        release_id__in=involved, outcome=DeploymentOutcome.SUCCEEDED
    ).values_list(
        "id",
        "release_id",
        "release__version",
        "release__kind",
        "service__slug",
        "app__slug",
        "kind",
        "started_at",
        "finished_at",
        "manual_interventions",
    )
    deployments = [
        Dep(i, r, v, rk, _target_key(s, a), k, st, fin, mi)
        for i, r, v, rk, s, a, k, st, fin, mi in rows
    ]
    rolled_back = set(
        RollbackItem.objects.filter(release_id__in=involved).values_list(
            "release_id", "service__slug", "app__slug"
        )
    )
    ledger = list(
        ManualIntervention.objects.filter(
            at__gte=period.previous().since, at__lt=period.until
        ).values_list("release_id", "at")
    )
    history = History(deployments, ledger, incidents)
    _mark_failures(history, {(r, _target_key(s, a)) for r, s, a in rolled_back}, fixes)
    if target:
        history.deployments = [d for d in history.deployments if d.target == target]
        history.releases_by_target = {d.release_id for d in history.deployments}
    _completions(history)
    return history


def _mark_failures(history: History, rolled_back: set, fixes: list) -> None:
    by_release_target: dict[tuple[int, str], list[Dep]] = defaultdict(list)
    by_release: dict[int, list[Dep]] = defaultdict(list)
    for d in history.deployments:
        by_release_target[d.release_id, d.target].append(d)
        by_release[d.release_id].append(d)
    incidents_of: dict[tuple[int, str], list[Mapping[str, Any]]] = defaultdict(list)
    for i in history.incidents:
        if i["release_id"]:
            incidents_of[i["release_id"], _target_key(i["service__slug"], i["app__slug"])].append(i)
    fixed_by: dict[tuple[int, str], list[int]] = defaultdict(list)
    for release_id, s, a, hotfix_release_id in fixes:
        fixed_by[release_id, _target_key(s, a)].append(hotfix_release_id)
    for d in history.deployments:
        if d.is_rollback:
            continue
        key = (d.release_id, d.target)
        # An incident that names the release but no service or app names all its deployments.
        named = incidents_of[key] + incidents_of[d.release_id, ""]
        d.failed = bool(named) or key in rolled_back or bool(fixed_by[key])
        if not d.failed:
            continue
        if named:
            resolutions = [i["resolution__resolved_at"] for i in named]
            if None in resolutions:
                d.open_incident = True
            else:
                d.recovered_at = max(resolutions)
            continue
        ends = [
            r.finished_at
            for r in by_release_target[key]
            if r.is_rollback and r.finished_at >= d.finished_at
        ]
        for hotfix_release_id in fixed_by[key]:
            hotfix_deps = [h for h in by_release[hotfix_release_id] if not h.is_rollback]
            same = [h for h in hotfix_deps if h.target == d.target] or hotfix_deps
            ends += [h.finished_at for h in same if h.finished_at >= d.finished_at]
        d.recovered_at = min(ends) if ends else None


def _completions(history: History) -> None:
    """A release completes when its last deployment (rollbacks aside) finishes."""
    spans: dict[int, list] = {}
    for d in history.deployments:
        if d.is_rollback:
            continue
        span = spans.setdefault(d.release_id, [d.started_at, d.finished_at, d.release_kind])
        span[0] = min(span[0], d.started_at)
        span[1] = max(span[1], d.finished_at)
    history.completions = {r: (s[1], s[2], s[0]) for r, s in spans.items()}


def figures(history: History, period: Period) -> dict:
    """The keys of /metrics.json for `period`, from rows `load_history` fetched."""
    deps = [d for d in history.deployments if period.holds(d.finished_at)]
    failed = [d for d in deps if d.failed]
    recovered = [
        (d.recovered_at - d.finished_at).total_seconds() / 3600
        for d in history.deployments
        if d.failed and d.recovered_at is not None and period.holds(d.recovered_at)
    ]
    completed = {
        r: (kind, start, end)
        for r, (end, kind, start) in history.completions.items()
        if period.holds(end)
    }
    regular = sum(1 for kind, _, _ in completed.values() if kind == Release.Kind.REGULAR)
    hotfixes = sum(1 for kind, _, _ in completed.values() if kind == Release.Kind.HOTFIX)
    durations = [(end - start).total_seconds() / 60 for _, start, end in completed.values()]
    ledger = [
        r
        for r, at in history.ledger
        if period.holds(at)
        and (history.releases_by_target is None or r in history.releases_by_target)
    ]
    return {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "deployments": len(deps),
        "failed_deployments": len(failed),
        "change_failure_rate": _round(len(failed) / len(deps)) if deps else None,
        "releases_completed": len(completed),
        "release_frequency_per_week": _round(len(completed) / (period.days / 7)),
        "hotfixes": hotfixes,
        "hotfixes_per_release": _round(hotfixes / regular) if regular else None,
        "recovery_hours": {
            "median": _round(percentile(recovered, 0.5)),
            "mean": _round(_mean(recovered)),
            "p90": _round(percentile(recovered, 0.9)),
            "open_incidents": sum(1 for d in failed if d.open_incident),
        },
        "deployment_duration_minutes": {
            "median": _round(percentile(durations, 0.5)),
            "p90": _round(percentile(durations, 0.9)),
        },
        "manual_interventions": sum(d.manual_interventions for d in deps) + len(ledger),
    }


def metrics(period: Period, target: str | None = None) -> dict:
    return figures(load_history(period, target), period)


# DORA 2023 performance clusters; None where the figure has no tier (e.g. hotfixes per release).
# The bands in words, shown beside each tier badge; docs/metrics.md lists the same thresholds.
DORA_BANDS = {
    "deployments_per_week": "Elite: 7 or more a week (on demand); High: 1 a week or more; "
    "Medium: 1 a month or more; Low: fewer.",
    "change_failure_rate": "Elite: 5 % or less; High: 10 % or less; Medium: 15 % or less; "
    "Low: more.",
    "recovery_hours": "Elite: under 1 hour; High: under 1 day; Medium: under 1 week; Low: longer.",
}


def dora_tier(name: str, value: float | None) -> str | None:
    if value is None:
        return None
    if name == "deployments_per_week":
        bands: tuple[tuple[float, str], ...] = ((7, "Elite"), (1, "High"), (12 / 52, "Medium"))
        return next((tier for floor, tier in bands if value >= floor), "Low")
    if name == "change_failure_rate":
        bands = ((0.05, "Elite"), (0.10, "High"), (0.15, "Medium"))
        return next((tier for ceiling, tier in bands if value <= ceiling), "Low")
    if name == "recovery_hours":
        bands = ((1, "Elite"), (24, "High"), (24 * 7, "Medium"))
        return next((tier for ceiling, tier in bands if value < ceiling), "Low")
    return None


WEEKLY_UP_TO_DAYS = 120


def per_month(period: Period) -> bool:
    """Whether the trend of `period` is drawn per calendar month (else per week)."""
    return period.days > WEEKLY_UP_TO_DAYS


def buckets(period: Period) -> list[Period]:
    """Weeks (Monday to Sunday) for periods up to 120 days, calendar months beyond, clipped."""
    out = []
    if not per_month(period):
        day = period.start - dt.timedelta(days=period.start.weekday())
        while day <= period.end:
            out.append(Period(max(day, period.start), min(day + dt.timedelta(days=6), period.end)))
            day += dt.timedelta(days=7)
        return out
    day = period.start.replace(day=1)
    while day <= period.end:
        following = (day + dt.timedelta(days=32)).replace(day=1)
        out.append(
            Period(max(day, period.start), min(following - dt.timedelta(days=1), period.end))
        )
        day = following
    return out


def targets() -> list[tuple[str, str]]:
    services = [(s.slug, s.name) for s in Service.objects.order_by("promotion_order")]
    apps = [(a.slug, a.name) for a in FrontendApp.objects.all()]
    return services + apps


def open_incidents(history: History, now: dt.datetime) -> list[dict]:
    rows = [dict(i) for i in history.incidents if i["resolution__resolved_at"] is None]
    for row in rows:
        row["age"] = now - row["detected_at"]
    return sorted(rows, key=lambda r: r["detected_at"])
