"""The changelog, the timed-actions page and the release list paginate: each page costs the same
queries however long the history, a bad page number never fails, and the links keep the rest of
the query string (the timed-actions poll keeps the page the SRE is on)."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from releasehub.accounts.models import Role
from releasehub.comms.views import CHANGELOG_PER_PAGE
from releasehub.notify.models import DeliveryStatus, Outbox
from releasehub.releases.models import Release
from releasehub.releases.views import RELEASES_PER_PAGE
from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction
from releasehub.schedule.selectors import PAGE_ROWS
from tests.factories import ReleaseFactory, user_with

pytestmark = [pytest.mark.clock, pytest.mark.django_db]
SMALL, LARGE = 5, 120
S = Release.Status


@pytest.fixture
def sre(client):
    user = user_with(Role.SRE)
    client.force_login(user)
    return user


def _releases(count: int, **kwargs) -> None:
    start = timezone.now() + dt.timedelta(days=30)
    Release.objects.bulk_create(
        ReleaseFactory.build(
            window_start=start + dt.timedelta(days=i),
            window_end=start + dt.timedelta(days=i, hours=2),
            **kwargs,
        )
        for i in range(Release.objects.count(), Release.objects.count() + count)
    )


def _actions(count: int) -> None:
    """`count` rows each overdue, upcoming and failed, and as many failed deliveries."""
    now = timezone.now()
    done = ScheduledAction.objects.count()
    rows = []
    for i in range(done, done + count):
        for status, due in (
            (ActionStatus.PENDING, now - dt.timedelta(hours=1, minutes=i)),
            (ActionStatus.PENDING, now + dt.timedelta(hours=1, minutes=i)),
            (ActionStatus.FAILED, now - dt.timedelta(days=1, minutes=i)),
        ):
            rows.append(
                ScheduledAction(
                    kind=ActionKind.RUNBOOK_REVIEW, due_at=due, status=status, finished_at=due
                )
            )
    ScheduledAction.objects.bulk_create(rows)
    Outbox.objects.bulk_create(
        Outbox(
            recipient=f"person{i}@example.com",
            subject=f"Delivery {i}",
            body="x",
            status=DeliveryStatus.FAILED,
            next_attempt_at=now,
        )
        for i in range(done, done + count)
    )


def _queries(client, url: str, **kwargs) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **kwargs)
    assert response.status_code == 200
    return len(queries.captured_queries), response.content.decode()


def _same_queries_at_two_sizes(client, url: str, grow) -> str:
    grow(SMALL)
    small, _ = _queries(client, url)
    grow(LARGE - SMALL)
    large, body = _queries(client, url)
    assert large == small, f"{url}: {small} queries at {SMALL} rows, {large} at {LARGE}"
    return body


def test_the_release_list_pages_in_constant_queries(client, sre):
    body = _same_queries_at_two_sizes(client, "/releases/?show=all&page=2", lambda n: _releases(n))
    assert body.count('data-label="Version"') == RELEASES_PER_PAGE
    assert 'aria-current="page">2</a>' in body
    # The links keep the filter.
    assert 'href="?show=all&amp;page=3"' in body and 'rel="prev"' in body


def test_the_changelog_pages_in_constant_queries(client, sre):
    body = _same_queries_at_two_sizes(
        client, "/changelog/?page=2", lambda n: _releases(n, status=S.COMPLETED)
    )
    assert body.count("## 2030.") == CHANGELOG_PER_PAGE  # ReleaseFactory versions
    assert '<nav class="pagination" aria-label="Changelog pages">' in body


def test_the_timed_actions_page_pages_each_list_in_constant_queries(client, sre):
    body = _same_queries_at_two_sizes(client, "/timed-actions/?failed=2", _actions)
    assert f'Overdue <span class="muted">({LARGE})</span>' in body
    failed = body.split('id="failed-heading"')[1].split('id="failed-deliveries-heading"')[0]
    assert failed.count("<tr") - 1 == PAGE_ROWS  # a header row, then one page
    assert 'href="?failed=3"' in failed and 'aria-current="page">2</a>' in failed
    # The other lists stay on their first page, and their links keep the failed list's page.
    assert 'href="?failed=2&amp;overdue=2"' in body
    assert 'href="?failed=2&amp;deliveries=2"' in body


def test_the_timed_actions_poll_keeps_the_page(client, sre):
    _actions(LARGE)
    page = client.get("/timed-actions/?overdue=3&failed=2").content.decode()
    assert re.search(r'hx-get="/timed-actions/\?overdue=3&amp;failed=2"', page)
    poll = client.get("/timed-actions/?overdue=3&failed=2", headers={"HX-Request": "true"})
    fragment = poll.content.decode()
    assert fragment.lstrip().startswith('<div id="timed-actions"')
    overdue = fragment.split('id="overdue-heading"')[1].split('id="failed-heading"')[0]
    assert 'aria-current="page">3</a>' in overdue


@pytest.mark.parametrize("page", ["abc", "-1", "0", "999", "2.5", ""])
@pytest.mark.parametrize(
    "url", ["/releases/?show=all&page=", "/changelog/?page=", "/timed-actions/?failed="]
)
def test_a_bad_page_number_gives_the_first_or_last_page(client, sre, url, page):
    _releases(LARGE, status=S.COMPLETED)
    _actions(LARGE)
    response = client.get(url + page)
    assert response.status_code == 200
    assert re.search(
        r'class="pagination".*aria-current="page">\d+</a>', response.content.decode(), re.S
    )


def test_one_page_shows_no_page_links(client, sre):
    _releases(SMALL, status=S.COMPLETED)
    assert b'class="pagination"' not in client.get("/releases/?show=all").content
    assert b'class="pagination"' not in client.get("/changelog/").content
