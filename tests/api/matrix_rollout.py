"""Matrix rows for the release-day endpoints (tests/api/matrix.py). The World's release is at Go
with identity, providers and patient-web in scope; a call a role may make answers 201 or the
board's 409, never 401/403.

Overrides (cut short, skip) and completion are never an integration's: the first are a person's
judgement (api/routers/rollout.py), the second the RM's, a role no scope implies."""

from django.utils import timezone

from releasehub.accounts.models import Role
from releasehub.api.scopes import Scope
from releasehub.releases.models import RollbackStrategy
from releasehub.rollout.models import Incident, Rollback, RollbackItem, Severity
from tests.api.matrix import ANY_ROLE, Row, World
from tests.factories import service

PROMOTES = frozenset({Role.RELEASE_MANAGER, Role.SRE})
LOGS_ANOMALIES = frozenset({*PROMOTES, Role.QA_LEAD, Role.SQUAD_REP})
RM = frozenset({Role.RELEASE_MANAGER})
W = Scope.ROLLOUT_WRITE


def _at(w: World, tail: str) -> str:
    return f"/releases/{w.release.version}{tail}"


def _rollback_result(api, w: World):
    """A rollback of identity made straight in the tables (no timeline event of its own, so a
    refused call is still seen writing nothing), then its outcome through the API."""
    rollback = Rollback.objects.create(
        release=w.release, scope="partial", reason="matrix", actor=w.people["kiran"], at=_now()
    )
    RollbackItem.objects.create(
        release=w.release,
        rollback=rollback,
        service=service("identity"),
        strategy=RollbackStrategy.REDEPLOY_CONTAINER,
    )
    body = {"steps_performed": "Redeployed v1", "succeeded": True}
    return api.post(_at(w, f"/rollbacks/{rollback.code}/result"), body)


def _resolve(api, w: World):
    incident = Incident.objects.create(
        title="matrix",
        severity=Severity.SEV3,
        release=w.release,
        detected_at=_now(),
        actor=w.people["kiran"],
        at=_now(),
    )
    body = {"resolved_at": _now().isoformat()}
    return api.post(_at(w, f"/incidents/{incident.code}/resolve"), body)


def _now():
    return timezone.now()


ROWS = [
    Row(
        "GET",
        "/releases/{ref}/rollout",
        Scope.RELEASES_READ,
        ANY_ROLE,
        True,
        lambda api, w: api.get(_at(w, "/rollout")),
    ),
    Row(
        "POST",
        "/releases/{ref}/services/{service}/steps",
        W,
        PROMOTES,
        True,
        lambda api, w: api.post(_at(w, "/services/identity/steps"), {"kind": "staging_deployed"}),
    ),
    Row(
        "POST",
        "/releases/{ref}/services/{service}/observations",
        W,
        PROMOTES,
        True,
        lambda api, w: api.post(
            _at(w, "/services/identity/observations"),
            {"healthy": True, "p95_ms": 180, "error_rate": "0.2"},
        ),
    ),
    Row(
        "POST",
        "/releases/{ref}/services/{service}/cut-short",
        W,
        PROMOTES,
        False,
        lambda api, w: api.post(_at(w, "/services/identity/cut-short"), {"reason": "matrix"}),
    ),
    Row(
        "POST",
        "/releases/{ref}/services/{service}/skip",
        W,
        PROMOTES,
        False,
        lambda api, w: api.post(_at(w, "/services/identity/skip"), {"reason": "matrix"}),
    ),
    Row(
        "POST",
        "/releases/{ref}/apps/{app}/skip",
        W,
        PROMOTES,
        False,
        lambda api, w: api.post(_at(w, "/apps/patient-web/skip"), {"reason": "matrix"}),
    ),
    Row(
        "POST",
        "/releases/{ref}/apps/{app}/steps",
        W,
        PROMOTES,
        True,
        lambda api, w: api.post(
            _at(w, "/apps/patient-web/steps"), {"kind": "build_triggered", "build_id": "b-1"}
        ),
    ),
    Row(
        "POST",
        "/releases/{ref}/rollbacks",
        W,
        PROMOTES,
        True,
        lambda api, w: api.post(
            _at(w, "/rollbacks"), {"scope": "partial", "services": ["identity"], "reason": "m"}
        ),
    ),
    Row("POST", "/releases/{ref}/rollbacks/{code}/result", W, PROMOTES, True, _rollback_result),
    Row(
        "POST",
        "/releases/{ref}/anomalies",
        W,
        LOGS_ANOMALIES,
        True,
        lambda api, w: api.post(
            _at(w, "/anomalies"),
            {"seen_at": _now().isoformat(), "description": "slow", "severity": "low"},
        ),
    ),
    Row(
        "POST",
        "/releases/{ref}/incidents",
        W,
        PROMOTES,
        True,
        lambda api, w: api.post(
            _at(w, "/incidents"), {"severity": "sev3", "title": "Slow logins", "service": None}
        ),
    ),
    Row("POST", "/releases/{ref}/incidents/{code}/resolve", W, PROMOTES, True, _resolve),
    Row(
        "POST",
        "/releases/{ref}/complete",
        W,
        RM,
        False,
        lambda api, w: api.post(_at(w, "/complete"), {"note": "All done"}),
    ),
    Row(
        "GET",
        "/releases/{ref}/deployments",
        Scope.RELEASES_READ,
        ANY_ROLE,
        True,
        lambda api, w: api.get(_at(w, "/deployments")),
    ),
    Row(
        "GET",
        "/deployments",
        Scope.RELEASES_READ,
        ANY_ROLE,
        True,
        lambda api, w: api.get("/deployments", service="identity"),
    ),
]
