"""Releases: the list with filters, one by code or version, and its clock."""

import datetime as dt

from django.db.models import Q
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from releasehub.api.access import need
from releasehub.api.schemas import PROBLEMS, ReleaseRef
from releasehub.api.scopes import Scope
from releasehub.releases.clock import POST_RELEASE_WATCH, ist
from releasehub.releases.models import Release

router = Router(tags=["releases"])


class ReleaseFilters(Schema):
    status: Release.Status | None = None
    kind: Release.Kind | None = None
    open: bool | None = None


def release_by_ref(ref: str) -> Release:
    """A release by its code (UUID) or its version ("2026.12.02")."""
    query = Q(version=ref)
    try:
        from uuid import UUID

        query |= Q(code=UUID(ref))
    except ValueError:
        pass
    found = Release.objects.filter(query).select_related("release_manager").first()
    if found is None:
        raise Http404(f"No release {ref}.")
    return found


@router.get("/releases", response={200: list[ReleaseRef], **PROBLEMS}, summary="List releases")
@paginate(LimitOffsetPagination)
def release_list(request: HttpRequest, filters: Query[ReleaseFilters]):
    need(request, Scope.RELEASES_READ)
    releases = Release.objects.order_by("-window_start")
    if filters.status:
        releases = releases.filter(status=filters.status)
    if filters.kind:
        releases = releases.filter(kind=filters.kind)
    if filters.open is not None:
        opened = Q(status__in=Release.OPEN_STATUSES)
        releases = releases.filter(opened if filters.open else ~opened)
    return releases


@router.get("/releases/{ref}", response={200: ReleaseRef, **PROBLEMS}, summary="One release")
def release_detail(request: HttpRequest, ref: str):
    need(request, Scope.RELEASES_READ)
    return release_by_ref(ref)


class ClockMilestone(Schema):
    key: str
    label: str
    at: dt.datetime = Field(description="UTC")
    ist: str = Field(
        description='The same moment as the runbook says it, e.g. "Wed 02 Dec 2026, 10:00 IST"'
    )
    passed: bool
    expected: bool = Field(
        False, description="The watch's end before the release is completed: window end + 24 h"
    )


class ReleaseClockOut(Schema):
    release: ReleaseRef
    now: dt.datetime
    milestones: list[ClockMilestone]
    next: str | None = Field(description="The key of the next milestone still ahead")


def _milestone(key: str, label: str, at: dt.datetime, now: dt.datetime, expected=False) -> dict:
    at = at.astimezone(dt.UTC)
    return {
        "key": key,
        "label": label,
        "at": at,
        "ist": ist(at),
        "passed": at <= now,
        "expected": expected,
    }


@router.get(
    "/releases/{ref}/clock",
    response={200: ReleaseClockOut, **PROBLEMS},
    summary="The release's clock",
    description="Every milestone of the release in time order (freeze, T-48h, T-24h, Go/No-Go, "
    "window, end of the 24-hour watch), in UTC with the IST label. A hotfix has only its window "
    "and watch. Moving the release moves them all.",
)
def release_clock(request: HttpRequest, ref: str):
    need(request, Scope.RELEASES_READ)
    release = release_by_ref(ref)
    now = timezone.now()
    milestones = [_milestone(m.key, m.label, m.at, now) for m in release.clock.milestones()]
    watch_from = release.completed_at or release.window_end
    milestones.append(
        _milestone(
            "watch_end",
            "Post-release watch ends (completion + 24h)",
            watch_from + POST_RELEASE_WATCH,
            now,
            expected=release.completed_at is None,
        )
    )
    ahead = next((m["key"] for m in milestones if not m["passed"]), None)
    return {"release": release, "now": now, "milestones": milestones, "next": ahead}
