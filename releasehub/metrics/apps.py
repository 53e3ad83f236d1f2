from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "releasehub.metrics"
    verbose_name = "Delivery metrics"
