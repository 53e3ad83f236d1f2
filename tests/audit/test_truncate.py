"""Evidence cannot be emptied in one statement either: TRUNCATE is refused on every append-only
table (a statement-level trigger on PostgreSQL; SQLite has no TRUNCATE, and its DELETE without
WHERE is refused by the row trigger)."""

from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.db.migrations.state import ProjectState

from releasehub.audit.operations import RefuseTruncate, trigger_name
from releasehub.audit.timeline import record_event
from tests.factories import ReleaseFactory

pytestmark = pytest.mark.django_db

# Every table a migration made append-only (MakeAppendOnly, rollout's 0003 reinstall), by the
# name it has in the database today.
EVIDENCE_TABLES = [
    "audit_timelineevent",
    "readiness_manualintervention",
    "comms_message",
    "catalog_flagtoggle",
    "notify_deliveryattempt",
    "readiness_checklistitemupdate",
    "readiness_signoff",
    "readiness_squadinvolvement",
    "readiness_gonogodecision",
    "readiness_smokeresult",
    "readiness_regressionresult",
    "readiness_meetingrecord",
    "readiness_meetingattendee",
    "releases_freezeexception",
    "releases_freezeexceptiondecision",
    "releases_hotfixapproval",
    "releases_hotfixfollowup",
    "rollout_rolloutstep",
    "rollout_deployment",
    "rollout_logentry",
    "rollout_anomaly",
    "rollout_incident",
    "rollout_incidentresolution",
    "rollout_retrospective",
    "rollout_hotfixfix",
    "rollout_rollback",
    "rollout_rollbackitem",
    "rollout_rollbackresult",
]


def _execute(sql: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)


def _triggers(suffix: str) -> set[str]:
    """Tables carrying an append-only trigger for one operation (PostgreSQL's catalog)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgname LIKE %s",
            [f"append\\_only\\_%\\_{suffix}"],
        )
        return {name for (name,) in cursor.fetchall()}


@pytest.mark.clock
@pytest.mark.parametrize("table", EVIDENCE_TABLES)
def test_truncate_is_refused_on_every_evidence_table(postgres, table):
    ReleaseFactory()  # something in the database, so the refusal is not about an empty table
    # CASCADE: without it a table that others reference is refused for that reason alone.
    with pytest.raises(DatabaseError, match=f"append-only table {table}: TRUNCATE refused"):
        _execute(f"TRUNCATE {table} CASCADE")


def test_every_append_only_table_refuses_truncate_too(postgres):
    """A table made append-only later (MakeAppendOnly) gets the TRUNCATE trigger as well."""
    append_only = _triggers("update")
    assert set(EVIDENCE_TABLES) <= append_only
    assert _triggers("truncate") == append_only


@pytest.mark.clock
def test_truncating_a_parent_with_cascade_is_refused_at_the_evidence(postgres):
    release = ReleaseFactory()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks on the new row
    with pytest.raises(DatabaseError, match="TRUNCATE refused"):
        _execute("TRUNCATE releases_release CASCADE")
    assert type(release).objects.filter(pk=release.pk).exists()


def test_the_superusers_replica_mode_is_the_one_way_past_it(postgres):
    """What a restore with --disable-triggers and the test suite's flush use; only a superuser
    may set it (the app's role may not: tests/test_database_roles.py)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("TRUNCATE audit_timelineevent")
        transaction.set_rollback(True)


def _apply(backwards: bool) -> None:
    operation = RefuseTruncate("TimelineEvent")
    state = ProjectState.from_apps(apps)
    with connection.schema_editor(atomic=False) as editor:
        if backwards:
            operation.database_backwards("audit", editor, state, state)
        else:
            operation.database_forwards("audit", editor, state, state)


def test_the_operation_is_reversible(postgres):
    with transaction.atomic():
        _apply(backwards=True)
        assert "audit_timelineevent" not in _triggers("truncate")
        _execute("TRUNCATE audit_timelineevent")
        _apply(backwards=False)
        assert "audit_timelineevent" in _triggers("truncate")
        with pytest.raises(DatabaseError, match="TRUNCATE refused"):
            _execute("TRUNCATE audit_timelineevent")
        transaction.set_rollback(True)


def test_the_operation_is_idempotent_where_the_table_was_made_append_only_with_it(postgres):
    with transaction.atomic():
        _apply(backwards=False)
        assert "audit_timelineevent" in _triggers("truncate")
        transaction.set_rollback(True)


@pytest.mark.clock
def test_sqlite_has_no_truncate_and_refuses_delete_without_where():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    editor = SimpleNamespace(connection=connection, executed=[])
    editor.execute = lambda sql, params=None: editor.executed.append(sql)
    state = ProjectState.from_apps(apps)
    RefuseTruncate("TimelineEvent").database_forwards("audit", editor, state, state)
    assert editor.executed == []
    release = ReleaseFactory()
    record_event(verb="release.created", target=release, release=release, summary="planned")
    with pytest.raises(DatabaseError, match="append-only"):
        _execute("DELETE FROM audit_timelineevent")


def test_trigger_names_fit_postgresqls_identifier_limit():
    assert max(len(trigger_name(t, "TRUNCATE")) for t in EVIDENCE_TABLES) <= 63
