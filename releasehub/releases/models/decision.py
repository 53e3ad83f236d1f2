"""An RM deciding a request (a freeze exception, a hotfix): the same evidence whatever was asked.

Each kind of request keeps its own table of decisions, whose one-to-one to the request is what
stops a second decision when two RMs click at once."""

from typing import ClassVar

from django.conf import settings
from django.db import models

from releasehub.core import limits
from releasehub.core.limits import TextLimit
from releasehub.core.relations import one_to_one_or_none


class Decision(models.TextChoices):
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class RMDecision(models.Model):
    """The RM's decision on one request. Append-only evidence."""

    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
        abstract = True
        constraints = [TextLimit(field="comment", limit=limits.NOTE)]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.decided_by}"

    @property
    def approved(self) -> bool:
        return self.decision == Decision.APPROVED


class DecidedByRM:
    """A request an RM decides; `decision_relation` names the reverse one-to-one of its
    decision."""

    decision_relation: ClassVar[str]

    @property
    def rm_decision(self) -> RMDecision | None:
        return one_to_one_or_none(self, self.decision_relation)

    @property
    def is_pending(self) -> bool:
        return self.rm_decision is None

    @property
    def is_approved(self) -> bool:
        decision = self.rm_decision
        return decision is not None and decision.approved
