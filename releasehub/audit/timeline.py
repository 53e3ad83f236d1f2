"""The one helper every feature calls to put a state change on the audit timeline."""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.audit.models import TimelineEvent

if TYPE_CHECKING:
    from releasehub.releases.models import Release


def record_event(
    *,
    verb: str,
    target: models.Model,
    summary: str,
    actor: User | None = None,
    release: "Release | None" = None,
    reason: str = "",
    before: Any = None,
    after: Any = None,
    occurred_at: datetime | None = None,
) -> TimelineEvent:
    """Append one event. `actor=None` means the system did it (a timed action, a sweep)."""
    return TimelineEvent.objects.create(
        occurred_at=occurred_at or timezone.now(),
        actor=actor,
        actor_roles=actor.role_labels() if actor else [],
        automatic=actor is None,
        verb=verb,
        summary=summary[:300],
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        release=release,
        reason=reason,
        before=before,
        after=after,
    )
