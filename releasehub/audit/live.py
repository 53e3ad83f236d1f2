"""Live sections that cost nearly nothing when nothing changed (#15).

A polled element carries the version it was rendered at (`data-live-since`; static/js/app.js
sends it in the ReleaseHub-Since header with the element's own polls only). A poll view wrapped
in `polled(marker)` reads its marker first, in one indexed query; when the marker is the one
the element was rendered at and the rendering is younger than LIVE_POLL_MAX_STALE seconds, it
answers 204 with no body, which htmx leaves as it is. Otherwise the view runs and renders
with the new version.

A release's marker is the id of its latest timeline event: every state change a live section
shows writes one (`audit.timeline.record_event`), timed actions' effects included. What only
the clock changes (overdue, "closes in", a gate that opens at a time) is caught by the age
limit, as is anything that changes without an event (a role given to the viewer, say).
"""

import functools
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Subquery
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from releasehub.audit.models import TimelineEvent

Marker = Callable[..., str]
# static/js/app.js sends the element's version in it, on the element's own polls only: as a
# header, not a parameter, so it never lands in a URL that a link or the next poll reuses.
SINCE_HEADER = "ReleaseHub-Since"


def stamp(marker: str) -> str:
    """The version an element carries: the marker, when it was read (Unix seconds) and how long
    it may be kept, drawn between half and all of LIVE_POLL_MAX_STALE. Elements rendered
    together (a crowd opening the board at nine) then come due for their re-render spread over
    half the period, not in one burst every period."""
    now = int(timezone.now().timestamp())
    most = settings.LIVE_POLL_MAX_STALE
    keep = secrets.choice(range(max(1, most // 2), most + 1))
    return f"{marker}@{now}+{keep}"


def unchanged(request: HttpRequest, marker: str) -> bool:
    """The element asking was rendered at this marker, recently enough."""
    since, _, kept = request.headers.get(SINCE_HEADER, "").rpartition("@")
    at, _, keep = kept.partition("+")
    if not since or since != marker or not at.isdigit() or not keep.isdigit():
        return False
    # The element says how long it may be kept; never longer than the setting allows.
    age = timezone.now().timestamp() - int(at)
    return age < min(int(keep), settings.LIVE_POLL_MAX_STALE)


def polled(marker: Marker) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Wrap a poll view: 204 when nothing changed, else the view with `live_since`, the
    version to render into the element. `marker(request, **url_kwargs)` is one query; it may
    refuse (PermissionDenied) as the view would."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            # Read before the view's own queries: a change made while it renders is in the
            # next marker, so the next poll renders it (never the other way round).
            mark = marker(request, *args, **kwargs)
            if not getattr(request, "htmx", False):
                # The whole page carries its version too, so the first poll after opening it
                # is a 204 like the others, not a second rendering (one query more per page).
                return view(request, *args, live_since=stamp(mark), **kwargs)
            if unchanged(request, mark):
                return HttpResponse(status=204)
            return view(request, *args, live_since=stamp(mark), **kwargs)

        return wrapper

    return decorate


NO_EVENT = "e0"


def _version(events: Any) -> str:
    """The latest of `events` as a version: its id, and its random code, so that no other
    database state (another test's rolled-back rows, a restored copy) has the same one."""
    latest = events.order_by("-id").values_list("id", "code").first()
    return f"e{latest[0]}-{latest[1].hex}" if latest else NO_EVENT


def release_marker(request: HttpRequest, code: Any, **_: Any) -> str:
    """The release's latest timeline event (index `timeline_version`). Written like
    `latest_marker`: a panel inside the dashboard starts with the dashboard's version, which
    is also right for the panel when the latest event of all is its release's."""
    releases = TimelineEvent._meta.get_field("release").related_model._default_manager
    return _version(
        TimelineEvent.objects.filter(
            release=Subquery(releases.filter(code=code).order_by().values("pk")[:1])
        )
    )


def release_version(release: Any) -> str:
    """`release_marker` for a release already read (one query on `timeline_version`)."""
    return _version(TimelineEvent.objects.filter(release=release))


def latest_marker(request: HttpRequest, *args: Any, **kwargs: Any) -> str:
    """The latest timeline event of all (the primary key's index)."""
    return _version(TimelineEvent.objects.all())


def version_of(live_since: str) -> str:
    """The marker inside a stamp (`stamp`): what a view wrapped in `polled` was read at."""
    return live_since.partition("@")[0]


def shared[T](name: str, version: str, build: Callable[[], T]) -> T:
    """What `build` derives from the rows at `version` (a marker: `release_version`,
    `latest_marker`), shared by everyone who reads them at that version through the cache
    every web process shares: after a change the first reader builds it, and the crowd
    watching the release reads the copy. Like a poll's 204, a copy is kept at most
    LIVE_SHARED_SECONDS (no more than LIVE_POLL_MAX_STALE), for what changes without a timeline
    event. Only for what a page shows: a service deciding on the state reads the rows
    themselves."""
    if version == NO_EVENT or not settings.LIVE_SHARED_SECONDS:
        return build()
    key = f"live:{name}:{version}"
    found = cache.get(key)
    if found is None:
        found = build()
        cache.set(key, found, timeout=settings.LIVE_SHARED_SECONDS)
    return found
