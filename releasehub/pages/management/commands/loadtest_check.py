"""After a load run: one current row per sign-off and smoke chain, and as many rows by the load
users since the run's timed part began as locust counted successful writes. Exits 1 with the
problems. The writes file: {"since": ISO 8601 instant, "counts": {"signoff": n, "smoke": n}}."""

import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from releasehub.pages.management import benchdata


class Command(BaseCommand):
    help = "Check the database invariants after `make loadtest`."

    def add_arguments(self, parser):
        parser.add_argument("writes", type=Path, help="the successful writes locust counted (JSON)")

    def handle(self, *args, writes: Path, **options):
        data = json.loads(writes.read_text())
        since, counted = dt.datetime.fromisoformat(data["since"]), data["counts"]
        if problems := benchdata.check_invariants(counted, since=since):
            raise CommandError("Invariants broken:\n  " + "\n  ".join(problems))
        self.stdout.write(
            "Invariants hold: one current row per sign-off and smoke chain; writes accounted "
            f"for ({', '.join(f'{k} {v}' for k, v in sorted(counted.items()))})."
        )
