import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from releasehub.metrics.importer import HistoryError, import_actor, import_history


class Command(BaseCommand):
    help = "Import past releases, deployments, rollbacks and incidents (docs/import-format.md)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"{file}: {exc}") from exc
        try:
            counts = import_history(data, actor=import_actor())
        except HistoryError as exc:
            raise CommandError(f"Nothing imported. {exc}") from exc
        self.stdout.write("Imported: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
