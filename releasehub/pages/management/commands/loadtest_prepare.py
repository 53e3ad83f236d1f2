"""Prepare a throwaway database for `make loadtest` and write the plan the locust users read.

The demo seed, `--per-role` users for every role (`load-<role>-<n>`, one password), and a JSON
plan: their names, the releases and URLs the scenarios use, the slots each signs for, the smoke
items QA logs, and the poll intervals (LIVE_POLL_SECONDS).
"""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from releasehub.accounts.models import Squad
from releasehub.pages.management import benchdata
from releasehub.readiness.models import ChecklistItem, Phase
from releasehub.readiness.panels import SRE_SLOT, squad_slot


class Command(BaseCommand):
    help = "Seed a throwaway database for the load test and write its plan (JSON)."

    def add_arguments(self, parser):
        parser.add_argument("plan", type=Path)
        parser.add_argument("--per-role", type=int, default=12)
        parser.add_argument("--password", default="load-test-password")
        parser.add_argument("--force", action="store_true", help="run on a database with users")

    def handle(self, *args, plan: Path, per_role: int, password: str, force: bool, **options):
        benchdata.refuse_real_data(force=force)
        benchdata.seed()
        users = benchdata.ensure_load_users(per_role, password)
        t = benchdata.targets()
        smoke = list(
            ChecklistItem.objects.filter(release=t.live, phase=Phase.SMOKE).values_list(
                "code", flat=True
            )
        )
        if not smoke:
            raise CommandError(f"{t.live.version} has no smoke checklist items to log.")
        slots = {"sre": SRE_SLOT.key}
        for squad in Squad.objects.all():
            slots[f"rep-{squad.slug}"] = squad_slot(squad).key
        plan.write_text(
            json.dumps(
                {
                    "password": password,
                    "users": users,
                    "next": str(t.next.code),
                    "live": str(t.live.code),
                    "slots": slots,
                    "smoke_items": [str(code) for code in smoke],
                    "poll": settings.LIVE_POLL_SECONDS,
                },
                indent=1,
            )
        )
        self.stdout.write(f"plan written to {plan}: {sum(map(len, users.values()))} users")
