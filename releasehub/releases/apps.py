from django.apps import AppConfig


class ReleasesConfig(AppConfig):
    name = "releasehub.releases"
    verbose_name = "Releases"
