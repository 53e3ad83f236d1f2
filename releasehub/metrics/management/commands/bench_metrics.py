"""Time the metrics page against a trivial logged-in page with three years of history.

Generates 80 regular trains and 30 hotfixes (every deployment, rollbacks, incidents) through the
importer under version prefix `bench-`, unless they are there already, then times both pages
through the test client. It writes to the configured database: use a development one.
"""

import datetime as dt
import random
import statistics
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from releasehub.accounts.models import Role, RoleAssignment, User
from releasehub.catalog.models import FrontendApp, Service
from releasehub.metrics.importer import import_actor, import_history
from releasehub.metrics.selectors import IST
from releasehub.releases.models import Release


def history(today: dt.date, trains: int, hotfixes: int) -> dict:
    rng = random.Random(7)
    targets = list(Service.objects.values_list("slug", flat=True)) + list(
        FrontendApp.objects.values_list("slug", flat=True)
    )
    releases, incidents = [], []
    first = today - dt.timedelta(days=3 * 365)
    for n in range(trains):
        day = first + dt.timedelta(days=n * 14)
        start = dt.datetime.combine(day, dt.time(10), tzinfo=IST)
        deps, at = [], start
        for target in targets:
            deps.append(
                {
                    "target": target,
                    "started_at": at.isoformat(),
                    "finished_at": (at + dt.timedelta(minutes=15)).isoformat(),
                    "outcome": "succeeded",
                    "manual_interventions": rng.randint(0, 1),
                }
            )
            at += dt.timedelta(minutes=20)
        rec: dict[str, Any] = {
            "version": f"bench-{n:03d}",
            "kind": "regular",
            "window_start": start.isoformat(),
            "deployments": deps,
        }
        if n % 10 == 3:
            rec["rollbacks"] = [
                {
                    "targets": [targets[0]],
                    "started_at": at.isoformat(),
                    "finished_at": (at + dt.timedelta(minutes=10)).isoformat(),
                    "reason": "Benchmark rollback",
                }
            ]
        if n % 5 == 1:
            incidents.append(
                {
                    "key": f"BENCH-{n}",
                    "severity": "SEV-3",
                    "title": "Benchmark",
                    "caused_by": {"version": rec["version"], "target": targets[1]},
                    "detected_at": (at + dt.timedelta(hours=2)).isoformat(),
                    "resolved_at": (at + dt.timedelta(hours=5)).isoformat(),
                }
            )
        releases.append(rec)
        if n < hotfixes:
            hstart = start + dt.timedelta(days=2)
            releases.append(
                {
                    "version": f"bench-{n:03d}-hf",
                    "kind": "hotfix",
                    "window_start": hstart.isoformat(),
                    "fixes": {"version": rec["version"], "target": targets[2]},
                    "deployments": [
                        {
                            "target": targets[2],
                            "started_at": hstart.isoformat(),
                            "finished_at": (hstart + dt.timedelta(minutes=12)).isoformat(),
                            "outcome": "succeeded",
                            "manual_interventions": 0,
                        }
                    ],
                }
            )
    return {"releases": releases, "incidents": incidents}


class Command(BaseCommand):
    help = "Time the metrics page (365 days) against a trivial page, with 3 years of history."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=50)

    def handle(self, *args, repeat: int, **options):
        today = dt.datetime.now(IST).date()
        if not Release.objects.filter(version="bench-000").exists():
            import_history(history(today, 80, 30), actor=import_actor())
        user, _ = User.objects.get_or_create(username="bench-leader")
        RoleAssignment.objects.get_or_create(user=user, role=Role.LEADERSHIP)
        with override_settings(ALLOWED_HOSTS=["*"], SECURE_SSL_REDIRECT=False):
            client = Client()
            client.force_login(user)
            # Interleaved, so a busy moment of the machine slows both pages alike.
            pages = [(reverse("flags:list"), {}), (reverse("metrics:page"), {"days": 365})]
            times: list[list[float]] = [[], []]
            for url, params in pages:
                client.get(url, params)  # warm caches and templates
            for _ in range(repeat):
                for n, (url, params) in enumerate(pages):
                    times[n].append(self._time(client, url, params))
            trivial, metrics = statistics.median(times[0]), statistics.median(times[1])
        self.stdout.write(
            f"releases in database: {Release.objects.count()}\n"
            f"trivial page (flags) median: {trivial * 1000:.1f} ms\n"
            f"metrics page (365 days) median: {metrics * 1000:.1f} ms\n"
            f"ratio: {metrics / trivial:.2f}x (limit 5x)"
        )

    def _time(self, client: Client, url: str, params: dict) -> float:
        began = time.perf_counter()
        response = client.get(url, params)
        elapsed = time.perf_counter() - began
        assert response.status_code == 200, (url, response.status_code)
        return elapsed
