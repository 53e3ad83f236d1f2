from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "releasehub.webhooks"
    verbose_name = "Webhooks"
