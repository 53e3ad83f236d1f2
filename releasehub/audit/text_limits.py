"""The migration operation that adds a text limit (`core.limits.TextLimit`) to a table that may
hold evidence, without rewriting the evidence or losing the triggers that keep it.

- A row already longer than the limit stays as it was written when its table is append-only:
  PostgreSQL adds the check NOT VALID (it holds for every new row, old ones are not re-read) and
  SQLite copies the table with checks off. In any other table such text is cut to the limit
  first, since a row its own table's check refuses could never be updated again.
- SQLite adds a check by copying the table, which drops the table's triggers: they are put back.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.migrations.operations import AddConstraint

from releasehub.audit.operations import sqlite_triggers_kept, trigger_name
from releasehub.core.limits import TextLimit


def _is_append_only(schema_editor, table: str) -> bool:
    if schema_editor.connection.vendor == "sqlite":
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = %s"
    else:
        sql = "SELECT 1 FROM pg_trigger WHERE tgname = %s"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql, [trigger_name(table, "UPDATE")])
        return cursor.fetchone() is not None


@contextmanager
def _sqlite_checks_off(schema_editor) -> Iterator[None]:
    """The copy SQLite makes of a table keeps rows that a new check would refuse."""
    schema_editor.execute("PRAGMA ignore_check_constraints = ON", params=None)
    try:
        yield
    finally:
        schema_editor.execute("PRAGMA ignore_check_constraints = OFF", params=None)


class AddTextLimit(AddConstraint):
    """AddConstraint for a TextLimit: evidence kept as written, triggers kept (see above)."""

    def __init__(self, model_name: str, constraint: TextLimit) -> None:
        super().__init__(model_name, constraint)
        self.limit = constraint

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        table, vendor = model._meta.db_table, schema_editor.connection.vendor
        if not _is_append_only(schema_editor, table):
            self._shorten(schema_editor, model)
            with sqlite_triggers_kept(schema_editor, table):
                super().database_forwards(app_label, schema_editor, from_state, to_state)
        elif vendor == "postgresql":
            # Constraint.create_sql returns interpolated SQL, hence params=None (as Django's
            # own AddConstraintNotValid does).
            sql = self.constraint.create_sql(model, schema_editor)
            schema_editor.execute(f"{sql} NOT VALID", params=None)
        else:
            with sqlite_triggers_kept(schema_editor, table), _sqlite_checks_off(schema_editor):
                super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        table = to_state.apps.get_model(app_label, self.model_name)._meta.db_table
        with sqlite_triggers_kept(schema_editor, table):
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def _shorten(self, schema_editor, model) -> None:
        table = schema_editor.quote_name(model._meta.db_table)
        column = schema_editor.quote_name(model._meta.get_field(self.limit.field).column)
        schema_editor.execute(
            f"UPDATE {table} SET {column} = SUBSTR({column}, 1, %s) WHERE LENGTH({column}) > %s",
            params=[self.limit.limit, self.limit.limit],
        )

    def describe(self) -> str:
        return f"Limit {self.model_name}.{self.limit.field} to {self.limit.limit:,} characters"
