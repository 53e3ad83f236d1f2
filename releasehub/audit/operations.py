"""Migration operations that make a table append-only in the database itself.

Evidence (timeline, sign-offs, approvals, smoke results) must survive a buggy view, a shell
session or a raw SQL statement, so UPDATE, DELETE and (on PostgreSQL) TRUNCATE are refused by
triggers, not by Python. They fire for every role, the owner and superusers included; the one
way past them is a superuser's `session_replication_role = replica` (a restore with
--disable-triggers, the test suite's flush), or the owner dropping them, which is why the app
connects as a role that owns nothing (docs/security.md, "Database roles").
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.migrations.operations import AddField
from django.db.migrations.operations.base import Operation

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION releasehub_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'append-only table %: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def trigger_name(table: str, op: str) -> str:
    return f"append_only_{table}_{op.lower()}"


def create_sql(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [_PG_FUNCTION] + [
            f"CREATE TRIGGER {trigger_name(table, op)} BEFORE {op} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION releasehub_refuse_change();"
            for op in ("UPDATE", "DELETE")
        ]
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER {trigger_name(table, op)} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'append-only table {table}: {op} refused'); END;"
            for op in ("UPDATE", "DELETE")
        ]
    raise NotImplementedError(f"append-only triggers are not written for {vendor}")


def drop_sql(vendor: str, table: str) -> list[str]:
    on = f" ON {table}" if vendor == "postgresql" else ""
    return [f"DROP TRIGGER IF EXISTS {trigger_name(table, op)}{on};" for op in ("UPDATE", "DELETE")]


# Kept apart from create_sql, which rollout's 0003 calls to put the row triggers back after
# SQLite copies a table: that migration keeps doing exactly what it did when it was written.
def truncate_create_sql(vendor: str, table: str) -> list[str]:
    """TRUNCATE fires no row trigger: a statement-level one refuses it. SQLite has no TRUNCATE
    (its DELETE without WHERE fires the row trigger), so nothing there."""
    if vendor != "postgresql":
        return []
    # OR REPLACE: on a database migrated from scratch, RefuseTruncate finds it made already.
    return [
        _PG_FUNCTION,
        f"CREATE OR REPLACE TRIGGER {trigger_name(table, 'TRUNCATE')} BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION releasehub_refuse_change();",
    ]


def truncate_drop_sql(vendor: str, table: str) -> list[str]:
    if vendor != "postgresql":
        return []
    return [f"DROP TRIGGER IF EXISTS {trigger_name(table, 'TRUNCATE')} ON {table};"]


class MakeAppendOnly(Operation):
    """Refuse UPDATE, DELETE and TRUNCATE on a model's table."""

    reduces_to_sql = True
    reversible = True

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def state_forwards(self, app_label, state) -> None:
        pass

    def _table(self, app_label, state) -> str:
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def forwards_sql(self, vendor: str, table: str) -> list[str]:
        return create_sql(vendor, table) + truncate_create_sql(vendor, table)

    def backwards_sql(self, vendor: str, table: str) -> list[str]:
        return drop_sql(vendor, table) + truncate_drop_sql(vendor, table)

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        table = self._table(app_label, to_state)
        for sql in self.forwards_sql(schema_editor.connection.vendor, table):
            schema_editor.execute(sql, params=None)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        table = self._table(app_label, from_state)
        for sql in self.backwards_sql(schema_editor.connection.vendor, table):
            schema_editor.execute(sql, params=None)

    def describe(self) -> str:
        return f"Refuse UPDATE, DELETE and TRUNCATE on {self.model_name}"

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.model_name], {})


class RefuseTruncate(MakeAppendOnly):
    """Add the TRUNCATE trigger to a table made append-only before MakeAppendOnly had it.

    A database migrated from scratch got it from MakeAppendOnly already, so this replaces it
    with itself; unapplying drops it either way. Nothing on SQLite."""

    def forwards_sql(self, vendor: str, table: str) -> list[str]:
        return truncate_create_sql(vendor, table)

    def backwards_sql(self, vendor: str, table: str) -> list[str]:
        return truncate_drop_sql(vendor, table)

    def describe(self) -> str:
        return f"Refuse TRUNCATE on {self.model_name}"


@contextmanager
def sqlite_triggers_kept(schema_editor, table: str) -> Iterator[None]:
    """SQLite alters a table by copying it, which drops its triggers: they are put back."""
    if schema_editor.connection.vendor != "sqlite":
        yield
        return
    query = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(query, [table])
        triggers = cursor.fetchall()
    yield
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(query, [table])
        left = {name for name, _ in cursor.fetchall()}
    for name, sql in triggers:
        # sqlmigrate copies nothing but prints the copy: the triggers go with it.
        if name not in left or schema_editor.collect_sql:
            schema_editor.execute(sql, params=None)


class AddEvidenceField(AddField):
    """AddField on an append-only table: on SQLite the copy Django makes keeps the triggers.
    (PostgreSQL adds a column without touching rows, so no UPDATE trigger fires.)"""

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        table = to_state.apps.get_model(app_label, self.model_name)._meta.db_table
        with sqlite_triggers_kept(schema_editor, table):
            super().database_forwards(app_label, schema_editor, from_state, to_state)
