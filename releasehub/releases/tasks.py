"""Periodic upkeep of the release trains (beat: CELERY_BEAT_SCHEDULE in settings)."""

from celery import shared_task

from releasehub.releases.models import Train
from releasehub.releases.services.lifecycle import train_fill


@shared_task(name="releases.train_fill")
def fill_trains() -> int:
    """Keep every active train four releases ahead; safe to run at any time, twice included."""
    return sum(len(train_fill(train=train)) for train in Train.objects.filter(active=True))
