"""The periodic purge of Idempotency-Key answers older than a day (beat: CELERY_BEAT_SCHEDULE
"api-idempotency-purge"). A key is replayed for 24 hours only (api/middleware.py KEPT), so an
older record is dead weight: the middleware deletes one only when the same key comes back."""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from releasehub.api.middleware import KEPT
from releasehub.api.models import IdempotencyRecord


def idempotency_purge(*, now: dt.datetime | None = None) -> int:
    """Delete the records past their day (the `idempotency_by_age` index); returns how many."""
    cutoff = (now or timezone.now()) - KEPT
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@shared_task(name="api.purge_idempotency")
def purge_idempotency() -> int:
    return idempotency_purge()
