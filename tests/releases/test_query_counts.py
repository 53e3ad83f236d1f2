"""Pages answer with a query count that does not grow with the number of releases."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from releasehub.accounts.models import Role
from releasehub.notify.models import Outbox
from releasehub.readiness.models import Phase, SignOff
from releasehub.readiness.panels import SRE_SLOT
from releasehub.readiness.services.checklists import checklists_create_for
from releasehub.readiness.services.qa import smoke_record
from releasehub.readiness.services.signoffs import signoff_record
from releasehub.releases.models import FreezeException, Release, RollbackPlan
from releasehub.releases.services.freeze import freeze_exception_request
from releasehub.releases.services.lifecycle import release_transition
from releasehub.releases.services.scope import risk_add
from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction
from tests.factories import (
    SESSION_QUERIES,
    ScopeTicketFactory,
    app,
    readiness_reference_data,
    release_in,
    rm,
    service,
    squad,
    user_with,
)

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


def _filler(count: int, manager) -> None:
    """Releases around the two that the dashboard shows: past, far future, hotfixes, with an
    exception each, so every prefetch has rows whatever the count."""
    now = timezone.now()
    statuses = [Release.Status.COMPLETED, Release.Status.CANCELLED, Release.Status.ROLLED_BACK]
    rows = []
    for i in range(count):
        past = i % 2 == 0
        start = now + dt.timedelta(days=(-7 - i) if past else (60 + i))
        rows.append(
            Release(
                version=f"filler.{i}",
                kind=Release.Kind.HOTFIX if i % 5 == 0 else Release.Kind.REGULAR,
                status=statuses[i % 3] if past else Release.Status.PLANNED,
                window_start=start,
                window_end=start + dt.timedelta(hours=2),
                release_manager=manager,
            )
        )
    Release.objects.bulk_create(rows)
    FreezeException.objects.bulk_create(
        FreezeException(
            release=r,
            items="PAT-1",
            reason="r",
            risk="r",
            rollback_note="r",
            requested_by=manager,
            requested_at=now,
        )
        for r in Release.objects.filter(version__startswith="filler.")
    )


def _scoped(days: int, manager, requester) -> Release:
    release = release_in(days, release_manager=manager)
    ScopeTicketFactory(
        release=release,
        squad=squad("patient"),
        services=[service("identity"), service("payments")],
        apps=[app("patient-web")],
        added_by=manager,
        merged=False,
    )
    RollbackPlan.objects.create(
        release=release,
        service=service("identity"),
        strategy="redeploy_container",
        previous="v1",
        steps="s",
        updated_by=manager,
        updated_at=timezone.now(),
    )
    freeze_exception_request(
        release=release, actor=requester, items="PAT-9", reason="r", risk="r", rollback_note="r"
    )
    risk_add(release=release, actor=manager, description="d")
    return release


def _counts(client, urls) -> list[tuple[int, list[str]]]:
    counts = []
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, url
        counts.append((len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]))
    return counts


# Exact counts, so that a change is seen and re-baselined on purpose. The ticket page and the
# dashboard include the readiness panels (Go/No-Go: squads, sign-offs, involvement, decisions,
# last scope change, checklist items), the timed actions, the delivery log and the comms
# section (sent messages for the suggestion).
SESSION = SESSION_QUERIES
DASHBOARD_QUERIES = 17 + SESSION
LIST_QUERIES = 5 + SESSION
DETAIL_QUERIES = 11 + SESSION  # the Scope stage
CALENDAR_QUERIES = 3 + SESSION
DASHBOARD_QUERIES_ON_GO = 23 + SESSION  # the computed items read the cards' ticket rows
# The release page's Go/No-Go, Release day and Wrap-up stages (each builds only its panels; the
# shared panels read the release's version first; the rail counts missing rollback plans in
# three plain reads).
DETAIL_QUERIES_WITH_CHECKLISTS = tuple(n + SESSION for n in (22, 13, 10))


@pytest.fixture(autouse=True)
def _built_for_every_read(settings):
    # The counts below are what a page costs to build: nothing is shared from an earlier read
    # (audit.live.shared; tests/readiness/test_shared_panels.py and
    # tests/pages/test_shared_stage_rows.py count a shared read).
    settings.LIVE_SHARED_SECONDS = 0


@pytest.mark.parametrize("filter_", ["upcoming", "past", "hotfixes", "all"])
def test_page_query_counts_do_not_grow_from_5_to_200_releases(client, filter_):
    manager, requester = rm(), user_with(Role.SQUAD_REP, "patient")
    first = _scoped(14, manager, requester)
    _scoped(28, manager, requester)
    _filler(3, manager)  # 5 releases
    client.force_login(manager)
    urls = [
        reverse("pages:dashboard"),
        reverse("releases:list") + f"?show={filter_}",
        # The stage with the scope (tests/pages counts every stage).
        reverse("pages:stage", args=[first.code, "scope"]),
        reverse("releases:calendar"),
    ]
    expected = [DASHBOARD_QUERIES, LIST_QUERIES, DETAIL_QUERIES, CALENDAR_QUERIES]
    client.get(urls[0])  # warm the session
    with_5 = _counts(client, urls)
    _add_more(manager, 195)
    assert Release.objects.count() == 200
    with_200 = _counts(client, urls)
    for url, n, (n5, sql5), (n200, sql200) in zip(urls, expected, with_5, with_200, strict=True):
        assert n200 == n5, f"{url}: {n5} queries with 5 releases, {n200} with 200:\n" + "\n".join(
            sql200
        )
        assert n5 == n, f"{url}: {n5} queries, expected {n}:\n" + "\n".join(sql5)


def _add_more(manager, count):
    # Same shape, more rows: rename the first filler batch out of the way and add a bigger one.
    for r in Release.objects.filter(version__startswith="filler."):
        Release.objects.filter(pk=r.pk).update(version=f"old-{r.version}")
    _filler(count, manager)


def test_the_dashboard_stops_polling_when_nothing_is_live(client):
    manager = rm()
    release = release_in(14, release_manager=manager)
    client.force_login(manager)
    html = client.get(reverse("pages:dashboard")).content.decode()
    # The Go/No-Go panel polls itself before release day; the dashboard itself does not.
    assert '<div id="dashboard-live" data-live="false">' in html
    release_transition(release=release, to=Release.Status.GO, actor=manager)
    html = client.get(reverse("pages:dashboard"), HTTP_HX_REQUEST="true").content.decode()
    assert html.lstrip().startswith('<div id="dashboard-live" hx-get="/" hx-trigger="every 20s,')


# The other apps' sections of the release page and the dashboard ----------------------------


def _readiness_rows(release: Release, count: int, people: dict) -> None:
    """`count` timed actions, deliveries, sign-offs and (once it is Go) smoke results."""
    now = timezone.now()
    kinds = list(ActionKind)
    first = ScheduledAction.objects.filter(release=release).count()
    actions = ScheduledAction.objects.bulk_create(
        ScheduledAction(
            release=release,
            kind=kinds[i % len(kinds)],
            service=service("payments") if i % 2 else None,
            due_at=now + dt.timedelta(minutes=i),
            status=ActionStatus.DONE if i % 3 else ActionStatus.PENDING,
            fired_at=now if i % 3 else None,
            sequence=1000 + first + i,
        )
        for i in range(count)
    )
    Outbox.objects.bulk_create(
        Outbox(
            action=actions[i],
            release=release,
            recipient=f"person{first + i}@example.com",
            subject=f"Reminder {i}",
            body="b",
            next_attempt_at=now,
        )
        for i in range(count)
    )
    slot = SRE_SLOT
    items = [i for i in checklists_create_for(release) if i.phase == Phase.SMOKE]
    for i in range(count):
        decision, comment = ("go", "") if i % 2 else ("no_go", f"not yet {i}")
        signoff_record(
            release=release, actor=people["sre"], slot=slot, decision=decision, comment=comment
        )
        if release.status != Release.Status.GO:
            continue
        outcome, notes = ("passed", "") if i % 2 else ("failed", f"broken {i}")
        smoke_record(item=items[i % len(items)], actor=people["qa"], outcome=outcome, notes=notes)


def test_release_page_and_dashboard_do_not_grow_with_actions_deliveries_and_sign_offs(client):
    readiness_reference_data()
    manager, requester = rm(), user_with(Role.SQUAD_REP, "patient")
    people = {"sre": user_with(Role.SRE), "qa": user_with(Role.QA_LEAD)}
    release = _scoped(14, manager, requester)
    # GO: the dashboard shows both the Go/No-Go and the smoke panel of the current release.
    Release.objects.filter(pk=release.pk).update(status=Release.Status.GO)
    release.refresh_from_db()
    other = _scoped(28, manager, requester)
    client.force_login(manager)
    urls = [
        reverse("pages:dashboard"),
        *(reverse("pages:stage", args=[release.code, s]) for s in ("go-no-go", "release-day")),
        reverse("pages:stage", args=[release.code, "wrap-up"]),
    ]
    client.get(urls[0])  # warm the session
    _readiness_rows(release, 5, people)
    _readiness_rows(other, 5, people)
    with_5 = _counts(client, urls)
    _readiness_rows(release, 45, people)
    assert ScheduledAction.objects.filter(release=release).count() >= 50
    assert SignOff.objects.filter(release=release).count() == 50
    with_50 = _counts(client, urls)
    for url, (n5, _), (n50, sql50) in zip(urls, with_5, with_50, strict=True):
        assert n50 == n5, f"{url}: {n5} queries with 5 rows, {n50} with 50:\n" + "\n".join(sql50)
    # With checklists created, the panels also load their updates and smoke results and the
    # computed items' data; on Go the dashboard adds the smoke panel to the Go/No-Go panel.
    assert [n for n, _ in with_50] == [
        DASHBOARD_QUERIES_ON_GO,
        *DETAIL_QUERIES_WITH_CHECKLISTS,
    ], "\n\n".join("\n".join(sql) for _, sql in with_50)
    go_no_go, release_day, wrap_up = (client.get(u).content.decode() for u in urls[1:])
    assert "not yet" in go_no_go and "Smoke test failed" in release_day
    assert "person49@example.com" in wrap_up
