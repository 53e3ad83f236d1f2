"""Celery tasks of the outbox. They take ids and call services; running one twice is harmless."""

from celery import shared_task

from releasehub.notify import services


@shared_task(name="notify.deliver", bind=True, max_retries=None)
def deliver(self, outbox_id: int) -> None:
    # The row, not the task, counts attempts and knows the deadline: retry when it says.
    try:
        services.outbox_deliver(outbox_id)
    except services.DeliveryFailed as exc:
        raise self.retry(exc=exc, countdown=services.retry_countdown(outbox_id)) from exc


@shared_task(name="notify.recover")
def recover() -> None:
    services.requeue_stale()
