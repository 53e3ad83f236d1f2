"""A release's whole timeline for auditors, as JSON or CSV, produced one event at a time.

One query reads the events, joined to their actors, in chunks (a server-side cursor on
PostgreSQL), so neither the query count nor the memory grows with the length of the timeline.
"""

import json
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from releasehub.audit.models import TimelineEvent
from releasehub.core.csv import stream_csv

COLUMNS = [
    "occurred_at",
    "verb",
    "summary",
    "reason",
    "actor",
    "actor_name",
    "actor_roles",
    "automatic",
    "target_type",
    "target_id",
    "before",
    "after",
    "code",
]
CHUNK = 500


def _events(events: QuerySet[TimelineEvent]) -> Iterator[dict[str, Any]]:
    ordered = events.select_related("actor").order_by("occurred_at", "id")
    for event in ordered.iterator(chunk_size=CHUNK):
        actor = event.actor
        yield {
            "code": str(event.code),
            "occurred_at": timezone.localtime(event.occurred_at).isoformat(),
            "verb": event.verb,
            "summary": event.summary,
            "reason": event.reason,
            "actor": actor.username if actor else None,
            "actor_name": actor.get_full_name() if actor else None,
            "actor_roles": event.actor_roles,
            "automatic": event.automatic,
            "target_type": event.target_type,
            "target_id": event.target_id,
            "before": event.before,
            "after": event.after,
        }


def timeline_json(heading: dict[str, Any], events: QuerySet[TimelineEvent]) -> Iterator[str]:
    """`{"release": heading, "events": [...]}`, oldest event first."""
    yield '{"release": ' + json.dumps(heading) + ', "events": ['
    for n, event in enumerate(_events(events)):
        yield ("," if n else "") + "\n" + json.dumps(event)
    yield "\n]}\n"


def _json_text(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _row(event: dict[str, Any]) -> list[Any]:
    cells = {
        **event,
        "actor_roles": "; ".join(event["actor_roles"]),
        "automatic": "yes" if event["automatic"] else "no",
        "before": _json_text(event["before"]),
        "after": _json_text(event["after"]),
    }
    return [cells[name] for name in COLUMNS]


def timeline_csv(events: QuerySet[TimelineEvent]) -> Iterator[str]:
    """One row per event, oldest first; every cell through the app's safe CSV writer."""
    return stream_csv(COLUMNS, (_row(event) for event in _events(events)))
