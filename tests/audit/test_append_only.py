"""The timeline is evidence: the database itself refuses to change or remove it."""

import pytest
from django.db import DatabaseError, connection, transaction

from releasehub.audit.models import TimelineEvent
from releasehub.audit.timeline import record_event
from tests.factories import ReleaseFactory, rm

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


@pytest.fixture
def event():
    release = ReleaseFactory()
    return record_event(verb="release.created", target=release, release=release, summary="planned")


def _raw(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_raw_update_is_refused(event):
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("UPDATE audit_timelineevent SET summary = %s WHERE id = %s", ["forged", event.pk])
    event.refresh_from_db()
    assert event.summary == "planned"


def test_raw_delete_is_refused(event):
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM audit_timelineevent WHERE id = %s", [event.pk])
    assert TimelineEvent.objects.filter(pk=event.pk).exists()


def test_orm_queryset_update_and_delete_are_refused(event):
    with pytest.raises(DatabaseError), transaction.atomic():
        TimelineEvent.objects.filter(pk=event.pk).update(reason="later")
    with pytest.raises(DatabaseError), transaction.atomic():
        TimelineEvent.objects.filter(pk=event.pk).delete()


def test_saving_an_existing_event_is_refused_in_python_too(event):
    event.summary = "edited"
    with pytest.raises(ValueError, match="append-only"):
        event.save()


def test_record_event_keeps_who_and_their_roles_at_the_time():
    manager = rm(first_name="Asha", last_name="Rao")
    release = ReleaseFactory()
    event = record_event(
        verb="release.moved",
        target=release,
        release=release,
        actor=manager,
        summary="moved",
        reason="Payments not ready",
        before={"a": 1},
        after={"a": 2},
    )
    event.refresh_from_db()
    assert event.actor == manager
    assert event.actor_roles == ["Release Manager"]
    assert event.automatic is False
    assert (event.target_type, event.target_id) == ("releases.release", str(release.pk))
    assert (event.before, event.after, event.reason) == ({"a": 1}, {"a": 2}, "Payments not ready")


def test_an_event_without_actor_is_automatic():
    release = ReleaseFactory()
    event = record_event(verb="freeze", target=release, release=release, summary="frozen")
    assert event.automatic is True
    assert event.actor_roles == []
