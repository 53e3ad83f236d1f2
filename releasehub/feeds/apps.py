from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "releasehub.feeds"
    verbose_name = "Calendar feeds"
