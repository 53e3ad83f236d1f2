"""Import past releases, deployments, rollbacks and incidents (docs/import-format.md).

The file is read safely (history_file.py) and checked (history_records.py) before anything is
written, and written in one transaction. Rows are matched on natural keys (version; release,
target, kind and start; incident key), so importing the same file twice changes nothing; rows
that match but say otherwise refuse the whole file (history_conflicts.py). Rows are created
directly: release_create would plan timed actions and copy checklists, which past releases must
not get.
"""

from django.db import transaction

from releasehub.accounts.models import User
from releasehub.metrics.history_conflicts import conflicts
from releasehub.metrics.history_file import HistoryError
from releasehub.metrics.history_records import Target, parse_records, release_fields
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
)


def import_history(data, *, actor: User) -> dict[str, int]:
    """Load a parsed history file; returns how many rows of each kind were created.

    Raises HistoryError, with nothing written, for the first bad path or every conflict.
    """
    releases, incidents = parse_records(data)
    counts = {"releases": 0, "deployments": 0, "rollbacks": 0, "incidents": 0}
    with transaction.atomic():
        if problems := conflicts(releases, incidents):
            raise HistoryError.of(problems)
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
    release, created = Release.objects.get_or_create(
        version=rec["version"],
        defaults={**release_fields(rec), "summary": "Imported history."},
    )
    counts["releases"] += created
    for dep in rec["deployments"]:
        target = dep["target"]
        counts["deployments"] += _deployment(release, target, target.deployment_kind, dep)
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


def _deployment(release: Release, target: Target, kind: str, dep: dict) -> bool:
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
    release, target = None, Target(None, None)
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
