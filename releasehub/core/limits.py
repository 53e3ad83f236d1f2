"""How long free text may be, in characters: one place for every limit.

The forms use these as `max_length` (the message a person sees, and the browser's own limit);
the models use them in `TextLimit`, the check constraint the database refuses a longer value
with, on PostgreSQL and SQLite alike. Chosen so that nobody writing to colleagues reaches one and
nobody can store a megabyte: a reason of 2,000 characters is a page of text.
"""

from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

TITLE = 200  # a ticket or incident title, a message subject, a flag's default state
NAME = 100  # a feature flag or dashboard named in a release's scope
REF = 120  # a previous version, build or flag to roll back to
SHORT_NOTE = 300  # a hotfix follow-up's note
EVIDENCE = 500  # a checklist item's evidence: a link or a line
NOTE = 2_000  # a reason, comment, note or description: a paragraph or two
LONG_NOTE = 4_000  # rollback steps; a hotfix's problem, risk assessment and tests run
MEETING = 10_000  # the pre-release meeting's notes and its decisions
# What the timeline and the intervention ledger record as the reason: a form's text, sometimes
# after a prefix the service adds ("No-Go: …", "payments, identity: …").
RECORDED_REASON = 10_000
ADDRESSES = 10_000  # an audience's extra e-mail addresses, one per line
TEMPLATE_BODY = 20_000  # a message template
MESSAGE_BODY = 50_000  # a message as sent: a template with its placeholders filled


class TextLimit(models.CheckConstraint):
    """The database's own limit on one text column: a check on its length in characters.

    A check, not a varchar: SQLite ignores varchar lengths, and PostgreSQL's `text` has none.
    Added to an existing table by `audit.text_limits.AddTextLimit`, which keeps evidence.
    """

    def __init__(self, *, field: str, limit: int, name: str | None = None) -> None:
        label = field.replace("_", " ").capitalize()
        super().__init__(
            condition=LessThanOrEqual(Length(field), limit),
            name=name or f"%(app_label)s_%(class)s_{field}_length",
            violation_error_message=f"{label}: at most {limit:,} characters.",
        )
        self.field, self.limit = field, limit

    def deconstruct(self):
        path, _, kwargs = super().deconstruct()
        return path, (), {"field": self.field, "limit": self.limit, "name": kwargs["name"]}


def max_length(model: type[models.Model], field: str) -> int | None:
    """The most characters `model.field` holds: its TextLimit, else its max_length (None: no
    limit). For input that reaches a model without a form, such as an imported file."""
    for constraint in model._meta.constraints:
        if isinstance(constraint, TextLimit) and constraint.field == field:
            return constraint.limit
    column = model._meta.get_field(field)
    return column.max_length if isinstance(column, models.Field) else None
