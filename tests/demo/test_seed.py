import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from releasehub.accounts.models import RoleAssignment, User
from releasehub.audit.models import TimelineEvent
from releasehub.demo.seed import DemoRefused, seed_demo
from releasehub.readiness.models import SignOff
from releasehub.readiness.panels import go_no_go_state
from releasehub.releases.clock import IST
from releasehub.releases.models import (
    FlagChange,
    FreezeException,
    Hotfix,
    Release,
    Risk,
    RollbackPlan,
    ScopeTicket,
)
from releasehub.releases.selectors import missing_plans

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _debug_on(settings):
    settings.DEBUG = True


TODAY = dt.date(2026, 11, 27)


SEEDED = (
    User,
    RoleAssignment,
    Release,
    TimelineEvent,
    ScopeTicket,
    Risk,
    FlagChange,
    RollbackPlan,
    FreezeException,
    SignOff,
    Hotfix,
)


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in SEEDED)


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


# The next train release is Wednesday 2 Dec 2026, window 10:00 IST, code freeze Monday 18:00 IST.
NEXT_TRAIN = dt.date(2026, 12, 2)
INSTANTS = {
    "scope-open": dt.datetime(2026, 11, 26, 15, 0, tzinfo=IST),
    "just-frozen": dt.datetime(2026, 11, 30, 18, 1, tzinfo=IST),
    "before-the-window": dt.datetime(2026, 12, 2, 9, 45, tzinfo=IST),
}


def _next_release(now: dt.datetime) -> Release:
    return (
        Release.objects.filter(kind=Release.Kind.REGULAR, status__in=Release.OPEN_STATUSES)
        .filter(window_start__gt=now)
        .order_by("window_start")
        .first()
    )


@pytest.mark.parametrize("now", INSTANTS.values(), ids=INSTANTS.keys())
def test_the_next_release_has_a_realistic_scope_whenever_the_demo_is_seeded(now):
    with time_machine.travel(now, tick=True):
        seed_demo()
        release = _next_release(now)
        state = go_no_go_state(release)
    assert release.train_date == NEXT_TRAIN
    tickets = list(release.tickets.prefetch_related("services", "apps"))
    assert len(tickets) >= 3
    assert len({t.squad_id for t in tickets}) >= 2
    assert any(t.services.all() for t in tickets) and any(t.apps.all() for t in tickets)
    assert release.risks.exists() and release.flags.exists()
    assert release.rollback_plans.count() >= 3
    assert missing_plans(release) != []  # one gap left for the RM to chase, as in real life
    assert [e.keys for e in release.exceptions.all() if e.is_pending] == [["DOC-220"]]
    # Written through the services: the timeline is the evidence of every ticket.
    added = TimelineEvent.objects.filter(release=release, verb="scope.ticket_added")
    assert sorted(e.after["key"] for e in added) == sorted(t.key for t in tickets)
    signed = [row for row in state.rows if row.current is not None]
    assert len(signed) >= 2
    assert not any(s.stale for s in signed)


def test_seeding_twice_during_the_freeze_adds_nothing():
    with time_machine.travel(INSTANTS["just-frozen"], tick=True):
        seed_demo()
        first = _counts()
        seed_demo()
    assert _counts() == first


@pytest.mark.clock
def test_the_dashboards_smoke_card_names_the_release_it_belongs_to(client, demo_data):
    client.force_login(demo_data["asha"])
    html = client.get(reverse("pages:dashboard")).content.decode()
    live = Release.objects.get(kind=Release.Kind.HOTFIX, status=Release.Status.DEPLOYING)
    start = html.index(f'id="smoke-status-{live.code}"')
    card = html[start : html.index("</section>", start)]
    heading = re.search(r"<h2[^>]*>(.*?)</h2>", card, re.S).group(1)
    assert f"Hotfix {live.version}" in re.sub(r"<[^>]+>", "", heading)
