from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "releasehub.api"
    verbose_name = "API"
