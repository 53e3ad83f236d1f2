"""The releases app's models, one module per runbook stage; imported here so that Django finds
them and `releasehub.releases.models.Release` keeps working."""

from releasehub.releases.models.decision import DecidedByRM, Decision, RMDecision
from releasehub.releases.models.freeze import FreezeException, FreezeExceptionDecision, parse_keys
from releasehub.releases.models.hotfix import (
    FollowUp,
    Hotfix,
    HotfixApproval,
    HotfixFollowUp,
    TargetedTests,
    and_list,
)
from releasehub.releases.models.release import MOVABLE_STATUSES, Release, Train
from releasehub.releases.models.scope import (
    APP_STRATEGIES,
    SERVICE_STRATEGIES,
    FlagChange,
    MonitoringDashboard,
    OnCallAssignment,
    OnCallRole,
    Risk,
    RollbackPlan,
    RollbackStrategy,
    ScopeTicket,
)

__all__ = [
    "APP_STRATEGIES",
    "MOVABLE_STATUSES",
    "SERVICE_STRATEGIES",
    "DecidedByRM",
    "Decision",
    "FlagChange",
    "FollowUp",
    "FreezeException",
    "FreezeExceptionDecision",
    "Hotfix",
    "HotfixApproval",
    "HotfixFollowUp",
    "MonitoringDashboard",
    "OnCallAssignment",
    "OnCallRole",
    "RMDecision",
    "Release",
    "Risk",
    "RollbackPlan",
    "RollbackStrategy",
    "ScopeTicket",
    "TargetedTests",
    "Train",
    "and_list",
    "parse_keys",
]
