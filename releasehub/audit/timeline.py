"""The one helper every feature calls to put a state change on the audit timeline."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.audit.models import TimelineEvent

if TYPE_CHECKING:
    from releasehub.releases.models import Release


@dataclass(frozen=True)
class Via:
    """What carried a change in when no browser did: an API token or a webhook, by name, and
    the pipeline run or delivery it reported (a URL, may be empty)."""

    name: str
    url: str = ""


_via: ContextVar[Via | None] = ContextVar("timeline_via", default=None)


@contextmanager
def acting_via(name: str, url: str = "") -> Iterator[None]:
    """Every event recorded inside names `name` (and `url`): the API and the webhooks wrap the
    services they call in this, so the services stay the same for every caller."""
    token = _via.set(Via(name=name[:120], url=url[:500]))
    try:
        yield
    finally:
        _via.reset(token)


Listener = Callable[[TimelineEvent], None]
_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    """Call `listener` with every event recorded, inside the transaction that records it (the
    outgoing webhooks subscribe here from their AppConfig.ready; idempotent)."""
    if listener not in _listeners:
        _listeners.append(listener)


def record_event(
    *,
    verb: str,
    target: models.Model,
    summary: str,
    actor: User | None = None,
    release: "Release | None" = None,
    reason: str = "",
    before: Any = None,
    after: Any = None,
    occurred_at: datetime | None = None,
) -> TimelineEvent:
    """Append one event. `actor=None` means the system did it (a timed action, a sweep)."""
    via = _via.get()
    event = TimelineEvent.objects.create(
        occurred_at=occurred_at or timezone.now(),
        actor=actor,
        actor_roles=actor.role_labels() if actor else [],
        automatic=actor is None,
        verb=verb,
        summary=summary[:300],
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        release=release,
        reason=reason,
        before=before,
        after=after,
        via=via.name if via else "",
        via_url=via.url if via else "",
    )
    for listener in _listeners:
        listener(event)
    return event
