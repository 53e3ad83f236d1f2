"""Frontend apps on release day: build, canary (once every backend service is done),
validation, full rollout, then feature flags and the CDN. The last full rollout moves the
release to Verifying."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.catalog.models import FrontendApp
from releasehub.releases.models import Release
from releasehub.releases.services.lifecycle import release_transition
from releasehub.rollout.errors import RolloutError, refuse
from releasehub.rollout.models import (
    APP_AFTER_FULL,
    APP_STEPS,
    Deployment,
    DeploymentKind,
    RolloutStep,
    Step,
)
from releasehub.rollout.rules import row_refusal, steps_refusal
from releasehub.rollout.selectors import backend_blocker, component_rows
from releasehub.rollout.services.steps import (
    component_row,
    day_open,
    previous_missing,
    release_lock,
    step_append,
)

S = Release.Status


@transaction.atomic
def app_step_record(
    *,
    release: Release,
    app: FrontendApp,
    kind: str,
    actor: User,
    build_id: str = "",
    link: str = "",
    percent: int | None = None,
    passed: bool | None = None,
    note: str = "",
    at: dt.datetime | None = None,
) -> RolloutStep:
    """Build, canary (after every backend service is done), validation, full rollout; then
    flags and CDN. The last full rollout moves the release to Verifying."""
    if kind not in APP_STEPS + APP_AFTER_FULL:
        raise RolloutError("Choose a frontend step.")
    at = at or timezone.now()
    release = release_lock(release)
    refuse(steps_refusal(release))
    services, apps = component_rows(release)
    row = component_row(apps, app)
    refuse(row_refusal(row))
    if kind in APP_STEPS:
        if missing := previous_missing(row, APP_STEPS, kind):
            raise RolloutError(missing)
    elif Step.FULL_ROLLOUT not in row.steps:
        raise RolloutError(f"{app}: {Step(kind).label} comes after the full rollout.")
    summary = Step(kind).label
    if kind == Step.BUILD_TRIGGERED:
        if not build_id.strip():
            raise RolloutError("Give the build id.")
        summary = f"build {build_id} triggered"
    if kind == Step.CANARY_STARTED:
        if blocker := backend_blocker(services):
            raise RolloutError(f"{app}'s canary cannot start yet: {blocker}")
        if percent is None or not 1 <= percent <= 100:
            raise RolloutError("Give the canary percentage (1 to 100).")
        summary = f"canary started at {percent}%"
    if kind == Step.CDN:
        if passed is None:
            raise RolloutError("Say whether the CDN cache was cleared or not needed.")
        summary = "CDN cache cleared" if passed else "CDN cache clearing not needed"
    if kind == Step.FLAGS_TOGGLED and not note.strip():
        raise RolloutError("Name the flags toggled (or say none).")
    if kind == Step.CANARY_STARTED:
        day_open(release=release, actor=actor, at=at)
    step = step_append(
        release=release,
        row=row,
        kind=kind,
        actor=actor,
        at=at,
        summary=summary,
        build_id=build_id.strip(),
        link=link,
        percent=percent,
        passed=passed,
        note=note.strip(),
    )
    if kind == Step.FULL_ROLLOUT:
        Deployment.objects.create(
            release=release,
            app=app,
            kind=DeploymentKind.ROLLOUT,
            started_at=row.steps[Step.CANARY_STARTED].at,
            finished_at=at,
            step=step,
        )
        if release.status == S.DEPLOYING and all(r.done for r in services + apps):
            release_transition(
                release=release, to=S.VERIFYING, actor=actor, reason="All frontends full"
            )
    return step
