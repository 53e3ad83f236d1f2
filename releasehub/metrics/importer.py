"""Import past releases, deployments, rollbacks and incidents (docs/import-format.md).

The whole file is checked before anything is written, and written in one transaction; rows are
matched on natural keys (version; release, target, kind and start; incident key), so importing
the same file twice changes nothing. Rows are created directly: release_create would plan timed
actions and copy checklists, which past releases must not get.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from releasehub.accounts.models import User
from releasehub.catalog.models import FrontendApp, Service
from releasehub.releases.models import Hotfix, Release, RollbackStrategy, TargetedTests
from releasehub.rollout.models import (
    Anomaly,
    AnomalySeverity,
    Deployment,
    DeploymentKind,
    DeploymentOutcome,
    HotfixFix,
    Incident,
    IncidentResolution,
    Rollback,
    RollbackItem,
    RollbackScope,
    Severity,
)

SEVERITIES = {label: value for value, label in Severity.choices}
OUTCOMES = {"succeeded": DeploymentOutcome.SUCCEEDED, "failed": DeploymentOutcome.FAILED_ATTEMPT}


class HistoryError(Exception):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass
class _Target:
    service: Service | None
    app: FrontendApp | None

    @property
    def fields(self) -> dict:
        return {"service": self.service, "app": self.app}


class _Reader:
    def __init__(self) -> None:
        self.services = {s.slug: s for s in Service.objects.all()}
        self.apps = {a.slug: a for a in FrontendApp.objects.all()}

    def obj(self, value, path: str) -> dict:
        if not isinstance(value, dict):
            raise HistoryError(path, "expected an object")
        return value

    def list(self, parent: dict, key: str, path: str, required: bool = False) -> list:
        if key not in parent:
            if required:
                raise HistoryError(f"{path}.{key}", "missing")
            return []
        value = parent[key]
        if not isinstance(value, list):
            raise HistoryError(f"{path}.{key}", "expected a list")
        return value

    def text(self, parent: dict, key: str, path: str, choices=None) -> str:
        value = parent.get(key)
        if not isinstance(value, str) or not value.strip():
            raise HistoryError(f"{path}.{key}", "missing or not a string")
        if choices is not None and value not in choices:
            raise HistoryError(f"{path}.{key}", f"must be one of {', '.join(choices)}")
        return value

    def time(self, parent: dict, key: str, path: str) -> dt.datetime:
        value = parent.get(key)
        if not isinstance(value, str):
            raise HistoryError(f"{path}.{key}", f"bad time {value!r}")
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            raise HistoryError(f"{path}.{key}", f"bad time {value!r}") from None
        if moment.tzinfo is None:
            raise HistoryError(f"{path}.{key}", f"bad time {value!r}: no UTC offset")
        return moment

    def optional_time(self, parent: dict, key: str, path: str) -> dt.datetime | None:
        return None if parent.get(key) is None else self.time(parent, key, path)

    def target(self, slug, path: str) -> _Target:
        if slug in self.services:
            return _Target(self.services[slug], None)
        if slug in self.apps:
            return _Target(None, self.apps[slug])
        raise HistoryError(path, f"unknown target {slug!r}")

    def span(self, item: dict, path: str) -> tuple[dt.datetime, dt.datetime]:
        started = self.time(item, "started_at", path)
        finished = self.time(item, "finished_at", path)
        if finished < started:
            raise HistoryError(f"{path}.finished_at", "finished before started")
        return started, finished


def _parse(data) -> tuple[list[dict], list[dict]]:
    """Checked, resolved records; raises HistoryError naming the first bad JSON path."""
    r = _Reader()
    data = r.obj(data, "$")
    releases, versions = [], set(Release.objects.values_list("version", flat=True))
    seen_versions: set[str] = set()
    for n, raw in enumerate(r.list(data, "releases", "$")):
        path = f"$.releases[{n}]"
        raw = r.obj(raw, path)
        version = r.text(raw, "version", path)
        if version in seen_versions:
            raise HistoryError(f"{path}.version", f"duplicate key {version!r}")
        seen_versions.add(version)
        rec: dict[str, Any] = {
            "version": version,
            "kind": r.text(raw, "kind", path, choices=("regular", "hotfix")),
            "window_start": r.time(raw, "window_start", path),
            "fixes": None,
            "deployments": [],
            "rollbacks": [],
        }
        if raw.get("fixes") is not None:
            if rec["kind"] != "hotfix":
                raise HistoryError(f"{path}.fixes", "only a hotfix fixes a release")
            fixes = r.obj(raw["fixes"], f"{path}.fixes")
            rec["fixes"] = (
                r.text(fixes, "version", f"{path}.fixes"),
                r.target(fixes.get("target"), f"{path}.fixes.target"),
            )
        seen_deps: set = set()
        for m, dep in enumerate(r.list(raw, "deployments", path)):
            dpath = f"{path}.deployments[{m}]"
            dep = r.obj(dep, dpath)
            target = r.target(dep.get("target"), f"{dpath}.target")
            started, finished = r.span(dep, dpath)
            dep_key = (dep["target"], started)
            if dep_key in seen_deps:
                raise HistoryError(dpath, f"duplicate key {dep['target']} at {started}")
            seen_deps.add(dep_key)
            count = dep.get("manual_interventions", 0)
            if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count < 32768:
                raise HistoryError(f"{dpath}.manual_interventions", "not a count")
            rec["deployments"].append(
                {
                    "target": target,
                    "started_at": started,
                    "finished_at": finished,
                    "outcome": OUTCOMES[r.text(dep, "outcome", dpath, choices=tuple(OUTCOMES))],
                    "manual_interventions": count,
                }
            )
        for m, rb in enumerate(r.list(raw, "rollbacks", path)):
            bpath = f"{path}.rollbacks[{m}]"
            rb = r.obj(rb, bpath)
            slugs = r.list(rb, "targets", bpath, required=True)
            if not slugs:
                raise HistoryError(f"{bpath}.targets", "empty")
            started, finished = r.span(rb, bpath)
            rec["rollbacks"].append(
                {
                    "targets": [r.target(s, f"{bpath}.targets[{k}]") for k, s in enumerate(slugs)],
                    "started_at": started,
                    "finished_at": finished,
                    "reason": r.text(rb, "reason", bpath),
                }
            )
        releases.append(rec)
    known = versions | seen_versions
    for n, rec in enumerate(releases):
        if rec["fixes"] and rec["fixes"][0] not in known:
            raise HistoryError(f"$.releases[{n}].fixes.version", "unknown release")
    incidents, keys = [], set()
    for n, raw in enumerate(r.list(data, "incidents", "$")):
        path = f"$.incidents[{n}]"
        raw = r.obj(raw, path)
        key = r.text(raw, "key", path)
        if key in keys:
            raise HistoryError(f"{path}.key", f"duplicate key {key!r}")
        keys.add(key)
        caused = None
        if raw.get("caused_by") is not None:
            cause = r.obj(raw["caused_by"], f"{path}.caused_by")
            version = r.text(cause, "version", f"{path}.caused_by")
            if version not in known:
                raise HistoryError(f"{path}.caused_by.version", "unknown release")
            caused = (version, r.target(cause.get("target"), f"{path}.caused_by.target"))
        detected = r.time(raw, "detected_at", path)
        resolved = r.optional_time(raw, "resolved_at", path)
        if resolved is not None and resolved < detected:
            raise HistoryError(f"{path}.resolved_at", "resolved before detected")
        incidents.append(
            {
                "key": key,
                "severity": SEVERITIES[r.text(raw, "severity", path, choices=tuple(SEVERITIES))],
                "title": r.text(raw, "title", path),
                "caused_by": caused,
                "detected_at": detected,
                "resolved_at": resolved,
            }
        )
    return releases, incidents


def import_history(data, *, actor: User) -> dict[str, int]:
    """Load a history file; returns how many rows of each kind were created."""
    releases, incidents = _parse(data)
    counts = {"releases": 0, "deployments": 0, "rollbacks": 0, "incidents": 0}
    with transaction.atomic():
        by_version = {}
        for rec in releases:
            by_version[rec["version"]] = _release(rec, actor, counts)
        for rec in releases:
            if rec["fixes"]:
                _hotfix(rec, by_version, actor)
        for rec in incidents:
            _incident(rec, actor, counts)
    return counts


def _release(rec: dict, actor: User, counts: dict) -> Release:
    done = [d["finished_at"] for d in rec["deployments"]]
    status = Release.Status.ROLLED_BACK if rec["rollbacks"] else Release.Status.COMPLETED
    release, created = Release.objects.get_or_create(
        version=rec["version"],
        defaults={
            "kind": rec["kind"],
            "status": status,
            "window_start": rec["window_start"],
            "window_end": max([rec["window_start"] + dt.timedelta(hours=2), *done]),
            "completed_at": max(done) if done else None,
            "summary": "Imported history.",
        },
    )
    counts["releases"] += created
    for dep in rec["deployments"]:
        is_service = dep["target"].service is not None
        kind = DeploymentKind.PROMOTION if is_service else DeploymentKind.ROLLOUT
        counts["deployments"] += _deployment(release, dep["target"], kind, dep)
    for rb in rec["rollbacks"]:
        rollback, created = Rollback.objects.get_or_create(
            release=release,
            defaults={
                "scope": RollbackScope.PARTIAL,
                "reason": rb["reason"],
                "actor": actor,
                "at": rb["started_at"],
            },
        )
        counts["rollbacks"] += created
        for target in rb["targets"]:
            if target.service:
                strategy = RollbackStrategy.REDEPLOY_CONTAINER
                items = RollbackItem.objects.filter(rollback=rollback, service=target.service)
            else:
                strategy = RollbackStrategy.REDEPLOY_BUILD
                items = RollbackItem.objects.filter(rollback=rollback, app=target.app)
            if not items.exists():
                RollbackItem.objects.create(
                    rollback=rollback, release=release, strategy=strategy, **target.fields
                )
            dep = {**rb, "outcome": DeploymentOutcome.SUCCEEDED, "manual_interventions": 0}
            counts["deployments"] += _deployment(release, target, DeploymentKind.ROLLBACK, dep)
    return release


def _deployment(release: Release, target: _Target, kind: str, dep: dict) -> bool:
    _, created = Deployment.objects.get_or_create(
        release=release,
        kind=kind,
        started_at=dep["started_at"],
        **target.fields,
        defaults={
            "finished_at": dep["finished_at"],
            "outcome": dep["outcome"],
            "manual_interventions": dep["manual_interventions"],
        },
    )
    return created


def _hotfix(rec: dict, by_version: dict, actor: User) -> None:
    release = by_version[rec["version"]]
    if Hotfix.objects.filter(release=release).exists():
        return
    version, target = rec["fixes"]
    fixed = by_version.get(version) or Release.objects.get(version=version)
    hotfix = Hotfix.objects.create(
        release=release,
        production_tag=version,
        problem=f"Imported: fixes {version}",
        incident_url="https://example.invalid/imported",
        branch=f"hotfix/{release.version}",
        risk_assessment="Imported history.",
        tests_run="Imported history.",
        tests_result=TargetedTests.PASSED,
        supervising_sre=actor,
        requested_by=actor,
        requested_at=release.window_start,
    )
    anomaly = Anomaly.objects.create(
        release=fixed,
        seen_at=release.window_start,
        description=f"Fixed by hotfix {release.version} (imported history).",
        severity=AnomalySeverity.HIGH,
        actor=actor,
        at=release.window_start,
        **target.fields,
    )
    HotfixFix.objects.create(hotfix=hotfix, anomaly=anomaly, release=fixed, **target.fields)


def _incident(rec: dict, actor: User, counts: dict) -> None:
    if Incident.objects.filter(key=rec["key"]).exists():
        return
    release, target = None, _Target(None, None)
    if rec["caused_by"]:
        release = Release.objects.get(version=rec["caused_by"][0])
        target = rec["caused_by"][1]
    incident = Incident.objects.create(
        key=rec["key"],
        title=rec["title"],
        severity=rec["severity"],
        release=release,
        detected_at=rec["detected_at"],
        actor=actor,
        at=rec["detected_at"],
        **target.fields,
    )
    if rec["resolved_at"]:
        IncidentResolution.objects.create(
            incident=incident, resolved_at=rec["resolved_at"], actor=actor, at=rec["resolved_at"]
        )
    counts["incidents"] += 1


def import_actor() -> User:
    user, _ = User.objects.get_or_create(
        username="history-import", defaults={"first_name": "History", "last_name": "import"}
    )
    return user
