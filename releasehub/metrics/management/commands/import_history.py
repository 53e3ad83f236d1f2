from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from releasehub.metrics.history_file import read_history
from releasehub.metrics.importer import HistoryError, import_actor, import_history


class Command(BaseCommand):
    help = "Import past releases, deployments, rollbacks and incidents (docs/import-format.md)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: {exc}") from exc
        try:
            # The importing user is created in the same transaction: a refused file leaves
            # nothing behind, not even the user.
            with transaction.atomic():
                counts = import_history(read_history(raw), actor=import_actor())
        except HistoryError as exc:
            raise CommandError(f"{exc.summary}\n{exc}") from exc
        self.stdout.write("Imported: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
