from django.apps import AppConfig


class ScheduleConfig(AppConfig):
    name = "releasehub.schedule"
    verbose_name = "Timed actions"
