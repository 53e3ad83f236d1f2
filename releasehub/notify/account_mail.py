"""E-mail about a person's own account (a password reset link), queued in the outbox like
every other message. It has no release, action or sent message as its cause; `accounts`
announces it (accounts/hooks.py) and apps.py subscribes this."""

from django.db import transaction
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.notify.models import Channel, Outbox
from releasehub.notify.services import enqueue_deliveries


def outbox_add_account_mail(*, user: User, to: str, subject: str, body: str) -> Outbox:
    """Queue one e-mail to `to`; delivery starts when the caller commits."""
    row = Outbox.objects.create(
        channel=Channel.EMAIL,
        recipient=to,
        user=user,
        subject=subject[:200],
        body=body,
        next_attempt_at=timezone.now(),
    )
    transaction.on_commit(lambda: enqueue_deliveries([row.pk]))
    return row
