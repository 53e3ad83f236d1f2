"""Self-service password reset: Django's form and tokens, the e-mail through the outbox, and a
limit on requests per e-mail address typed and per client address.

Every answer is the same whether or not an account has the address: the form always goes on
to the same page, and the limit counts what was typed, not who exists.
"""

import datetime as dt
import math

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from releasehub.accounts.hooks import Event, announce
from releasehub.accounts.models import PasswordResetRequest

WINDOW = dt.timedelta(hours=1)


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, whose e-mail is queued in the outbox (notify) like every other one:
    delivered after the request commits, retried, and visible to SRE when it fails."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        announce(Event.MAIL, user=context["user"], to=to_email, subject=subject, body=body)


def reset_request_wait(*, email: str, ip_address: str | None) -> int:
    """Minutes until a request for `email` from `ip_address` may be made, or 0: then it is
    accepted and counted. A refused request is not counted, so the wait never grows."""
    now = timezone.now()
    since = now - WINDOW
    email = email.strip().lower()
    with transaction.atomic():
        PasswordResetRequest.objects.filter(at__lt=since).delete()
        recent = PasswordResetRequest.objects.filter(at__gte=since).order_by("at")
        waits = [
            _wait(list(recent.filter(**match).values_list("at", flat=True)), limit, now)
            for match, limit in (
                ({"email": email}, settings.PASSWORD_RESET_LIMIT_PER_EMAIL),
                ({"ip_address": ip_address}, settings.PASSWORD_RESET_LIMIT_PER_ADDRESS),
            )
        ]
        if any(waits):
            return max(waits)
        PasswordResetRequest.objects.create(at=now, email=email, ip_address=ip_address)
    return 0


def _wait(times: list[dt.datetime], limit: int, now: dt.datetime) -> int:
    if len(times) < limit:
        return 0
    # Another is accepted when all but limit - 1 of these have left the window.
    frees_at = times[len(times) - limit] + WINDOW
    return max(1, math.ceil((frees_at - now).total_seconds() / 60))
