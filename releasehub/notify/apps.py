from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "releasehub.notify"
    verbose_name = "Notifications"
