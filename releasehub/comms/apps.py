from django.apps import AppConfig


class CommsConfig(AppConfig):
    name = "releasehub.comms"
    verbose_name = "Communications"
