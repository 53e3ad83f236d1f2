from django.core.management.commands import migrate

from releasehub.audit.db_roles import as_owner


class Command(migrate.Command):
    help = f"{migrate.Command.help} Connects as DATABASE_OWNER_URL's role when that is set."

    def handle(self, *args, **options):
        # Tables belong to the role that creates them: the owner, never the app's role.
        with as_owner(options["database"]):
            return super().handle(*args, **options)
