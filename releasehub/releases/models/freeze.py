"""The code freeze's exceptions: a request to change scope after Monday 18:00 IST, and the
RM's decision on it."""

import re
import uuid

from django.conf import settings
from django.db import models

from releasehub.core import limits
from releasehub.core.limits import TextLimit
from releasehub.releases.models.decision import DecidedByRM, RMDecision
from releasehub.releases.models.release import Release


class FreezeException(DecidedByRM, models.Model):
    """A request to change scope during the freeze. Append-only: the decision is its own row."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="exceptions")
    # Ticket keys, one per line: what the exception lets people add or change.
    items = models.TextField()
    reason = models.TextField()
    risk = models.TextField()
    rollback_note = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()

    decision_relation = "decision"

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            TextLimit(field=name, limit=limits.NOTE)
            for name in ("items", "reason", "risk", "rollback_note")
        ]

    def __str__(self) -> str:
        return f"Freeze exception for {', '.join(self.keys)}"

    @property
    def keys(self) -> list[str]:
        return parse_keys(self.items)


class FreezeExceptionDecision(RMDecision):
    """The RM's decision. One per exception (the one-to-one is what stops a double approval)."""

    exception = models.OneToOneField(
        FreezeException, on_delete=models.PROTECT, related_name="decision"
    )


KEY_SEPARATORS = re.compile(r"[\s,;]+")


def parse_keys(text: str) -> list[str]:
    """Ticket keys from free text ("PAT-1, PAT-2" or one per line), upper-cased, in order."""
    seen: dict[str, None] = {}
    for key in KEY_SEPARATORS.split(text.upper()):
        if key:
            seen.setdefault(key, None)
    return list(seen)
