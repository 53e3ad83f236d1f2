"""Release day and after: steps, deployments, the post-release watch, rollbacks, incidents,
health gates.

Every row here is evidence and append-only (a trigger refuses UPDATE and DELETE). "Current"
state is derived from the rows: a service's state is its latest step of each kind, a
deployment's failure is derived from the rollbacks, incidents and hotfixes that name it.

One module per stage; imported here so that Django finds them and
`releasehub.rollout.models.Deployment` keeps working.
"""

from releasehub.rollout.models.deployments import (
    Deployment,
    DeploymentKind,
    DeploymentOutcome,
    DeploymentQuerySet,
)
from releasehub.rollout.models.health import (
    COMPARE,
    UNDECIDED,
    Comparison,
    HealthEvaluation,
    HealthRule,
    HealthWindow,
    Measure,
    Verdict,
)
from releasehub.rollout.models.incidents import (
    Anomaly,
    AnomalySeverity,
    HotfixFix,
    Incident,
    IncidentResolution,
    Retrospective,
    Severity,
)
from releasehub.rollout.models.rollback import (
    Rollback,
    RollbackItem,
    RollbackResult,
    RollbackScope,
)
from releasehub.rollout.models.steps import (
    APP_AFTER_FULL,
    APP_STEPS,
    REPEATABLE,
    SERVICE_STEPS,
    LogEntry,
    RolloutStep,
    Step,
)

__all__ = [
    "APP_AFTER_FULL",
    "APP_STEPS",
    "COMPARE",
    "REPEATABLE",
    "SERVICE_STEPS",
    "UNDECIDED",
    "Anomaly",
    "AnomalySeverity",
    "Comparison",
    "Deployment",
    "DeploymentKind",
    "DeploymentOutcome",
    "DeploymentQuerySet",
    "HealthEvaluation",
    "HealthRule",
    "HealthWindow",
    "HotfixFix",
    "Incident",
    "IncidentResolution",
    "LogEntry",
    "Measure",
    "Retrospective",
    "Rollback",
    "RollbackItem",
    "RollbackResult",
    "RollbackScope",
    "RolloutStep",
    "Severity",
    "Step",
    "Verdict",
]
