from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "releasehub.webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # Outgoing webhooks hear every timeline event, in the transaction that records it.
        from releasehub.audit.timeline import listen
        from releasehub.webhooks.outgoing_events import on_event

        listen(on_event)
