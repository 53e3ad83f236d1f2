from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "releasehub.pages"
    verbose_name = "Pages"
