from django.apps import AppConfig


class ReadinessConfig(AppConfig):
    name = "releasehub.readiness"
    verbose_name = "Readiness (checklists, Go/No-Go, QA)"

    def ready(self) -> None:
        # A new release gets its checklists in the transaction that creates it (see
        # releases/hooks.py for why releases does not call this itself).
        from releasehub.readiness.services.checklists import checklists_create_for
        from releasehub.releases.hooks import Change, subscribe

        subscribe(Change.CREATED, checklists_create_for)
