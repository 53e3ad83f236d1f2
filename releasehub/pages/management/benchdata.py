"""Data for the page benchmark and the load test: a throwaway database gets the demo seed, history
releases, and load-test users; the load test's invariants are checked against it afterwards.

Every function here writes to the configured database, so `refuse_real_data` runs first.
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import override_settings
from django.utils import timezone

from releasehub.accounts.models import Role, RoleAssignment, Squad, User
from releasehub.catalog.runbook import FRONTENDS, SERVICES
from releasehub.demo.seed import PEOPLE, seed_demo
from releasehub.metrics.importer import import_actor, import_history
from releasehub.readiness.models import SignOff, SmokeResult
from releasehub.releases.clock import IST
from releasehub.releases.models import Release

HISTORY_PREFIX = "bench-h"
LOAD_PREFIX = "load-"
# Users these tools (or the demo) make; anyone else means the database holds real data.
OWN_USERS = {name for name, *_ in PEOPLE} | {"admin", "history-import"}
# Who opens which page first; the demo's people, one per role.
ROLE_USERS = {
    "rm": "asha",
    "rep": "priya",
    "sre": "kiran",
    "qa": "neha",
    "leader": "arjun",
    "support": "divya",
}


def refuse_real_data(*, force: bool) -> None:
    """CommandError when the database has users neither the demo nor these tools made."""
    if force or User._meta.db_table not in connection.introspection.table_names():
        return
    others = User.objects.exclude(username__in=OWN_USERS).exclude(username__startswith=LOAD_PREFIX)
    if others.exists():
        raise CommandError(
            f"{connection.settings_dict['NAME']} holds real data ({others.count()} users the demo "
            "did not make): use a throwaway database, or --force."
        )


def seed() -> None:
    """The demo seed (idempotent); it refuses without DEBUG, which does not matter here."""
    with override_settings(DEBUG=True):
        seed_demo()


def ensure_history(releases: int) -> int:
    """Import completed releases `bench-h0000`… until `releases` of them exist, one every other
    day before the demo's six months, each deploying every service and app. Returns the count."""
    have = Release.objects.filter(version__startswith=HISTORY_PREFIX).count()
    if have >= releases:
        return have
    first = timezone.localdate() - dt.timedelta(days=200 + 2 * releases)
    targets = [*SERVICES, *(slug for slug, _ in FRONTENDS)]
    records = []
    for n in range(have, releases):
        start = dt.datetime.combine(first + dt.timedelta(days=2 * n), dt.time(10), tzinfo=IST)
        deployments = []
        for i, target in enumerate(targets):
            at = start + dt.timedelta(minutes=20 * i)
            deployments.append(
                {
                    "target": target,
                    "started_at": at.isoformat(),
                    "finished_at": (at + dt.timedelta(minutes=12)).isoformat(),
                    "outcome": "succeeded",
                    "manual_interventions": 0,
                }
            )
        records.append(
            {
                "version": f"{HISTORY_PREFIX}{n:04d}",
                "kind": "regular",
                "window_start": start.isoformat(),
                "deployments": deployments,
            }
        )
    import_history({"releases": records, "incidents": []}, actor=import_actor())
    return releases


@dataclass(frozen=True)
class Targets:
    """The releases the pages are read on: the next regular one (scope, sign-offs) and the one
    whose release day is in progress (board, smoke)."""

    next: Release
    live: Release


def targets() -> Targets:
    open_ = Release.objects.filter(status__in=Release.OPEN_STATUSES).order_by("window_start")
    nxt = open_.filter(kind=Release.Kind.REGULAR).exclude(status__in=Release.LIVE_STATUSES)
    live = open_.filter(status__in=Release.LIVE_STATUSES)
    if not (nxt.exists() and live.exists()):
        raise CommandError("The demo seed left no upcoming and no live release.")
    return Targets(next=nxt.first(), live=live.first())  # type: ignore[arg-type]


# Load-test users: (role key, Role, squad slug or None). Reps cover every squad.
LOAD_ROLES: list[tuple[str, Role, str | None]] = [
    ("rm", Role.RELEASE_MANAGER, None),
    ("rep-patient", Role.SQUAD_REP, "patient"),
    ("rep-doctor", Role.SQUAD_REP, "doctor"),
    ("rep-admin", Role.SQUAD_REP, "admin"),
    ("rep-shared", Role.SQUAD_REP, "shared"),
    ("sre", Role.SRE, None),
    ("qa", Role.QA_LEAD, None),
    ("leader", Role.LEADERSHIP, None),
    ("support", Role.SUPPORT, None),
]


def ensure_load_users(per_role: int, password: str) -> dict[str, list[str]]:
    """`load-<role>-<n>` users with `password` (hashed once: PBKDF2 per user would take minutes).

    Returns the usernames by role key."""
    hashed = make_password(password)
    squads = {s.slug: s for s in Squad.objects.all()}
    names: dict[str, list[str]] = {}
    for key, role, squad in LOAD_ROLES:
        for n in range(per_role):
            username = f"{LOAD_PREFIX}{key}-{n:03d}"
            user, created = User.objects.get_or_create(
                username=username, defaults={"password": hashed, "first_name": key}
            )
            if not created:
                User.objects.filter(pk=user.pk).update(password=hashed)
            RoleAssignment.objects.get_or_create(
                user=user, role=role, squad=squads[squad] if squad else None
            )
            names.setdefault(key, []).append(username)
    return names


def check_invariants(writes: dict[str, int], *, since: dt.datetime) -> list[str]:
    """What is wrong after a load run: a sign-off or smoke chain with more or fewer than one
    current row, or rows the load users made (after `since`) that differ from the 2xx writes
    locust counted (`writes`: kind -> count, kinds `signoff` and `smoke`)."""
    problems = []
    chains = (
        (SignOff, ["release", "slot"], "sign-off chain"),
        (SmokeResult, ["item"], "smoke chain"),
    )
    for model, keys, label in chains:
        bad = (
            model.objects.values(*keys)
            .annotate(current=Count("pk", filter=Q(superseded_by__isnull=True)))
            .exclude(current=1)
        )
        problems += [f"{label} {row} has {row['current']} current rows" for row in bad]
    made = {
        "signoff": SignOff.objects.filter(
            actor__username__startswith=LOAD_PREFIX, at__gte=since
        ).count(),
        "smoke": SmokeResult.objects.filter(
            actor__username__startswith=LOAD_PREFIX, at__gte=since
        ).count(),
    }
    for kind, rows in made.items():
        sent = writes.get(kind, 0)
        if rows != sent:
            problems.append(f"{kind}: locust saw {sent} successful writes, the database has {rows}")
    return problems


def database_label() -> str:
    vendor = connection.vendor
    return f"{vendor} {connection.settings_dict['NAME']}" if vendor != "sqlite" else "sqlite"
