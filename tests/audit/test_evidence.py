"""The evidence helpers every app appends through: one row in a savepoint, the app's own error
when someone was first; and the manual-intervention ledger, which moved here from readiness with
its table (tests/readiness and tests/rollout check who writes it)."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from releasehub.audit.evidence import evidence_append
from releasehub.audit.interventions import intervention_record
from releasehub.audit.models import InterventionKind, ManualIntervention, TimelineEvent
from releasehub.core.errors import ServiceError
from tests.factories import ReleaseFactory, rm

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


class FirstOneStands(ServiceError):
    pass


def _event(release, **fields) -> dict:
    return {
        "occurred_at": timezone.now(),
        "verb": "release.created",
        "summary": "planned",
        "target_type": "releases.release",
        "target_id": str(release.pk),
        "release": release,
        **fields,
    }


def test_a_unique_violation_raises_the_callers_error_and_the_transaction_goes_on():
    release = ReleaseFactory()
    first = evidence_append(TimelineEvent, conflict=FirstOneStands("x"), **_event(release))
    with transaction.atomic():
        with pytest.raises(FirstOneStands, match="someone was first"):
            evidence_append(
                TimelineEvent,
                conflict=FirstOneStands("someone was first"),
                **_event(release, code=first.code, summary="second"),
            )
        # The failed insert ran in a savepoint: the surrounding transaction can still write.
        evidence_append(TimelineEvent, conflict=FirstOneStands("x"), **_event(release))
    assert list(TimelineEvent.objects.values_list("summary", flat=True)) == ["planned", "planned"]


def test_intervention_record_appends_one_ledger_row_to_the_release():
    release, manager = ReleaseFactory(), rm()
    row = intervention_record(
        release=release,
        kind=InterventionKind.SKIP,
        actor=manager,
        reason="Skipped analytics: no change",
        at=timezone.now(),
    )
    assert list(release.manual_interventions.all()) == [row]
    assert str(row) == f"Skipped step by {manager}"


def test_the_ledger_keeps_its_old_table_and_its_append_only_triggers():
    row = intervention_record(
        release=ReleaseFactory(),
        kind=InterventionKind.FORCE,
        actor=rm(),
        reason="r",
        at=timezone.now(),
    )
    assert ManualIntervention._meta.db_table == "readiness_manualintervention"
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE readiness_manualintervention SET reason = %s WHERE id = %s", ["forged", row.pk]
        )
    row.refresh_from_db()
    assert row.reason == "r"
