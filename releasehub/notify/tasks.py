"""Celery tasks of the outbox. They take ids and call services; running one twice is harmless."""

from celery import shared_task

from releasehub.notify import services


@shared_task(
    name="notify.deliver",
    autoretry_for=(services.DeliveryFailed,),
    retry_backoff=services.BACKOFF_BASE_SECONDS,
    retry_backoff_max=services.BACKOFF_MAX_SECONDS,
    retry_jitter=False,
    max_retries=services.MAX_ATTEMPTS - 1,
)
def deliver(outbox_id: int) -> None:
    services.outbox_deliver(outbox_id)


@shared_task(name="notify.recover")
def recover() -> None:
    services.requeue_stale()
