"""Celery tasks of the outgoing webhooks. They take ids and call services; running one twice is
harmless (the delivery's lease and status decide)."""

from celery import shared_task

from releasehub.notify.services import DeliveryFailed
from releasehub.webhooks import outgoing_delivery
from releasehub.webhooks.incoming_tasks import purge_deliveries  # noqa: F401  (autodiscovery)


@shared_task(name="webhooks.deliver", bind=True, max_retries=None)
def deliver(self, delivery_id: int) -> None:
    # The row, not the task, counts attempts and knows the deadline: retry when it says.
    try:
        outgoing_delivery.delivery_send(delivery_id)
    except DeliveryFailed as exc:
        raise self.retry(exc=exc, countdown=outgoing_delivery.retry_countdown(delivery_id)) from exc


@shared_task(name="webhooks.recover")
def recover() -> None:
    outgoing_delivery.requeue_stale()
