"""A migration operation that makes a table append-only in the database itself.

Evidence (timeline, sign-offs, approvals, smoke results) must survive a buggy view, a shell
session or a raw SQL statement, so UPDATE and DELETE are refused by a trigger, not by Python.
"""

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


class MakeAppendOnly(Operation):
    reduces_to_sql = True
    reversible = True

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def state_forwards(self, app_label, state) -> None:
        pass

    def _table(self, app_label, state) -> str:
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        for sql in create_sql(schema_editor.connection.vendor, self._table(app_label, to_state)):
            schema_editor.execute(sql, params=None)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        for sql in drop_sql(schema_editor.connection.vendor, self._table(app_label, from_state)):
            schema_editor.execute(sql, params=None)

    def describe(self) -> str:
        return f"Refuse UPDATE and DELETE on {self.model_name}"

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.model_name], {})
