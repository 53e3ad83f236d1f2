"""Appending evidence, which is never updated: a new row supersedes the current one.

Two people (or one double click) superseding the same row at once collide on the one-to-one
`supersedes`, or on the partial unique index of a slot's first row; the loser gets a message
and nothing is written.
"""

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from releasehub.readiness.errors import Conflict, ReadinessError


def append_row[M: Model](model: type[M], conflict: str, **fields) -> M:
    """Insert one evidence row in a savepoint; a unique violation means someone beat us."""
    try:
        with transaction.atomic():
            return model._default_manager.create(at=timezone.now(), **fields)
    except IntegrityError:
        raise Conflict(conflict) from None


def clean_text(value: str, what: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ReadinessError(f"{what} is required.")
    return value
