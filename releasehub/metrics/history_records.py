"""A history file's records: checked, with targets resolved, before anything is written.

Raises HistoryError naming the first bad JSON path (docs/import-format.md).
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import models

from releasehub.catalog.models import FrontendApp, Service
from releasehub.core import limits
from releasehub.metrics.forms import EARLIEST, LATEST, day_label
from releasehub.metrics.history_file import HistoryError, check_strings
from releasehub.releases.models import Release
from releasehub.rollout.models import (
    DeploymentKind,
    DeploymentOutcome,
    Incident,
    Rollback,
    Severity,
)

SEVERITIES = {label: value for value, label in Severity.choices}
OUTCOMES = {"succeeded": DeploymentOutcome.SUCCEEDED, "failed": DeploymentOutcome.FAILED_ATTEMPT}


ModelField = tuple[type[models.Model], str]


@dataclass
class Target:
    service: Service | None
    app: FrontendApp | None

    @property
    def fields(self) -> dict:
        return {"service": self.service, "app": self.app}

    @property
    def ids(self) -> tuple[int | None, int | None]:
        return (self.service.pk if self.service else None, self.app.pk if self.app else None)

    @property
    def slug(self) -> str:
        component = self.service or self.app
        assert component is not None  # a file's target always names one
        return component.slug

    @property
    def deployment_kind(self) -> str:
        return DeploymentKind.PROMOTION if self.service else DeploymentKind.ROLLOUT


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

    def text(
        self, parent: dict, key: str, path: str, choices=None, field: ModelField | None = None
    ) -> str:
        """Non-blank text; one of `choices`, or no longer than the model `field` holds."""
        value = parent.get(key)
        if not isinstance(value, str) or not value.strip():
            raise HistoryError(f"{path}.{key}", "missing or not a string")
        if choices is not None and value not in choices:
            raise HistoryError(f"{path}.{key}", f"must be one of {', '.join(choices)}")
        most = limits.max_length(*field) if field else None
        if most is not None and len(value) > most:
            raise HistoryError(f"{path}.{key}", f"longer than {most} characters")
        return value

    def natural_key(
        self, parent: dict, key: str, path: str, seen: set[str], field: ModelField
    ) -> str:
        """Text that names a row: no longer than the model's `field`, once in the file."""
        value = self.text(parent, key, path, field=field)
        if value in seen:
            raise HistoryError(f"{path}.{key}", f"duplicate key {value!r}")
        seen.add(value)
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
        # Far dates overflow when moved to UTC or given a two-hour window.
        if not EARLIEST <= moment.date() <= LATEST:
            bounds = f"{day_label(EARLIEST)} to {day_label(LATEST)}"
            raise HistoryError(f"{path}.{key}", f"outside {bounds}")
        return moment

    def optional_time(self, parent: dict, key: str, path: str) -> dt.datetime | None:
        return None if parent.get(key) is None else self.time(parent, key, path)

    def target(self, slug, path: str) -> Target:
        # A list or an object is no slug, and is unhashable besides.
        if isinstance(slug, str) and slug in self.services:
            return Target(self.services[slug], None)
        if isinstance(slug, str) and slug in self.apps:
            return Target(None, self.apps[slug])
        raise HistoryError(path, f"unknown target {slug!r}")

    def span(self, item: dict, path: str) -> tuple[dt.datetime, dt.datetime]:
        started = self.time(item, "started_at", path)
        finished = self.time(item, "finished_at", path)
        if finished < started:
            raise HistoryError(f"{path}.finished_at", "finished before started")
        return started, finished


def parse_records(data) -> tuple[list[dict], list[dict]]:
    """Checked, resolved records; raises HistoryError naming the first bad JSON path."""
    check_strings(data)
    r = _Reader()
    data = r.obj(data, "$")
    releases, versions = [], set(Release.objects.values_list("version", flat=True))
    seen_versions: set[str] = set()
    for n, raw in enumerate(r.list(data, "releases", "$")):
        path = f"$.releases[{n}]"
        raw = r.obj(raw, path)
        version = r.natural_key(raw, "version", path, seen_versions, (Release, "version"))
        rec: dict[str, Any] = {
            "path": path,
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
                    "path": dpath,
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
                    "path": bpath,
                    "targets": [r.target(s, f"{bpath}.targets[{k}]") for k, s in enumerate(slugs)],
                    "started_at": started,
                    "finished_at": finished,
                    "reason": r.text(rb, "reason", bpath, field=(Rollback, "reason")),
                }
            )
        releases.append(rec)
    known = versions | seen_versions
    for n, rec in enumerate(releases):
        if rec["fixes"] and rec["fixes"][0] not in known:
            raise HistoryError(f"$.releases[{n}].fixes.version", "unknown release")
    incidents, keys = [], set[str]()
    for n, raw in enumerate(r.list(data, "incidents", "$")):
        path = f"$.incidents[{n}]"
        raw = r.obj(raw, path)
        key = r.natural_key(raw, "key", path, keys, (Incident, "key"))
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
                "path": path,
                "key": key,
                "severity": SEVERITIES[r.text(raw, "severity", path, choices=tuple(SEVERITIES))],
                "title": r.text(raw, "title", path, field=(Incident, "title")),
                "caused_by": caused,
                "detected_at": detected,
                "resolved_at": resolved,
            }
        )
    return releases, incidents


def release_fields(rec: dict) -> dict[str, Any]:
    """What the import writes on a release record's row, and compares with a row already there."""
    done = [d["finished_at"] for d in rec["deployments"]]
    return {
        "kind": rec["kind"],
        "status": Release.Status.ROLLED_BACK if rec["rollbacks"] else Release.Status.COMPLETED,
        "window_start": rec["window_start"],
        "window_end": max([rec["window_start"] + dt.timedelta(hours=2), *done]),
        "completed_at": max(done) if done else None,
    }
