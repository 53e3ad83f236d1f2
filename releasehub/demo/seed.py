"""Demo data: people for every role, the RM rota, six months of trains and the next ones.

Idempotent: every row is looked up by a natural key first, so running it twice adds nothing.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from releasehub.accounts.models import Role, RoleAssignment, RotaMember, Squad, User
from releasehub.catalog.models import FrontendApp, Service
from releasehub.catalog.runbook import ensure_catalog
from releasehub.releases.clock import IST, default_window
from releasehub.releases.models import Release, Train
from releasehub.releases.services import release_create, release_transition, suggest_version

# username, full name, roles (role, squad slug or None), RM rota position or None
PEOPLE = [
    ("asha", "Asha Rao", [(Role.RELEASE_MANAGER, None)], 1),
    ("vikram", "Vikram Shah", [(Role.RELEASE_MANAGER, None)], 2),
    ("meera", "Meera Iyer", [(Role.RELEASE_MANAGER, None)], 3),
    ("priya", "Priya Nair", [(Role.SQUAD_REP, "patient")], None),
    ("rahul", "Rahul Menon", [(Role.SQUAD_REP, "doctor")], None),
    ("sana", "Sana Qureshi", [(Role.SQUAD_REP, "admin")], None),
    ("dev", "Dev Malhotra", [(Role.SQUAD_REP, "shared")], None),
    ("kiran", "Kiran Reddy", [(Role.SRE, None)], None),
    ("neha", "Neha Gupta", [(Role.QA_LEAD, None)], None),
    ("arjun", "Arjun Kapoor", [(Role.LEADERSHIP, None)], None),
    ("divya", "Divya Pillai", [(Role.SUPPORT, None)], None),
]
TRAIN_NAME = "Bi-weekly release train"
# A Wednesday; every other Wednesday from it is a train date.
TRAIN_ANCHOR = dt.date(2026, 12, 2)
HISTORY_DAYS = 183


class DemoRefused(Exception):
    pass


def seed_people() -> dict[str, User]:
    ensure_catalog(Squad, Service, FrontendApp)
    squads = {s.slug: s for s in Squad.objects.all()}
    people = {}
    for username, full_name, roles, rota in PEOPLE:
        first, last = full_name.split(" ", 1)
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com"},
        )
        if created:
            user.set_password(settings.DEMO_PASSWORD)
            user.save(update_fields=["password"])
        for role, squad in roles:
            RoleAssignment.objects.get_or_create(
                user=user, role=role, squad=squads[squad] if squad else None
            )
        if rota:
            RotaMember.objects.get_or_create(user=user, defaults={"position": rota})
        people[username] = user
    admin, created = User.objects.get_or_create(
        username="admin",
        defaults={"is_staff": True, "is_superuser": True, "email": "admin@example.com"},
    )
    if created:
        admin.set_password(settings.DEMO_PASSWORD)
        admin.save(update_fields=["password"])
    people["admin"] = admin
    return people


def _complete(release: Release, actor: User, *, rolled_back: bool = False) -> None:
    start = release.window_start
    steps = [
        (Release.Status.GO, start - dt.timedelta(minutes=30)),
        (Release.Status.DEPLOYING, start),
    ]
    if rolled_back:
        steps.append((Release.Status.ROLLED_BACK, start + dt.timedelta(minutes=75)))
    else:
        steps += [
            (Release.Status.VERIFYING, start + dt.timedelta(minutes=95)),
            (Release.Status.MONITORING, start + dt.timedelta(minutes=110)),
            (Release.Status.COMPLETED, start + dt.timedelta(minutes=110, hours=24)),
        ]
    for status, at in steps:
        reason = "Payments error rate above 2% after promotion" if rolled_back else ""
        release_transition(release, status, actor=actor, at=at, reason=reason)


def seed_releases(people: dict[str, User], today: dt.date) -> None:
    train, _ = Train.objects.get_or_create(name=TRAIN_NAME, defaults={"anchor_date": TRAIN_ANCHOR})
    dates = train.occurrences(today - dt.timedelta(days=HISTORY_DAYS), 20)
    past = [d for d in dates if d < today]
    upcoming = [d for d in dates if d >= today][:2]
    rolled_back_date = past[-3] if len(past) >= 3 else None
    hotfix_after = past[-5] if len(past) >= 5 else None
    now = timezone.now()
    for day in past + upcoming:
        if Release.objects.filter(train=train, train_date=day).exists():
            continue
        start, end = default_window(day)
        release = release_create(
            version=suggest_version(day),
            window_start=start,
            window_end=end,
            actor=people["asha"],
            train=train,
            train_date=day,
            summary=f"Bi-weekly train of {day:%d %b %Y}",
        )
        if end < now:
            _complete(release, release.release_manager, rolled_back=day == rolled_back_date)
        if day == hotfix_after:
            hotfix_start = dt.datetime.combine(
                day + dt.timedelta(days=1), dt.time(15, 0), tzinfo=IST
            )
            hotfix = release_create(
                version=suggest_version(day + dt.timedelta(days=1), Release.Kind.HOTFIX),
                kind=Release.Kind.HOTFIX,
                window_start=hotfix_start,
                window_end=hotfix_start + dt.timedelta(hours=1),
                actor=people["asha"],
                summary="Appointments: double booking when two patients pick the same slot",
            )
            _complete(hotfix, hotfix.release_manager)


@transaction.atomic
def seed_demo(today: dt.date | None = None) -> dict[str, User]:
    if not settings.DEBUG:
        raise DemoRefused(
            "Demo data sets a shared, published password; it is refused when DEBUG is off."
        )
    people = seed_people()
    seed_releases(people, today or timezone.localdate())
    return people
