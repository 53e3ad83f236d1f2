"""QA's results: the smoke checklist after Go, the regression suites before it."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.audit.evidence import evidence_append
from releasehub.audit.timeline import record_event
from releasehub.readiness import rules
from releasehub.readiness.errors import Conflict, ReadinessError, clean_text
from releasehub.readiness.evidence import current_of
from releasehub.readiness.models import (
    ChecklistItem,
    Phase,
    RegressionResult,
    SmokeOutcome,
    SmokeResult,
    Suite,
)
from releasehub.readiness.panels import SMOKE_STATUSES
from releasehub.releases.models import Release


def _require_qa(actor: User) -> None:
    if not rules.logs_qa(actor):
        raise PermissionDenied("Only the QA Lead logs smoke and regression results.")


@transaction.atomic
def smoke_record(*, item: ChecklistItem, actor: User, outcome: str, notes: str = "") -> SmokeResult:
    _require_qa(actor)
    if item.phase != Phase.SMOKE:
        raise ReadinessError("That is not a smoke checklist item.")
    if outcome not in SmokeOutcome.values:
        raise ReadinessError("Choose pass or fail.")
    notes = clean_text(notes, "Notes on the failure", required=outcome == SmokeOutcome.FAILED)
    release = Release.objects.get(pk=item.release_id)
    if release.status not in SMOKE_STATUSES:
        raise ReadinessError(
            f"{release.version} is {release.get_status_display()}; smoke runs after Go."
        )
    current = current_of(SmokeResult.objects.filter(item=item))
    row = evidence_append(
        SmokeResult,
        conflict=Conflict(
            f"A result for {item.text} was logged at the same moment; reload to see it."
        ),
        at=timezone.now(),
        release=release,
        item=item,
        outcome=outcome,
        notes=notes,
        actor=actor,
        supersedes=current,
    )
    record_event(
        verb=f"readiness.smoke_{outcome}",
        target=row,
        release=release,
        actor=actor,
        summary=f"Smoke {item.text}: {SmokeOutcome(outcome).label}",
        reason=notes,
    )
    return row


@transaction.atomic
def regression_record(
    *,
    release: Release,
    actor: User,
    suite: str,
    passed: int,
    failed: int,
    skipped: int,
    link: str = "",
) -> RegressionResult:
    _require_qa(actor)
    if suite not in Suite.values:
        raise ReadinessError("Choose a suite.")
    if min(passed, failed, skipped) < 0:
        raise ReadinessError("Counts cannot be negative.")
    release = Release.objects.get(pk=release.pk)
    if not release.is_open:
        raise ReadinessError(f"{release.version} is {release.get_status_display()}.")
    current = current_of(RegressionResult.objects.filter(release=release, suite=suite))
    row = evidence_append(
        RegressionResult,
        conflict=Conflict(
            f"{Suite(suite).label} results were logged at the same moment; reload to see them."
        ),
        at=timezone.now(),
        release=release,
        suite=suite,
        passed=passed,
        failed=failed,
        skipped=skipped,
        link=link.strip(),
        actor=actor,
        supersedes=current,
    )
    record_event(
        verb="readiness.regression_logged",
        target=row,
        release=release,
        actor=actor,
        summary=f"{Suite(suite).label} regression: {passed} passed, {failed} failed, "
        f"{skipped} skipped",
        after={"link": row.link},
    )
    return row
