"""Shapes of the release-day endpoints (api/routers/rollout.py, rollout_watch.py).

Inputs carry the board forms' limits (rollout/forms.py); the step kinds are the board's own
(rollout.models.SERVICE_STEPS, APP_STEPS + APP_AFTER_FULL; tests/api/test_rollout_api.py keeps
the two lists equal)."""

import datetime as dt
from decimal import Decimal
from typing import Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import AwareDatetime

from releasehub.core import limits
from releasehub.rollout.models import (
    AnomalySeverity,
    Deployment,
    RollbackScope,
    RolloutStep,
    Severity,
)
from releasehub.rollout.rules import RowAction, RowPlan

ServiceStepKind = Literal[
    "staging_deployed", "staging_smoke", "promotion_started", "promotion_finished"
]
AppStepKind = Literal[
    "build_triggered", "canary_started", "canary_validated", "full_rollout", "flags_toggled", "cdn"
]
Note = Field("", max_length=limits.NOTE)
Link = Field("", max_length=300, pattern=r"^(https?://\S+)?$")
Reason = Field(..., min_length=1, max_length=limits.NOTE)


# What comes in --------------------------------------------------------------------------------


class ServiceStepIn(Schema):
    kind: ServiceStepKind
    passed: bool | None = Field(None, description="staging_smoke: did it pass")
    note: str = Field(
        "",
        max_length=limits.NOTE,
        description="A person's promotion_started after a staging smoke that did not pass: the "
        "reason to force it (a manual intervention; never by an integration).",
    )


class ObservationIn(Schema):
    """The monitoring observation of the board's health form."""

    healthy: bool
    p95_ms: int | None = Field(None, ge=0, le=600_000)
    error_rate: Decimal | None = Field(None, ge=0, le=100, decimal_places=3, description="%")
    link: str = Link
    note: str = Note


class AppStepIn(Schema):
    kind: AppStepKind
    build_id: str = Field("", max_length=80, description="build_triggered: required")
    link: str = Link
    canary_percent: int | None = Field(None, ge=1, le=100, description="canary_started: required")
    cdn_cleared: bool | None = Field(
        None, description="cdn: true when the cache was cleared, false when not needed"
    )
    note: str = Field("", max_length=limits.NOTE, description="flags_toggled: the flags")


class ReasonIn(Schema):
    reason: str = Reason


class RollbackIn(Schema):
    scope: RollbackScope
    services: list[str] = Field(default_factory=list, description="partial: slugs")
    apps: list[str] = Field(default_factory=list, description="partial: slugs")
    reason: str = Reason
    incident: UUID | None = None


class RollbackResultIn(Schema):
    service: str | None = Field(None, description="the service (slug) rolled back")
    app: str | None = Field(None, description="or the app; neither when the rollback has one")
    steps_performed: str = Field(..., min_length=1, max_length=limits.NOTE)
    succeeded: bool


class AnomalyIn(Schema):
    seen_at: AwareDatetime
    description: str = Reason
    severity: AnomalySeverity
    service: str | None = None
    app: str | None = None


class IncidentIn(Schema):
    severity: Severity
    title: str = Field("", max_length=limits.TITLE, description="required unless from an anomaly")
    detected_at: AwareDatetime | None = Field(None, description="default: now")
    service: str | None = None
    app: str | None = None
    link: str = Link
    anomaly: UUID | None = Field(None, description="the anomaly it comes from (its code)")


class ResolveIn(Schema):
    resolved_at: AwareDatetime
    note: str = Note


class CompleteIn(Schema):
    note: str = Reason
    force_reason: str = Field("", max_length=limits.NOTE)


class DeploymentFilters(Schema):
    service: str | None = Field(None, description="slug")
    app: str | None = Field(None, description="slug")
    since: AwareDatetime | None = Field(None, description="finished at or after")


# What goes out --------------------------------------------------------------------------------


class StepOut(Schema):
    kind: str
    label: str
    at: dt.datetime
    actor: str
    passed: bool | None
    p95_ms: int | None
    error_rate: Decimal | None
    build_id: str
    percent: int | None
    link: str
    note: str

    @staticmethod
    def of(step: RolloutStep) -> "StepOut":
        return StepOut(
            kind=step.kind,
            label=step.get_kind_display(),
            at=step.at,
            actor=step.actor.username,
            passed=step.passed,
            p95_ms=step.p95_ms,
            error_rate=step.error_rate,
            build_id=step.build_id,
            percent=step.percent,
            link=step.link,
            note=step.note,
        )


class NextOut(Schema):
    """The one step the row offers next; `refusal` says why it may not be taken yet."""

    kind: str
    label: str
    refusal: str
    closes_at: dt.datetime | None = Field(None, description="when the holding window closes")

    @staticmethod
    def of(action: RowAction | None) -> "NextOut | None":
        if action is None:
            return None
        return NextOut(
            kind=action.kind, label=action.label, refusal=action.refusal, closes_at=action.closes_at
        )


class RowOut(Schema):
    kind: Literal["service", "app"]
    slug: str
    name: str
    in_scope: bool
    state: str
    done: bool
    blocked: str
    steps: list[StepOut]
    next: NextOut | None
    waiting: str
    waiting_until: dt.datetime | None
    overrides: list[str]
    window_closes_at: dt.datetime | None

    @staticmethod
    def of(plan: RowPlan) -> "RowOut":
        row = plan.row
        return RowOut(
            kind="service" if row.is_service else "app",
            slug=row.component.slug,
            name=row.component.name,
            in_scope=row.in_scope,
            state=row.state,
            done=row.done,
            blocked=row.blocked,
            steps=[StepOut.of(s) for s in sorted(row.steps.values(), key=lambda s: (s.at, s.pk))],
            next=NextOut.of(plan.next),
            waiting=plan.waiting,
            waiting_until=plan.waiting_until,
            overrides=plan.overrides,
            window_closes_at=row.window.due_at if row.window else None,
        )


class BoardOut(Schema):
    release: str
    status: str
    services: list[RowOut]
    apps: list[RowOut]
    refused: dict[str, str] = Field(
        description="complete, anomaly, rollback: why each is refused now (empty: offered)"
    )


class StepAnswer(Schema):
    step: StepOut
    via: str = Field(description="what carried the change, as the timeline names it")
    run_url: str
    row: RowOut


class RollbackItemOut(Schema):
    code: UUID
    service: str | None
    app: str | None
    strategy: str
    previous: str
    plan_steps: str


class RollbackOut(Schema):
    code: UUID
    scope: str
    reason: str
    at: dt.datetime
    items: list[RollbackItemOut]


class RollbackResultOut(Schema):
    item: UUID
    succeeded: bool
    at: dt.datetime


class AnomalyOut(Schema):
    code: UUID
    severity: str
    description: str
    seen_at: dt.datetime
    service: str | None
    app: str | None


class IncidentOut(Schema):
    code: UUID
    title: str
    severity: str
    detected_at: dt.datetime
    service: str | None
    app: str | None
    resolved_at: dt.datetime | None = None


class CompletionOut(Schema):
    release: str
    status: str
    at: dt.datetime


class DeploymentOut(Schema):
    code: UUID
    release: str
    kind: str
    outcome: str
    service: str | None
    app: str | None
    started_at: dt.datetime
    finished_at: dt.datetime

    @staticmethod
    def resolve_release(row: Deployment) -> str:
        return row.release.version

    @staticmethod
    def resolve_service(row: Deployment) -> str | None:
        return row.service.slug if row.service else None

    @staticmethod
    def resolve_app(row: Deployment) -> str | None:
        return row.app.slug if row.app else None
