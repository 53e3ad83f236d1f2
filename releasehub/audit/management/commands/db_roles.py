from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from releasehub.audit.db_roles import (
    RoleError,
    as_owner,
    check_role,
    evidence_tables,
    grant_sql,
    tables,
)


class Command(BaseCommand):
    help = (
        "Print (or with --apply, run as the owner) the grants of the app's PostgreSQL role: "
        "rows of the working tables, read and append on the evidence tables, nothing else."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--role", help="the app's role (default: the user in DATABASE_URL)", default=None
        )
        parser.add_argument("--apply", action="store_true", help="run the grants now")

    def handle(self, *args, role: str | None, apply: bool, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Database roles need PostgreSQL; the embedded SQLite has none.")
        role = role or connection.settings_dict["USER"]
        with as_owner() as owner:
            try:
                check_role(owner, role)
                statements = grant_sql(owner, role)
                if apply:
                    with transaction.atomic(), owner.cursor() as cursor:
                        for sql in statements:
                            cursor.execute(sql)
            except RoleError as exc:
                raise CommandError(str(exc)) from exc
            counts = len(tables(owner)), len(evidence_tables(owner))
        if apply:
            self.stdout.write(
                f"Granted to {role} on {counts[0]} tables; the {counts[1]} evidence tables "
                "are read and append only."
            )
        else:
            self.stdout.write("\n".join(statements))
