"""The code freeze: from Monday 18:00 IST scope changes only under a freeze exception that an
RM approved (decided in `decisions`)."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.audit.timeline import record_event
from releasehub.core.errors import ServiceError
from releasehub.releases.clock import ist
from releasehub.releases.models import Decision, FreezeException, Release, parse_keys
from releasehub.releases.services.lifecycle import lock_open


class ScopeFrozen(ServiceError):
    """Scope changes during the code freeze need an approved freeze exception."""


def covering_exception(
    release: Release, key: str, at: dt.datetime | None = None
) -> FreezeException | None:
    """The approved freeze exception that names `key`, if the release is frozen (at `at`)."""
    freeze_at = release.freeze_at
    if freeze_at is None or not release.is_frozen(at or timezone.now()):
        return None
    approved = FreezeException.objects.filter(
        release=release, decision__decision=Decision.APPROVED
    ).order_by("requested_at")
    for exception in approved:
        if key in exception.keys:
            return exception
    raise ScopeFrozen(
        f"Code freeze since {ist(freeze_at)}: {key} can only be added or changed under "
        "an approved freeze exception."
    )


@transaction.atomic
def freeze_exception_request(
    *, release: Release, actor: User, items: str, reason: str, risk: str, rollback_note: str
) -> FreezeException:
    locked = lock_open(release)
    if locked.is_hotfix:
        raise ServiceError("A hotfix has no code freeze.")
    if not all(v.strip() for v in (items, reason, risk, rollback_note)):
        raise ServiceError("Items, reason, risk and rollback note are all required.")
    exception = FreezeException.objects.create(
        release=locked,
        items="\n".join(parse_keys(items)),
        reason=reason,
        risk=risk,
        rollback_note=rollback_note,
        requested_by=actor,
        requested_at=timezone.now(),
    )
    record_event(
        verb="freeze.exception_requested",
        target=exception,
        release=locked,
        actor=actor,
        summary=f"Freeze exception requested for {', '.join(exception.keys)}",
        reason=reason,
        after={"items": exception.keys, "risk": risk, "rollback_note": rollback_note},
    )
    return exception
