"""Pages answer with a query count that does not grow with the number of releases."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from releasehub.accounts.models import Role
from releasehub.releases import services
from releasehub.releases.models import FreezeException, Release, RollbackPlan
from tests.factories import (
    ScopeTicketFactory,
    app,
    release_in,
    rm,
    service,
    squad,
    user_with,
)

pytestmark = pytest.mark.django_db


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
    services.freeze_exception_request(
        release=release, actor=requester, items="PAT-9", reason="r", risk="r", rollback_note="r"
    )
    services.risk_add(release=release, actor=manager, description="d")
    return release


def _counts(client, urls) -> list[tuple[int, list[str]]]:
    counts = []
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, url
        counts.append((len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]))
    return counts


@pytest.mark.parametrize("filter_", ["upcoming", "past", "hotfixes", "all"])
def test_page_query_counts_do_not_grow_from_5_to_200_releases(client, filter_):
    manager, requester = rm(), user_with(Role.SQUAD_REP, "patient")
    first = _scoped(14, manager, requester)
    _scoped(28, manager, requester)
    _filler(3, manager)  # 5 releases
    client.force_login(manager)
    urls = [
        reverse("releases:dashboard"),
        reverse("releases:list") + f"?show={filter_}",
        reverse("releases:detail", args=[first.code]),
        reverse("releases:calendar"),
    ]
    client.get(urls[0])  # warm the session
    with_5 = _counts(client, urls)
    _add_more(manager, 195)
    assert Release.objects.count() == 200
    with_200 = _counts(client, urls)
    for url, (n5, sql5), (n200, sql200) in zip(urls, with_5, with_200, strict=True):
        assert n200 == n5, f"{url}: {n5} queries with 5 releases, {n200} with 200:\n" + "\n".join(
            sql200
        )
        assert n5 <= 30, "\n".join(sql5)


def _add_more(manager, count):
    # Same shape, more rows: rename the first filler batch out of the way and add a bigger one.
    for r in Release.objects.filter(version__startswith="filler."):
        Release.objects.filter(pk=r.pk).update(version=f"old-{r.version}")
    _filler(count, manager)


def test_the_dashboard_stops_polling_when_nothing_is_live(client):
    manager = rm()
    release = release_in(14, release_manager=manager)
    client.force_login(manager)
    html = client.get(reverse("releases:dashboard")).content.decode()
    assert 'data-live="false"' in html and "hx-trigger" not in html
    services.release_transition(release, Release.Status.GO, actor=manager)
    html = client.get(reverse("releases:dashboard"), HTTP_HX_REQUEST="true").content.decode()
    assert html.lstrip().startswith('<div id="dashboard-live" hx-get="/" hx-trigger="every 20s"')
