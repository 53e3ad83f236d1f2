from django.apps import AppConfig


class ReadinessConfig(AppConfig):
    name = "releasehub.readiness"
    verbose_name = "Readiness (checklists, Go/No-Go, QA)"
