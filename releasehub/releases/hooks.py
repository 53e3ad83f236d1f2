"""What the apps above `releases` do when a release changes, inside the transaction that
changes it.

`releases` sits below `schedule` and `readiness` (docs/architecture.md: layers), so its
services cannot call them. Those apps subscribe here when Django starts (their
`AppConfig.ready`), and the release services announce each change where they make it. The
changes are a closed list, and a subscriber runs synchronously in the caller's transaction:
if it fails, the change is rolled back with it.
"""

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from releasehub.releases.models import Release


class Change(StrEnum):
    CREATED = "created"  # a release was planned (its checklists are copied)
    CLOCK = "clock"  # created, moved, or its status changed: its timed actions follow
    HOTFIX_DEPLOYED = "hotfix_deployed"  # details: deployed_at (the back-merge is due)
    BACK_MERGED = "back_merged"  # the hotfix's back-merge into main was confirmed


Subscriber = Callable[..., Any]
_subscribers: dict[Change, list[Subscriber]] = {change: [] for change in Change}


def subscribe(change: Change, subscriber: Subscriber) -> None:
    """Idempotent: `ready()` may run more than once (tests, management commands)."""
    if subscriber not in _subscribers[change]:
        _subscribers[change].append(subscriber)


def subscribers(change: Change) -> list[Subscriber]:
    return list(_subscribers[change])


def announce(change: Change, release: "Release", **details: Any) -> None:
    for subscriber in _subscribers[change]:
        subscriber(release, **details)
