from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "releasehub.audit"
    verbose_name = "Audit timeline"

    def ready(self) -> None:
        # Sign-in locks go on the timeline (see accounts/hooks.py for why accounts does not
        # call this itself).
        from releasehub.accounts.hooks import Event, subscribe
        from releasehub.audit.signin import record_lockout, record_unlock

        subscribe(Event.LOCKED_OUT, record_lockout)
        subscribe(Event.UNLOCKED, record_unlock)
