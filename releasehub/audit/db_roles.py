"""The database roles on PostgreSQL: the owner, who migrates, and the app's role, which owns
nothing (docs/security.md, "Database roles").

Only a table's owner (or a superuser) may alter it, drop or disable its triggers, so an app
that connects as a role owning nothing cannot switch off the append-only triggers. The app's
role reads and writes the working tables and may only read and append to the evidence tables.
"""

import contextlib
from collections.abc import Iterator

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper

WORKING = "SELECT, INSERT, UPDATE, DELETE"
EVIDENCE = "SELECT, INSERT"
# The migration ledger is written by `migrate`, which connects as the owner.
READ_ONLY = {"django_migrations"}


class RoleError(Exception):
    """Grants that would not separate the app from the owner."""


@contextlib.contextmanager
def as_owner(alias: str = DEFAULT_DB_ALIAS) -> Iterator[BaseDatabaseWrapper]:
    """The connection, logged in as DATABASE_OWNER_URL's role while inside (when it is set).

    Only the role changes: settings checked that the URL names the same server and database,
    so a test run's test database stays the one migrated."""
    connection = connections[alias]
    owner = settings.DATABASE_OWNER if alias == DEFAULT_DB_ALIAS else None
    if not owner:
        yield connection
        return
    saved = {key: connection.settings_dict[key] for key in owner}
    connection.close()
    connection.settings_dict.update(owner)
    try:
        yield connection
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def _column(connection: BaseDatabaseWrapper, sql: str, params: list | None = None) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return [row[0] for row in cursor.fetchall()]


def evidence_tables(connection: BaseDatabaseWrapper) -> list[str]:
    """Tables carrying the append-only trigger (audit/operations.py), by the database's catalog."""
    return _column(
        connection,
        "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE c.relnamespace = current_schema()::regnamespace "
        "AND t.tgname = 'append_only_' || c.relname || '_update' ORDER BY 1",
    )


def tables(connection: BaseDatabaseWrapper) -> list[str]:
    return _column(
        connection,
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
    )


def _owner(connection: BaseDatabaseWrapper) -> str:
    owners = _column(
        connection,
        "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() "
        "AND tablename = 'django_migrations'",
    )
    if not owners:
        raise RoleError("The database is not migrated yet: run `manage.py migrate` first.")
    return owners[0]


def check_role(connection: BaseDatabaseWrapper, role: str) -> None:
    """Refuse grants to a role that could switch the triggers off anyway."""
    found = _column(connection, "SELECT rolsuper::text FROM pg_roles WHERE rolname = %s", [role])
    if not found:
        raise RoleError(f"There is no role {role!r}: create it first (docs/security.md).")
    if found[0] == "true":
        raise RoleError(f"{role} is a superuser: it could disable the triggers. Use another role.")
    if role == _owner(connection):
        raise RoleError(
            f"{role} owns the tables: the app needs a role of its own (DATABASE_URL), "
            "and DATABASE_OWNER_URL for the owner."
        )


def grant_sql(connection: BaseDatabaseWrapper, role: str) -> list[str]:
    """Everything the app's role may do, from nothing (so running it again changes nothing).

    Tables created later by the owner get the working privileges by default; they stay
    append-only by their triggers, and running this again narrows a new evidence table."""
    quote = connection.ops.quote_name
    schema = quote(_column(connection, "SELECT current_schema()")[0])
    role, owner = quote(role), quote(_owner(connection))
    evidence = set(evidence_tables(connection))

    def privileges(table: str) -> str:
        return "SELECT" if table in READ_ONLY else EVIDENCE if table in evidence else WORKING

    return [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role};",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role};",
        f"GRANT USAGE ON SCHEMA {schema} TO {role};",
        *(f"GRANT {privileges(t)} ON {quote(t)} TO {role};" for t in tables(connection)),
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {role};",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
        f"GRANT {WORKING} ON TABLES TO {role};",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
        f"GRANT USAGE ON SEQUENCES TO {role};",
    ]
