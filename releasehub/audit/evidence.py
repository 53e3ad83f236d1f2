"""Appending one row of evidence, which is never updated.

Evidence tables are append-only, and what keeps two people (or one double click) to one row is a
unique constraint: a second decision on a request, a second first row of a slot, a row
superseding one that another row already superseded. The loser gets the app's message and
nothing is written; the caller's transaction goes on, since the insert ran in a savepoint.
"""

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model

from releasehub.core.errors import ServiceError


def evidence_append[M: Model](model: type[M], *, conflict: ServiceError, **fields: Any) -> M:
    """Insert one row of `model`; raise `conflict` when a unique constraint says someone was
    first."""
    try:
        with transaction.atomic():
            return model._default_manager.create(**fields)
    except IntegrityError:
        raise conflict from None
