"""The periodic purge of raw incoming deliveries (beat: CELERY_BEAT_SCHEDULE "webhooks-purge").
Registered through tasks.py, which Celery's autodiscovery imports."""

from celery import shared_task

from releasehub.webhooks.incoming import deliveries_purge


@shared_task(name="webhooks.purge_deliveries")
def purge_deliveries() -> int:
    return deliveries_purge()
