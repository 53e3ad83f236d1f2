from django.apps import AppConfig


class FlagsConfig(AppConfig):
    name = "releasehub.flags"
    verbose_name = "Feature flags"
