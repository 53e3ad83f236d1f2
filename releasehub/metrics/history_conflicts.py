"""Rows already in ReleaseHub that a history file matches on natural key but contradicts.

Re-importing a file changes nothing; a file that says otherwise about a row that is there (a
completed regular release sent again as a hotfix, a deployment with another finish) would be
skipped or half-applied, so each difference is reported by its JSON path and nothing is written.
The rows are read in one query per kind, whatever the size of the file.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from releasehub.metrics.history_records import OUTCOMES, SEVERITIES, Target, release_fields
from releasehub.releases.models import Hotfix, Release
from releasehub.rollout.models import Deployment, DeploymentKind, HotfixFix, Incident, Rollback

Problem = tuple[str, str]
_OUTCOME_NAMES: dict[str, str] = {value: name for name, value in OUTCOMES.items()}
_SEVERITY_LABELS: dict[str, str] = {value: label for label, value in SEVERITIES.items()}


def conflicts(releases: list[dict], incidents: list[dict]) -> list[Problem]:
    return [*_release_conflicts(releases), *_incident_conflicts(incidents)]


def _show(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()
    return repr(str(value)) if isinstance(value, str) else str(value)  # str(): a TextChoices too


def _differs(path: str, there: Any, file: Any) -> Iterator[Problem]:
    if there != file:
        yield path, f"is {_show(there)} in ReleaseHub, the file says {_show(file)}"


def _slug(row: Any) -> str | None:
    component = row.service or row.app
    return component.slug if component else None


@dataclass
class _There:
    """The rows ReleaseHub already holds for the file's versions."""

    releases: dict[str, Release]
    deployments: dict[tuple, Deployment]
    rollbacks: dict[int, Rollback]
    hotfixes: dict[int, Hotfix]
    fixes: dict[int, HotfixFix]


def _rows_there(versions: list[str]) -> _There:
    releases = {r.version: r for r in Release.objects.filter(version__in=versions)}
    ids = [r.pk for r in releases.values()]
    fixes = HotfixFix.objects.filter(hotfix__release__in=ids).select_related("service", "app")
    return _There(
        releases=releases,
        deployments={
            (d.release_id, d.kind, d.started_at, d.service_id, d.app_id): d
            for d in Deployment.objects.filter(release__in=ids)
        },
        rollbacks={r.release_id: r for r in Rollback.objects.filter(release__in=ids)},
        hotfixes={h.release_id: h for h in Hotfix.objects.filter(release__in=ids)},
        fixes={f.hotfix_id: f for f in fixes},
    )


def _release_conflicts(records: list[dict]) -> Iterator[Problem]:
    there = _rows_there([rec["version"] for rec in records])
    for rec in records:
        if (release := there.releases.get(rec["version"])) is not None:
            yield from _one_release_conflicts(rec, release, there)


def _one_release_conflicts(rec: dict, release: Release, there: _There) -> Iterator[Problem]:
    path, fields = rec["path"], release_fields(rec)
    yield from _differs(f"{path}.kind", release.kind, fields["kind"])
    yield from _differs(f"{path}.window_start", release.window_start, fields["window_start"])
    # Implied by the file (rollbacks or none): a planned release is never turned into history.
    # Its window end and completion are not compared: adding deployments may move them.
    if release.status != fields["status"]:
        was, now = _show(release.status), _show(fields["status"])
        yield path, f"status is {was} in ReleaseHub, the file makes it {now}"
    for dep in rec["deployments"]:
        target = dep["target"]
        key = (release.pk, target.deployment_kind, dep["started_at"], *target.ids)
        if (row := there.deployments.get(key)) is not None:
            yield from _deployment_conflicts(dep["path"], row, dep)
    yield from _rollback_conflicts(rec, release, there)
    hotfix = there.hotfixes.get(release.pk)
    if rec["fixes"] and hotfix is not None:
        yield from _fix_conflicts(f"{path}.fixes", hotfix, there.fixes.get(hotfix.pk), rec["fixes"])


def _deployment_conflicts(path: str, row: Deployment, dep: dict) -> Iterator[Problem]:
    yield from _differs(f"{path}.finished_at", row.finished_at, dep["finished_at"])
    yield from _differs(
        f"{path}.outcome", _OUTCOME_NAMES.get(row.outcome), _OUTCOME_NAMES[dep["outcome"]]
    )
    yield from _differs(
        f"{path}.manual_interventions", row.manual_interventions, dep["manual_interventions"]
    )


def _rollback_conflicts(rec: dict, release: Release, there: _There) -> Iterator[Problem]:
    if (rollback := there.rollbacks.get(release.pk)) is not None and rec["rollbacks"]:
        # One Rollback row per release, written from the file's first entry.
        first = rec["rollbacks"][0]
        yield from _differs(f"{first['path']}.reason", rollback.reason, first["reason"])
        yield from _differs(f"{first['path']}.started_at", rollback.at, first["started_at"])
    for rb in rec["rollbacks"]:
        for target in rb["targets"]:
            key = (release.pk, DeploymentKind.ROLLBACK, rb["started_at"], *target.ids)
            if (row := there.deployments.get(key)) is not None:
                yield from _differs(f"{rb['path']}.finished_at", row.finished_at, rb["finished_at"])


def _fix_conflicts(
    path: str, hotfix: Hotfix, fix: HotfixFix | None, fixes: tuple[str, Target]
) -> Iterator[Problem]:
    version, target = fixes
    yield from _differs(f"{path}.version", hotfix.production_tag, version)
    there = _slug(fix) if fix else None
    yield from _differs(f"{path}.target", there, target.slug)


def _incident_conflicts(records: list[dict]) -> Iterator[Problem]:
    keys = [rec["key"] for rec in records]
    rows = Incident.objects.filter(key__in=keys).select_related(
        "release", "service", "app", "resolution"
    )
    there = {i.key: i for i in rows}
    for rec in records:
        incident = there.get(rec["key"])
        if incident is None:
            continue
        path = rec["path"]
        yield from _differs(f"{path}.title", incident.title, rec["title"])
        yield from _differs(
            f"{path}.severity",
            _SEVERITY_LABELS.get(incident.severity),
            _SEVERITY_LABELS[rec["severity"]],
        )
        yield from _differs(f"{path}.caused_by", _cause(incident), _file_cause(rec["caused_by"]))
        yield from _differs(f"{path}.detected_at", incident.detected_at, rec["detected_at"])
        resolution = incident.resolution_or_none
        yield from _differs(
            f"{path}.resolved_at",
            resolution.resolved_at if resolution else None,
            rec["resolved_at"],
        )


def _cause(incident: Incident) -> str | None:
    if incident.release is None:
        return None
    return " ".join(filter(None, [incident.release.version, _slug(incident)]))


def _file_cause(caused: tuple[str, Target] | None) -> str | None:
    return f"{caused[0]} {caused[1].slug}" if caused else None
