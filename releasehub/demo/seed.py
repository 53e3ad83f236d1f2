"""Demo data: people for every role, the RM rota, six months of trains, the next four, and the
scope of the next one (tickets, risks, flags, on-call, dashboards, rollback plans, freeze
exceptions, sign-offs) plus one hotfix tracked to its back-merge.

Idempotent: every row is looked up by a natural key first, so running it twice adds nothing.
"""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from releasehub.accounts.models import Role, RoleAssignment, RotaMember, Squad, User
from releasehub.catalog.models import FrontendApp, Service
from releasehub.catalog.runbook import ensure_catalog
from releasehub.readiness.models import SignOffDecision
from releasehub.readiness.panels import squad_slot
from releasehub.readiness.services.signoffs import signoff_record
from releasehub.releases.clock import IST, default_window
from releasehub.releases.models import FollowUp, OnCallRole, Release, RollbackStrategy, Train
from releasehub.releases.services.decisions import request_decide
from releasehub.releases.services.freeze import freeze_exception_request
from releasehub.releases.services.hotfix import hotfix_confirm, hotfix_create
from releasehub.releases.services.lifecycle import (
    release_create,
    release_transition,
    train_fill,
    version_suggest,
)
from releasehub.releases.services.scope import (
    dashboard_add,
    dashboard_validate,
    flag_add,
    oncall_assign,
    risk_add,
    rollback_plan_save,
    ticket_add,
)

