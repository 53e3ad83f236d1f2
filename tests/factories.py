import datetime as dt

import factory
from django.conf import settings
from django.utils import timezone

from releasehub.accounts.models import Role, RoleAssignment, Squad, User
from releasehub.releases.clock import default_window
from releasehub.releases.models import Release


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


def next_wednesday(after: dt.date | None = None) -> dt.date:
    day = (after or timezone.localdate()) + dt.timedelta(days=1)
    return day + dt.timedelta(days=(2 - day.weekday()) % 7)


class ReleaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Release

    version = factory.Sequence(lambda n: f"2030.{n:04d}")
    kind = Release.Kind.REGULAR
    window_start = factory.LazyFunction(lambda: default_window(next_wednesday())[0])
    window_end = factory.LazyAttribute(lambda r: r.window_start + dt.timedelta(hours=2))
