from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "releasehub.demo"
    verbose_name = "Demo data"
