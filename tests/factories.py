import datetime as dt

import factory
from django.conf import settings
from django.utils import timezone

from releasehub.accounts.models import Role, RoleAssignment, Squad, User
from releasehub.catalog.models import FrontendApp, Service
from releasehub.releases.clock import default_window
from releasehub.releases.models import Release, ScopeTicket, Train

# A page's query for the session row: none when sessions come from a shared cache (Redis).
SESSION_QUERIES = 0 if settings.CACHE_URL else 1


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", settings.DEMO_PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        """`UserFactory(roles=[Role.SRE, (Role.SQUAD_REP, "patient")])`."""
        if create:
            self.save()
        for item in extracted or []:
            role, squad = item if isinstance(item, tuple) else (item, None)
            RoleAssignment.objects.create(
                user=self, role=role, squad=Squad.objects.get(slug=squad) if squad else None
            )


def user_with(role: str, squad: str | None = None, **kwargs) -> User:
    return UserFactory(roles=[(role, squad)], **kwargs)


def rm(**kwargs) -> User:
    return user_with(Role.RELEASE_MANAGER, **kwargs)


# Set by the autouse `fixed_clock` fixture (tests/conftest.py) for tests marked `clock`.
CLOCK_MARKED = False


def require_clock_mark(what: str) -> None:
    """Data placed relative to today makes a test depend on the week; such tests are marked
    `clock` so that CI runs them at the instants where the release clock turns."""
    if not CLOCK_MARKED:
        raise RuntimeError(
            f"{what} places data relative to today: mark the test @pytest.mark.clock "
            "(or the module with pytestmark)"
        )


def today() -> dt.date:
    require_clock_mark("a clock-relative factory")
    return timezone.localdate()


def next_wednesday(after: dt.date | None = None) -> dt.date:
    day = (after or today()) + dt.timedelta(days=1)
    return day + dt.timedelta(days=(2 - day.weekday()) % 7)


class ReleaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Release

    version = factory.Sequence(lambda n: f"2030.{n:04d}")
    kind = Release.Kind.REGULAR
    window_start = factory.LazyFunction(lambda: default_window(next_wednesday())[0])
    window_end = factory.LazyAttribute(lambda r: r.window_start + dt.timedelta(hours=2))


class TrainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Train
        django_get_or_create = ["name"]

    name = "Bi-weekly release train"
    anchor_date = factory.LazyFunction(lambda: next_wednesday())


def squad(slug: str) -> Squad:
    return Squad.objects.get(slug=slug)


def service(slug: str) -> Service:
    return Service.objects.get(slug=slug)


def app(slug: str) -> FrontendApp:
    return FrontendApp.objects.get(slug=slug)


class ScopeTicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScopeTicket
        skip_postgeneration_save = True

    release = factory.SubFactory(ReleaseFactory)
    key = factory.Sequence(lambda n: f"PAT-{n + 1}")
    title = "A change"
    squad = factory.LazyFunction(lambda: squad("patient"))
    added_by = factory.SubFactory(UserFactory)
    merged = True
    ci_passing = True

    @factory.post_generation
    def services(self, create, extracted, **kwargs):
        if create and extracted:
            self.services.set(extracted)

    @factory.post_generation
    def apps(self, create, extracted, **kwargs):
        if create and extracted:
            self.apps.set(extracted)


def release_in(days: int, **kwargs) -> Release:
    """A regular release whose Wednesday window is at least `days` days away."""
    day = next_wednesday(today() + dt.timedelta(days=days))
    start, end = default_window(day)
    return ReleaseFactory(window_start=start, window_end=end, **kwargs)


# Readiness (checklists, Go/No-Go, QA) ------------------------------------------------------


def readiness_reference_data() -> None:
    """Squads, catalog and checklist templates. Data migrations seed them, but transactional
    tests flush every table afterwards, so tests that need them put them back (idempotent)."""
    from releasehub.catalog.models import FrontendApp, Service
    from releasehub.catalog.runbook import ensure_catalog
    from releasehub.readiness.models import ChecklistTemplateItem
    from releasehub.readiness.runbook import ensure_templates

    ensure_catalog(Squad, Service, FrontendApp)
    ensure_templates(ChecklistTemplateItem)


def readiness_cast() -> dict[str, User]:
    """The runbook's people, named as in the demo seed so browser tests can log in as them."""
    readiness_reference_data()
    return {
        "asha": user_with(Role.RELEASE_MANAGER, username="asha"),
        "priya": user_with(Role.SQUAD_REP, "patient", username="priya"),
        "rahul": user_with(Role.SQUAD_REP, "doctor", username="rahul"),
        "sana": user_with(Role.SQUAD_REP, "admin", username="sana"),
        "dev": user_with(Role.SQUAD_REP, "shared", username="dev"),
        "kiran": user_with(Role.SRE, username="kiran"),
        "neha": user_with(Role.QA_LEAD, username="neha"),
        "arjun": user_with(Role.LEADERSHIP, username="arjun"),
    }


def readiness_release(**kwargs) -> Release:
    """A release with its checklists copied from the templates, as release_create will do."""
    from releasehub.readiness.services import checklists_create_for

    readiness_reference_data()
    release = ReleaseFactory(**kwargs)
    checklists_create_for(release)
    return release


# Communications and the feature flag inventory ----------------------------------------------


def comms_reference_data() -> None:
    """Squads, the three message templates and the audiences (idempotent; see above)."""
    from releasehub.comms.defaults import ensure_audiences, ensure_templates
    from releasehub.comms.models import Audience, MessageTemplate

    readiness_reference_data()
    ensure_templates(MessageTemplate)
    ensure_audiences(Audience, Squad)


class FeatureFlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "flags.FeatureFlag"
        django_get_or_create = ["key"]

    key = factory.Sequence(lambda n: f"flag-{n}")
    description = "A feature behind a flag"
    default_state = "off"
    rollout_strategy = "percentage"


class FlagChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "releases.FlagChange"

    release = factory.SubFactory(ReleaseFactory)
    name = factory.Sequence(lambda n: f"flag-{n}")
    default_state = "off"
    added_by = factory.SubFactory(UserFactory)


# Release day (rollout) ---------------------------------------------------------------------


def rollout_release(
    services: list[str] | None = None, apps: list[str] | None = None, *, plans: bool = True
) -> Release:
    """A release at Go with the given services and apps in scope (by slug) and a rollback plan
    for each, made through the services so its clock and checklists exist."""
    from releasehub.releases.models import RollbackPlan, RollbackStrategy
    from releasehub.releases.services.lifecycle import release_create, release_transition

    readiness_reference_data()
    actor = UserFactory(username="rollout-setup")
    start, end = default_window(next_wednesday())
    release = release_create(
        version=f"2031.{Release.objects.count() + 1:04d}",
        window_start=start,
        window_end=end,
        actor=actor,
        release_manager=User.objects.filter(username="asha").first(),
    )
    services_ = [service(s) for s in services or []]
    apps_ = [app(a) for a in apps or []]
    ScopeTicketFactory(release=release, added_by=actor, services=services_, apps=apps_)
    for component in services_ + apps_ if plans else []:
        is_service = isinstance(component, Service)
        RollbackPlan.objects.create(
            release=release,
            service=component if is_service else None,
            app=None if is_service else component,
            strategy=(
                RollbackStrategy.REDEPLOY_CONTAINER
                if is_service
                else RollbackStrategy.REDEPLOY_BUILD
            ),
            previous="v1",
            steps="Redeploy v1",
            updated_by=actor,
            updated_at=timezone.now(),
        )
    release_transition(release=release, to=Release.Status.GO, actor=actor)
    return release
