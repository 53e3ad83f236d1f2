import datetime as dt

import pytest

from releasehub.accounts.models import RoleAssignment, User
from releasehub.audit.models import TimelineEvent
from releasehub.demo.seed import DemoRefused, seed_demo
from releasehub.releases.models import Release

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _debug_on(settings):
    settings.DEBUG = True


TODAY = dt.date(2026, 11, 27)


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (User, RoleAssignment, Release, TimelineEvent))


def test_seed_is_idempotent():
    seed_demo(today=TODAY)
    first = _counts()
    seed_demo(today=TODAY)
    assert _counts() == first


def test_seed_has_six_months_of_history_a_hotfix_a_rollback_and_the_next_four_trains():
    seed_demo(today=TODAY)
    regular = Release.objects.filter(kind=Release.Kind.REGULAR)
    past = regular.filter(window_start__date__lt=TODAY)
    assert past.count() >= 13
    assert min(r.window_start.date() for r in past) <= TODAY - dt.timedelta(days=170)
    assert Release.objects.filter(kind=Release.Kind.HOTFIX, status="completed").count() == 1
    assert past.filter(status=Release.Status.ROLLED_BACK).count() == 1
    assert regular.filter(window_start__date__gte=TODAY, status="planned").count() == 4


def test_seed_gives_every_role_a_person():
    from releasehub.accounts.models import Role

    seed_demo(today=TODAY)
    held = set(RoleAssignment.objects.values_list("role", flat=True))
    assert held == set(Role.values)


def test_seed_is_refused_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(DemoRefused):
        seed_demo(today=TODAY)
    assert User.objects.count() == 0
