from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "releasehub.notify"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Password reset e-mails go through the outbox (accounts/hooks.py: accounts sits below).
        from releasehub.accounts.hooks import Event, subscribe
        from releasehub.notify.account_mail import outbox_add_account_mail

        subscribe(Event.MAIL, outbox_add_account_mail)