# username, full name, roles (role, squad slug or None), RM rota position or None
# username, full name, roles (role, squad slug or None), place in the RM rota or None
PEOPLE: list[tuple[str, str, list[tuple[Role, str | None]], int | None]] = [
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
        release_transition(release=release, to=status, actor=actor, at=at, reason=reason)


def seed_releases(people: dict[str, User], today: dt.date) -> None:
    train, _ = Train.objects.get_or_create(name=TRAIN_NAME, defaults={"anchor_date": TRAIN_ANCHOR})
    dates = train.occurrences(today - dt.timedelta(days=HISTORY_DAYS), 20)
    past = [d for d in dates if d < today]
    rolled_back_date = past[-3] if len(past) >= 3 else None
    hotfix_after = past[-5] if len(past) >= 5 else None
    now = timezone.now()
    for day in past:
        if Release.objects.filter(train=train, train_date=day).exists():
            continue
        start, end = default_window(day)
        release = release_create(
            version=version_suggest(day=day),
            window_start=start,
            window_end=end,
            actor=people["asha"],
            train=train,
            train_date=day,
            summary=f"{train.name}: {day:%d %b %Y}",
        )
        if end < now:
            rm = release.release_manager or people["asha"]
            _complete(release, rm, rolled_back=day == rolled_back_date)
        if day == hotfix_after:
            seed_hotfix(people, day + dt.timedelta(days=1))
    # The next four occurrences, as the train keeps them.
    train_fill(train=train, actor=people["asha"])


def seed_hotfix(people: dict[str, User], day: dt.date) -> None:
    start = dt.datetime.combine(day, dt.time(15, 0), tzinfo=IST)
    hotfix = hotfix_create(
        actor=people["rahul"],
        version=version_suggest(day=day, kind=Release.Kind.HOTFIX),
        window_start=start,
        window_end=start + dt.timedelta(hours=1),
        production_tag=version_suggest(day=day - dt.timedelta(days=1)),
        problem="Appointments: double booking when two patients pick the same slot",
        incident_url="https://incidents.example.com/INC-2041",
        branch=f"hotfix/{day:%Y%m%d}-double-booking",
        risk_assessment="Low: one query gains a row lock; no migration.",
        tests_run="Booking concurrency tests, appointments integration suite",
        tests_result="passed",
        supervising_sre=people["kiran"],
        components=[
            Service.objects.get(slug="appointments"),
            FrontendApp.objects.get(slug="patient-web"),
        ],
        at=start - dt.timedelta(hours=2),
    )
    request_decide(
        request=hotfix,
        actor=people["asha"],
        approve=True,
        comment="Approved: patients are affected now; Kiran on standby.",
        at=start - dt.timedelta(hours=1),
    )
    _complete(hotfix.release, people["asha"])
    done = start + dt.timedelta(hours=2)
    for kind, who in (
        (FollowUp.CHANGELOG, "rahul"),
        (FollowUp.INCIDENT, "kiran"),
        (FollowUp.BACK_MERGE, "rahul"),
    ):
        hotfix_confirm(hotfix=hotfix, actor=people[who], kind=kind, at=done)


# key, title, squad, services, apps, merged, CI passing
TICKETS = [
    (
        "PAT-101",
        "Reschedule from the booking page",
        "patient",
        ["appointments"],
        ["patient-web"],
        True,
        True,
    ),
    (
        "DOC-214",
        "Provider availability cache",
        "doctor",
        ["providers"],
        ["doctor-web"],
        True,
        False,
    ),
    ("ADM-88", "Bulk clinic import", "admin", [], ["admin-console"], False, False),
    ("SHR-310", "Token refresh for messaging", "shared", ["identity", "messaging"], [], True, True),
]
# component slug, strategy, previous version or flag, steps
PLANS = [
    (
        "appointments",
        RollbackStrategy.REDEPLOY_CONTAINER,
        "appointments:2026.11.18",
        "Redeploy the previous image; no migration in this release.",
    ),
    (
        "providers",
        RollbackStrategy.TOGGLE_FLAG,
        "provider-availability-cache",
        "Turn the flag off; the cache is bypassed at once.",
    ),
    (
        "identity",
        RollbackStrategy.REVERT_MIGRATION,
        "identity 0042",
        "Run the reverse migration, then redeploy identity:2026.11.18.",
    ),
    (
        "patient-web",
        RollbackStrategy.REDEPLOY_BUILD,
        "patient-web build 1187",
        "Promote build 1187 again and purge the CDN.",
    ),
    (
        "doctor-web",
        RollbackStrategy.REDEPLOY_BUILD,
        "doctor-web build 904",
        "Promote build 904 again.",
    ),
]


# squad, who signs Go, comment: the squads whose tickets are ready; the rest sign later.
SIGN_OFFS = [
    ("patient", "priya", "Reschedule flow verified on staging; support notes ready."),
    ("shared", "dev", "Token refresh verified on staging; messaging on-call briefed."),
]


def seed_scope(people: dict[str, User], release: Release) -> None:
    """Scope for the next release (idempotent: only when it has none).

    The tickets are added as they were, in the days before the code freeze, so the release
    has its scope whether the demo is seeded before the freeze or during it; the risk, flag,
    plans and the rest are the kind of work that goes on during the freeze too.
    """
    if release.tickets.exists():
        return
    services = {s.slug: s for s in Service.objects.all()}
    apps = {a.slug: a for a in FrontendApp.objects.all()}
    squads = {s.slug: s for s in Squad.objects.all()}
    reps = {"patient": "priya", "doctor": "rahul", "admin": "sana", "shared": "dev"}
    freeze_at = release.freeze_at or release.window_start  # a regular release has a freeze
    last_added = min(timezone.now(), freeze_at) - dt.timedelta(hours=2)
    for i, (key, title, squad, svc, app, merged, ci) in enumerate(reversed(TICKETS)):
        ticket_add(
            release=release,
            actor=people[reps[squad]],
            key=key,
            title=title,
            squad=squads[squad],
            services=[services[s] for s in svc],
            apps=[apps[a] for a in app],
            link=f"https://tracker.example.com/browse/{key}",
            merged=merged,
            ci_passing=ci,
            at=last_added - dt.timedelta(hours=6 * i),
        )
    for slug, strategy, previous, steps in PLANS:
        rollback_plan_save(
            release=release,
            actor=people["kiran"],
            component=services.get(slug) or apps[slug],
            strategy=strategy,
            previous=previous,
            steps=steps,
        )
    risk_add(
        release=release,
        actor=people["asha"],
        description="Token refresh changes how every app signs in",
        mitigation="Canary on patient-web first; identity on-call watches login errors.",
    )
    flag_add(
        release=release,
        actor=people["rahul"],
        name="provider-availability-cache",
        default_state="off; enabled for 10% of clinics after release",
    )
    for role, who in (
        (OnCallRole.SRE_PRIMARY, "kiran"),
        (OnCallRole.BACKEND, "dev"),
        (OnCallRole.QA, "neha"),
    ):
        oncall_assign(release=release, actor=people["asha"], role=role, person=people[who])
    board = dashboard_add(
        release=release,
        actor=people["kiran"],
        name="Identity login errors",
        url="https://grafana.example.com/d/identity-login",
    )
    dashboard_validate(board=board, actor=people["kiran"])
    dashboard_add(
        release=release,
        actor=people["rahul"],
        name="Provider cache hit rate",
        url="https://grafana.example.com/d/provider-cache",
    )
    approved = freeze_exception_request(
        release=release,
        actor=people["dev"],
        items="SHR-315",
        reason="Messaging retries flood the queue on token expiry",
        risk="Low: retry limit only",
        rollback_note="Redeploy messaging:2026.11.18",
    )
    request_decide(
        request=approved,
        actor=people["asha"],
        approve=True,
        comment="Approved: fixes a live problem.",
    )
    freeze_exception_request(
        release=release,
        actor=people["rahul"],
        items="DOC-220",
        reason="Slot search times out for large clinics",
        risk="Medium: changes a query plan",
        rollback_note="Toggle provider-availability-cache off",
    )
    # After every scope change above, so these sign-offs stand (an earlier one would be stale).
    for squad, who, comment in SIGN_OFFS:
        signoff_record(
            release=release,
            actor=people[who],
            slot=squad_slot(squads[squad]),
            decision=SignOffDecision.GO,
            comment=comment,
        )


@transaction.atomic
def seed_demo(today: dt.date | None = None) -> dict[str, User]:
    if not settings.DEBUG:
        raise DemoRefused(
            "Demo data sets a shared, published password; it is refused when DEBUG is off."
        )
    people = seed_people()
    seed_releases(people, today or timezone.localdate())
    # The next release, frozen or not: it is the first one a newcomer looks at.
    target = (
        Release.objects.filter(
            kind=Release.Kind.REGULAR,
            status=Release.Status.PLANNED,
            window_start__gt=timezone.now(),
        )
        .order_by("window_start")
        .first()
    )
    if target:
        seed_scope(people, target)
    seed_comms()
    seed_rollout(people, today or timezone.localdate())
    seed_deployment_history(people)
    return people


def seed_deployment_history(people: dict[str, User]) -> None:
    """Deployments for the completed trains that have none, so the metrics page has history.

    Goes through the metrics importer (idempotent by natural keys): every service in promotion
    order, 12 minutes each and watched 15 minutes before the next, then the frontends.
    """
    from releasehub.catalog.runbook import FRONTENDS, SERVICES
    from releasehub.metrics.importer import import_history
    from releasehub.rollout.models import Deployment

    bare = Release.objects.filter(status=Release.Status.COMPLETED).exclude(
        pk__in=Deployment.objects.values("release")
    )
    records = []
    for release in bare.order_by("window_start"):
        at, deployments = release.window_start, []
        for slug in [*SERVICES, *(slug for slug, _ in FRONTENDS)]:
            finished = at + dt.timedelta(minutes=12)
            deployments.append(
                {
                    "target": slug,
                    "started_at": at.isoformat(),
                    "finished_at": finished.isoformat(),
                    "outcome": "succeeded",
                    "manual_interventions": 0,
                }
            )
            at = finished + dt.timedelta(minutes=15 if slug in SERVICES else 2)
        records.append(
            {
                "version": release.version,
                "kind": release.kind,
                "window_start": release.window_start.isoformat(),
                "deployments": deployments,
                "rollbacks": [],
            }
        )
    if records:
        import_history({"releases": records, "incidents": []}, actor=people["asha"])


# Communications and the feature flag inventory ----------------------------------------------

# key, description, owning squad, default state, rollout strategy, notes, status, production
FLAGS = [
    (
        "provider-availability-cache",
        "Serve provider availability from the cache instead of the scheduling database.",
        "doctor",
        "off",
        "percentage",
        "10% of clinics, then 50%, then all",
        "active",
        "off",
    ),
    (
        "reschedule-from-booking",
        "Patients reschedule from the booking page.",
        "patient",
        "on",
        "canary",
        "with the patient-web canary",
        "active",
        "on",
    ),
    (
        "legacy-booking-widget",
        "The old booking widget, kept for a rollback.",
        "patient",
        "off",
        "all_at_once",
        "",
        "retired",
        None,
    ),
]


def seed_comms() -> None:
    """The message templates, audiences and the flag inventory (created if missing)."""
    from releasehub.comms.defaults import ensure_audiences, ensure_templates
    from releasehub.comms.models import Audience, MessageTemplate
    from releasehub.flags.models import FeatureFlag, FlagEnvironmentState

    ensure_templates(MessageTemplate)
    ensure_audiences(Audience, Squad)
    squads = {s.slug: s for s in Squad.objects.all()}
    for key, description, squad, default, strategy, notes, status, production in FLAGS:
        flag, created = FeatureFlag.objects.get_or_create(
            key=key,
            defaults={
                "description": description,
                "squad": squads[squad],
                "default_state": default,
                "rollout_strategy": strategy,
                "rollout_notes": notes,
                "status": status,
            },
        )
        if created and production:
            FlagEnvironmentState.objects.create(
                flag=flag, environment="production", state=production, updated_at=timezone.now()
            )


# Release day (rollout) ---------------------------------------------------------------------

ROLLOUT_TICKET = "PLAT-900"
LIVE_HOTFIX_PROBLEM = "Appointment reminders sent twice after the last release"


def seed_rollout(people: dict[str, User], today: dt.date) -> None:
    """A completed release day and the rolled-back one (history, written as imported rows),
    and a hotfix whose release day is in progress (written through the services)."""
    past = Release.objects.filter(
        kind=Release.Kind.REGULAR, window_start__date__lt=today, train__isnull=False
    )
    completed = past.filter(status=Release.Status.COMPLETED).order_by("-window_start").first()
    rolled_back = past.filter(status=Release.Status.ROLLED_BACK).first()
    if completed:
        _history_day(people, completed, rolled_back=False)
    if rolled_back:
        _history_day(people, rolled_back, rolled_back=True)
    _live_hotfix(people, today)


def _scope_everything(release: Release, actor: User, services, apps) -> None:
    from releasehub.releases.models import ScopeTicket

    ticket, created = ScopeTicket.objects.get_or_create(
        release=release,
        key=ROLLOUT_TICKET,
        defaults={
            "title": "Platform upgrade touching every service and app",
            "squad": Squad.objects.get(slug="shared"),
            "added_by": actor,
            "merged": True,
            "ci_passing": True,
        },
    )
    if created:
        ticket.services.set(services)
        ticket.apps.set(apps)


def _history_day(people: dict[str, User], release: Release, *, rolled_back: bool) -> None:
    """Steps as they happened (the clock of `_complete`), written as imported history."""
    from releasehub.audit.interventions import intervention_record
    from releasehub.audit.models import InterventionKind
    from releasehub.rollout.models import (
        Deployment,
        DeploymentKind,
        Incident,
        LogEntry,
        Rollback,
        RollbackItem,
        RollbackResult,
        RolloutStep,
        Severity,
        Step,
    )

    if RolloutStep.objects.filter(release=release).exists():
        return
    sre, rm = people["kiran"], release.release_manager or people["asha"]
    services = list(Service.objects.filter(active=True))
    apps = list(FrontendApp.objects.filter(active=True))
    if rolled_back:
        services = services[:4]  # identity … payments; payments went wrong
        apps = []
    _scope_everything(release, rm, services, apps)
    start = release.window_start
    minutes = dt.timedelta(minutes=1)

    def step(component, kind, at, **fields):
        key = {"service": component} if isinstance(component, Service) else {"app": component}
        return RolloutStep.objects.create(
            release=release, kind=kind, actor=sre, at=at, **key, **fields
        )

    for i, service in enumerate(services):
        begin = start + i * 15 * minutes
        step(service, Step.STAGING_DEPLOYED, start - 60 * minutes + i * 5 * minutes)
        step(service, Step.STAGING_SMOKE, start - 55 * minutes + i * 5 * minutes, passed=True)
        started = step(service, Step.PROMOTION_STARTED, begin)
        finished = step(service, Step.PROMOTION_FINISHED, begin + 3 * minutes)
        bad = rolled_back and i == len(services) - 1
        step(
            service,
            Step.HEALTH,
            begin + 10 * minutes,
            passed=not bad,
            p95_ms=2300 if bad else 140 + 10 * i,
            error_rate=2.4 if bad else 0.1,
            link="https://grafana.example.com/d/release-day",
        )
        Deployment.objects.create(
            release=release,
            service=service,
            kind=DeploymentKind.PROMOTION,
            started_at=started.at,
            finished_at=finished.at,
            step=finished,
        )
    for i, app in enumerate(apps):
        begin = start + 85 * minutes
        step(app, Step.BUILD_TRIGGERED, begin, build_id=f"{app.slug}-{release.version}")
        canary = step(app, Step.CANARY_STARTED, begin + 2 * minutes, percent=10)
        step(app, Step.CANARY_VALIDATED, begin + 6 * minutes)
        full = step(app, Step.FULL_ROLLOUT, begin + (8 + i) * minutes)
        step(app, Step.CDN, begin + (9 + i) * minutes, passed=app.slug != "admin-console")
        Deployment.objects.create(
            release=release,
            app=app,
            kind=DeploymentKind.ROLLOUT,
            started_at=canary.at,
            finished_at=full.at,
            step=full,
        )
    if not rolled_back:
        LogEntry.objects.create(
            release=release,
            note="All services and apps out; smoke passed; dashboards quiet.",
            completes=True,
            actor=rm,
            at=start + 110 * minutes,
        )
        return
    payments = services[-1]
    at = start + 75 * minutes
    incident = Incident.objects.create(
        title="Payments error rate above 2% after promotion",
        severity=Severity.SEV2,
        release=release,
        service=payments,
        detected_at=start + 58 * minutes,
        link="https://incidents.example.com/INC-311",
        actor=sre,
        at=start + 60 * minutes,
    )
    rollback = Rollback.objects.create(
        release=release,
        scope="full",  # the release ended rolled back (a partial one lets it go on)
        reason="Payments error rate above 2% after promotion",
        incident=incident,
        actor=sre,
        at=at,
    )
    item = RollbackItem.objects.create(
        release=release,
        rollback=rollback,
        service=payments,
        strategy=RollbackStrategy.REDEPLOY_CONTAINER,
        previous="payments:1.41.0",
        plan_steps="Redeploy payments:1.41.0; confirm error rate below 0.5%.",
    )
    RollbackResult.objects.create(
        item=item,
        steps_performed="Redeployed payments:1.41.0; error rate back to 0.2% within 5 minutes.",
        succeeded=True,
        actor=sre,
        at=at + 9 * minutes,
    )
    Deployment.objects.create(
        release=release,
        service=payments,
        kind=DeploymentKind.ROLLBACK,
        started_at=at,
        finished_at=at + 9 * minutes,
    )
    intervention_record(
        release=release,
        kind=InterventionKind.MANUAL_ROLLBACK,
        actor=sre,
        reason="Payments: error rate above 2% after promotion",
        at=at,
    )


def _live_hotfix(people: dict[str, User], today: dt.date) -> None:
    """A hotfix on its release day right now: appointments in its monitoring window (the
    countdown runs), payments staged and waiting for it."""
    from releasehub.rollout.models import Step
    from releasehub.rollout.services.promotion import service_health_record, service_step_record

    if Release.objects.filter(kind=Release.Kind.HOTFIX, summary=LIVE_HOTFIX_PROBLEM).exists():
        return
    now = timezone.now()
    sre = people["kiran"]
    services = [Service.objects.get(slug="appointments"), Service.objects.get(slug="payments")]
    hotfix = hotfix_create(
        actor=people["priya"],
        version=version_suggest(day=today, kind=Release.Kind.HOTFIX),
        window_start=now - dt.timedelta(minutes=30),
        window_end=now + dt.timedelta(minutes=30),
        production_tag=Release.objects.filter(status=Release.Status.COMPLETED)
        .order_by("-completed_at")
        .values_list("version", flat=True)
        .first()
        or "",
        problem=LIVE_HOTFIX_PROBLEM,
        incident_url="https://incidents.example.com/INC-342",
        branch="hotfix/reminder-dedup",
        risk_assessment="Low: one idempotency key on the reminder job.",
        tests_run="Reminder job unit and integration tests",
        tests_result="passed",
        supervising_sre=sre,
        components=services,
        at=now - dt.timedelta(minutes=40),
    )
    release = hotfix.release
    request_decide(request=hotfix, actor=people["asha"], approve=True, comment="Go ahead", at=now)
    _scope_everything(release, people["priya"], services, [])
    for service in services:
        rollback_plan_save(
            release=release,
            actor=sre,
            component=service,
            strategy=RollbackStrategy.REDEPLOY_CONTAINER,
            previous=f"{service.slug}:previous",
            steps=f"Redeploy the previous {service.slug} container.",
        )
        for kind, passed in ((Step.STAGING_DEPLOYED, None), (Step.STAGING_SMOKE, True)):
            service_step_record(
                release=release,
                service=service,
                kind=kind,
                actor=sre,
                passed=passed,
                at=now - dt.timedelta(minutes=20),
            )
    appointments = services[0]
    for kind, ago in ((Step.PROMOTION_STARTED, 8), (Step.PROMOTION_FINISHED, 5)):
        service_step_record(
            release=release,
            service=appointments,
            kind=kind,
            actor=sre,
            at=now - dt.timedelta(minutes=ago),
        )
    service_health_record(
        release=release,
        service=appointments,
        actor=sre,
        healthy=True,
        p95_ms=210,
        error_rate=Decimal("0.1"),
        link="https://grafana.example.com/d/appointments",
        at=now - dt.timedelta(minutes=2),
    )
