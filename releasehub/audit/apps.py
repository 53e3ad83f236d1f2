from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "releasehub.audit"
    verbose_name = "Audit timeline"
