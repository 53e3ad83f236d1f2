"""Calendar entries, and the ICS text a calendar app subscribes to (built with icalendar)."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import icalendar
from django.conf import settings
from django.urls import reverse

from releasehub.releases.clock import IST, ist
from releasehub.releases.models import Release

PRODID = "-//ReleaseHub//Calendar feeds//EN"
# How often calendar apps should fetch again (Google and Outlook take their own pace anyway).
REFRESH = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Entry:
    """One event: `key` names what it is within its release, so its UID stays the same when
    the release moves or the text changes, and the calendar updates it in place."""

    release: Release
    key: str
    summary: str
    start: dt.datetime
    end: dt.datetime | None = None
    note: str = ""

    @property
    def uid(self) -> str:
        return f"{self.release.code}-{self.key}@releasehub"

    @property
    def cancelled(self) -> bool:
        return self.release.status == Release.Status.CANCELLED

    @property
    def sequence(self) -> int:
        # Every move bumps schedule_version; a cancellation is one more revision of the event,
        # so subscribers replace the copy they hold (a cancelled release never moves again).
        return self.release.schedule_version + (1 if self.cancelled else 0)


def release_url(release: Release) -> str:
    # SITE_URL, never the request's Host: the feed is fetched by Google's or Microsoft's servers.
    return settings.SITE_URL + reverse("pages:release", kwargs={"code": release.code})


def _event(entry: Entry, stamp: dt.datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", stamp)
    # Stored in UTC; written in IST with its VTIMEZONE, so calendars show the runbook's hours.
    event.add("dtstart", entry.start.astimezone(IST))
    if entry.end is not None:
        event.add("dtend", entry.end.astimezone(IST))
    event.add("sequence", entry.sequence)
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    event.add("summary", ("Cancelled: " if entry.cancelled else "") + entry.summary)
    url = release_url(entry.release)
    lines = [entry.note, f"When: {ist(entry.start)}", f"Release page: {url}"]
    event.add("description", "\n".join(line for line in lines if line))
    event.add("url", url)
    # Milestones mark the team's calendar without making anyone look busy.
    event.add("transp", "TRANSPARENT")
    return event


def calendar_bytes(name: str, entries: Iterable[Entry], *, stamp: dt.datetime) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Asia/Kolkata")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    for entry in entries:
        calendar.add_component(_event(entry, stamp))
    calendar.add_missing_timezones()
    return calendar.to_ical()
