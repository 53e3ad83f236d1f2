"""An RM decides a request: a freeze exception or a hotfix. The same rules hold for both."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.audit.timeline import record_event
from releasehub.core.errors import ServiceError
from releasehub.releases.models import (
    Decision,
    FreezeException,
    FreezeExceptionDecision,
    Hotfix,
    HotfixApproval,
    Release,
    RMDecision,
)
from releasehub.releases.services.lifecycle import lock_open, release_transition


class AlreadyDecided(ServiceError):
    """Someone decided first (two RMs at once, or a double click): the first decision stands."""


def request_decide(
    *,
    request: FreezeException | Hotfix,
    actor: User,
    approve: bool,
    comment: str,
    at: dt.datetime | None = None,
) -> RMDecision:
    """Approve or reject with a comment; nobody decides their own request, and a rejected
    hotfix cancels its release (`at` lets the demo seed history)."""
    is_hotfix = isinstance(request, Hotfix)
    noun = "hotfix" if is_hotfix else "freeze exception"
    if not comment.strip():
        raise ServiceError("A decision needs a comment.")
    if request.requested_by_id == actor.pk:
        raise PermissionDenied(f"Nobody decides on their own {noun}.")
    decision = Decision.APPROVED if approve else Decision.REJECTED
    fields = {
        "decision": decision,
        "comment": comment,
        "decided_by": actor,
        "decided_at": at or timezone.now(),
    }
    row: RMDecision
    try:
        with transaction.atomic():
            release = lock_open(request.release)
            # The one-to-one refuses a second decision even when two RMs click at once.
            if isinstance(request, Hotfix):
                row = HotfixApproval.objects.create(hotfix=request, **fields)
            else:
                row = FreezeExceptionDecision.objects.create(exception=request, **fields)
            record_event(
                verb=f"hotfix.{decision}" if is_hotfix else f"freeze.exception_{decision}",
                target=request,
                release=release,
                actor=actor,
                summary=f"{request} {decision}",
                reason=comment,
                occurred_at=at,
            )
            if is_hotfix and not approve:
                release_transition(
                    release=release, to=Release.Status.CANCELLED, actor=actor, reason=comment
                )
    except IntegrityError:
        raise AlreadyDecided(f"This {noun} has already been decided.") from None
    return row
