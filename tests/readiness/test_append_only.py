"""Readiness evidence refuses UPDATE and DELETE in the database itself; corrections are rows."""

import pytest
from django.db import DatabaseError, connection, transaction

from releasehub.audit.models import ManualIntervention
from releasehub.readiness.models import (
    ChecklistItem,
    ChecklistItemUpdate,
    GoNoGoDecision,
    MeetingRecord,
    RegressionResult,
    SignOff,
    SmokeResult,
    SquadInvolvement,
)
from releasehub.readiness.services.checklists import checklist_item_update
from releasehub.readiness.services.decision import go_no_go_decide
from releasehub.readiness.services.meeting import meeting_record
from releasehub.readiness.services.qa import regression_record, smoke_record
from releasehub.readiness.services.signoffs import squad_involvement_set
from releasehub.releases.models import Release
from tests.readiness.conftest import sign

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


@pytest.fixture
def evidence(release, cast):
    """One row in every append-only readiness table."""
    sign(release, cast["kiran"], "no_go", comment="not yet")
    admin = cast["sana"].squads[0]
    squad_involvement_set(
        release=release, actor=cast["asha"], squad=admin, involved=False, reason="x"
    )
    item = ChecklistItem.objects.get(release=release, text__startswith="Release notes")
    checklist_item_update(item=item, actor=cast["asha"], state="done")
    regression_record(
        release=release, actor=cast["neha"], suite="unit", passed=1, failed=0, skipped=0
    )
    meeting_record(
        release=release, actor=cast["asha"], attendees=[cast["asha"]], notes="n", decisions="d"
    )
    go_no_go_decide(
        release=release, actor=cast["asha"], decision="go", override_reason="accepted risk"
    )
    Release.objects.filter(pk=release.pk).update(status=Release.Status.VERIFYING)
    smoke = ChecklistItem.objects.get(release=release, text="Login")
    smoke_record(item=smoke, actor=cast["neha"], outcome="passed")


MODELS = [
    (SignOff, "comment"),
    (SquadInvolvement, "reason"),
    (ChecklistItemUpdate, "evidence"),
    (RegressionResult, "link"),
    (MeetingRecord, "notes"),
    (GoNoGoDecision, "reason"),
    (SmokeResult, "notes"),
    (ManualIntervention, "reason"),
]


def _raw(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize(("model", "column"), MODELS, ids=[m.__name__ for m, _ in MODELS])
def test_raw_update_is_refused(evidence, model, column):
    row = model.objects.first()
    table = model._meta.db_table
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f"UPDATE {table} SET {column} = %s WHERE id = %s", ["forged", row.pk])
    row_after = model.objects.get(pk=row.pk)
    assert getattr(row_after, column) != "forged"


@pytest.mark.parametrize(("model", "column"), MODELS, ids=[m.__name__ for m, _ in MODELS])
def test_raw_delete_is_refused(evidence, model, column):
    row = model.objects.first()
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(f"DELETE FROM {model._meta.db_table} WHERE id = %s", [row.pk])
    assert model.objects.filter(pk=row.pk).exists()


def test_signer_cannot_be_rewritten_through_the_orm(evidence, cast):
    with pytest.raises(DatabaseError), transaction.atomic():
        SignOff.objects.update(actor=cast["priya"])
    assert SignOff.objects.get().actor == cast["kiran"]


def test_meeting_attendees_are_append_only_too(evidence):
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM readiness_meetingattendee", [])
