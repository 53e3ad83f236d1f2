"""What apps outside `accounts` do when something happens to an account.

`accounts` is at the bottom layer and `audit` and `notify` import it, so it can call neither
(docs/architecture.md: layers). They subscribe here from their `AppConfig.ready()`, and
accounts announces each event where it happens; a subscriber runs synchronously in the
caller's transaction. The events are a closed list.
"""

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from django.core.exceptions import ImproperlyConfigured


class Event(StrEnum):
    # details: user, subject, body. An e-mail to one person (a password reset link); notify
    # queues it in the outbox.
    MAIL = "mail"
    # details: username, ip_address, whole_address (bool), until, target (the User, or the
    # attempt row when no account has that name). A sign-in lock began; audit records it.
    LOCKED_OUT = "locked_out"
    # details: username, ip_address, actor. Staff lifted a lock; audit records it.
    UNLOCKED = "unlocked"


# An e-mail nobody sends would look sent to the person waiting for it.
REQUIRED = {Event.MAIL}

Subscriber = Callable[..., Any]
_subscribers: dict[Event, list[Subscriber]] = {event: [] for event in Event}


def subscribe(event: Event, subscriber: Subscriber) -> None:
    """Idempotent: `ready()` may run more than once (tests, management commands)."""
    if subscriber not in _subscribers[event]:
        _subscribers[event].append(subscriber)


def announce(event: Event, **details: Any) -> None:
    if event in REQUIRED and not _subscribers[event]:
        raise ImproperlyConfigured(f"No installed app handles the accounts event {event!r}.")
    for subscriber in _subscribers[event]:
        subscriber(**details)
