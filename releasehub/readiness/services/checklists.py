"""Checklists: copied from the templates when a release is created; items updated by their
owners (or the RM), owners assigned by the RM."""

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
    ChecklistItemUpdate,
    ChecklistTemplateItem,
    ItemState,
    Phase,
)
from releasehub.releases.models import Release


@transaction.atomic
def checklists_create_for(release: Release) -> list[ChecklistItem]:
    """Copy the active templates into the release, once (later calls return what exists).

    The release comes positionally: this is the releases hook for a created release (see
    apps.py), and hooks call `subscriber(release)`. A hotfix has its own short clock (no freeze,
    no T-48h, no meeting): it gets the smoke and post-release checklists only.
    """
    locked = Release.objects.select_for_update().get(pk=release.pk)
    existing = list(ChecklistItem.objects.filter(release=locked))
    if existing:
        return existing
    templates = ChecklistTemplateItem.objects.filter(active=True)
    if locked.is_hotfix:
        templates = templates.filter(phase__in=[Phase.SMOKE, Phase.POST_RELEASE])
    items = ChecklistItem.objects.bulk_create(
        ChecklistItem(
            release=locked,
            template=t,
            phase=t.phase,
            position=t.position,
            text=t.text,
            owner_role=t.owner_role,
            computed_by=t.computed_by,
        )
        for t in templates
    )
    record_event(
        verb="readiness.checklists_created",
        target=locked,
        release=locked,
        summary=f"{locked.version}: {len(items)} checklist items copied from the templates",
    )
    return items


@transaction.atomic
def checklist_item_update(
    *, item: ChecklistItem, actor: User, state: str, reason: str = "", evidence: str = ""
) -> ChecklistItemUpdate:
    if not rules.may_update_item(actor, item):
        raise PermissionDenied(f"Only the owner ({item.owner_role_label}) or the RM may do this.")
    if item.phase == Phase.SMOKE:
        raise ReadinessError("Smoke items are logged by the QA Lead as pass or fail.")
    if item.is_computed:
        raise ReadinessError(f"“{item.text}” is computed from the release's data, not ticked.")
    if state not in ItemState.values:
        raise ReadinessError("Choose a valid state.")
    needs_reason = state in (ItemState.BLOCKED, ItemState.NOT_APPLICABLE)
    reason = clean_text(reason, "A reason", required=needs_reason)
    release = Release.objects.get(pk=item.release_id)
    if release.status == Release.Status.CANCELLED:
        raise ReadinessError(f"{release.version} is cancelled.")
    current = current_of(ChecklistItemUpdate.objects.filter(item=item))
    row = evidence_append(
        ChecklistItemUpdate,
        conflict=Conflict(
            f"“{item.text}” was updated by someone else at the same moment; reload to see it."
        ),
        at=timezone.now(),
        item=item,
        state=state,
        reason=reason,
        evidence=(evidence or "").strip(),
        actor=actor,
        supersedes=current,
    )
    record_event(
        verb="readiness.item_updated",
        target=item,
        release=release,
        actor=actor,
        summary=f"{item.text}: {ItemState(state).label}",
        reason=reason,
        before={"state": current.state} if current else None,
        after={"state": state, "evidence": row.evidence},
    )
    return row


@transaction.atomic
def checklist_item_assign(*, item: ChecklistItem, actor: User, owner: User | None) -> None:
    if not rules.decides(actor):
        raise PermissionDenied("Only the Release Manager assigns checklist owners.")
    if owner is not None and not owner.has_role(item.owner_role):
        raise ReadinessError(f"{owner} is not a {item.owner_role_label}.")
    locked = ChecklistItem.objects.select_for_update().get(pk=item.pk)
    before = str(locked.owner) if locked.owner_id else None
    locked.owner = owner
    locked.save(update_fields=["owner"])
    item.owner = owner
    record_event(
        verb="readiness.item_assigned",
        target=item,
        release=locked.release,
        actor=actor,
        summary=f"{item.text}: owner {owner or item.owner_role_label}",
        before={"owner": before},
        after={"owner": str(owner) if owner else None},
    )
