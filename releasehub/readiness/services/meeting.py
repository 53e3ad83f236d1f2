"""The pre-release meeting record, kept by the RM; a revision supersedes the record."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from releasehub.accounts.models import User
from releasehub.audit.evidence import evidence_append
from releasehub.audit.timeline import record_event
from releasehub.readiness import rules
from releasehub.readiness.errors import Conflict, ReadinessError
from releasehub.readiness.evidence import current_of
from releasehub.readiness.models import MeetingAttendee, MeetingRecord
from releasehub.releases.models import Release


@transaction.atomic
def meeting_record(
    *, release: Release, actor: User, attendees: list[User], notes: str, decisions: str
) -> MeetingRecord:
    if not rules.decides(actor):
        raise PermissionDenied("Only the Release Manager keeps the meeting record.")
    if not attendees:
        raise ReadinessError("List who attended.")
    release = Release.objects.get(pk=release.pk)
    if not release.is_open:
        raise ReadinessError(f"{release.version} is {release.get_status_display()}.")
    current = current_of(MeetingRecord.objects.filter(release=release))
    row = evidence_append(
        MeetingRecord,
        conflict=Conflict(
            "The meeting record was saved by someone else at the same moment; reload to see it."
        ),
        at=timezone.now(),
        release=release,
        notes=notes.strip(),
        decisions=decisions.strip(),
        actor=actor,
        supersedes=current,
    )
    MeetingAttendee.objects.bulk_create(MeetingAttendee(meeting=row, user=u) for u in attendees)
    record_event(
        verb="readiness.meeting_recorded",
        target=row,
        release=release,
        actor=actor,
        summary=f"Pre-release meeting record ({len(attendees)} attendees)"
        + (", revised" if current else ""),
        after={"attendees": sorted(str(u) for u in attendees)},
    )
    return row
