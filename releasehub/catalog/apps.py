from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "releasehub.catalog"
    verbose_name = "Catalog"
