"""Sign-in locks and unlocks on the audit timeline (announced by accounts/hooks.py; `accounts`
cannot import `audit`, which imports it). They concern no release."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import models
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.audit.timeline import record_event

IST = ZoneInfo("Asia/Kolkata")


def record_lockout(
    *,
    username: str,
    ip_address: str | None,
    whole_address: bool,
    failures: int,
    until: dt.datetime,
    target: models.Model,
) -> None:
    who = f"every account at {ip_address}" if whole_address else f"{username!r} at {ip_address}"
    why = "too many failed sign-ins there" if whole_address else f"{failures} failed sign-ins"
    lifts = timezone.localtime(until, IST).strftime("%H:%M IST")
    record_event(
        verb="accounts.locked_out",
        target=target,
        summary=f"Sign-in locked for {who} after {why}; lifts at {lifts} or when staff unlock it",
    )


def record_unlock(
    *, username: str | None, ip_address: str | None, actor: User, target: models.Model
) -> None:
    record_event(
        verb="accounts.unlocked",
        target=target,
        actor=actor,
        summary=f"Sign-in unlocked for {username!r} at {ip_address}",
    )
