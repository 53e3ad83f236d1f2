"""Polls that cost nearly nothing when nothing changed (#15 item 3): a live section sends the
version it was rendered at and gets 204 with no body until something it shows has changed."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.urls import reverse

from releasehub.accounts.models import Role
from releasehub.audit import live
from releasehub.audit.live import SINCE_HEADER
from releasehub.audit.timeline import record_event
from releasehub.notify.models import DeliveryStatus, Outbox
from releasehub.releases.models import Release
from releasehub.rollout.services.promotion import service_step_record
from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction
from tests.factories import readiness_cast, rollout_release, service, user_with

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

HTMX = {"HX-Request": "true"}
# An unchanged poll reads the user row and the marker. Without a shared cache (SQLite, no
# REDIS_URL) sessions stay in the database, which costs the session row as well.
UNCHANGED_POLL_QUERIES = 2 if settings.CACHE_URL else 3


def _since(response) -> str:
    found = re.search(r'data-live-since="([^"]+)"', response.content.decode())
    assert found, "the polled element carries no version"
    return found.group(1)


def poll(client, url: str, since: str = ""):
    headers = {**HTMX, SINCE_HEADER: since} if since else HTMX
    return client.get(url, headers=headers)


@pytest.fixture
def cast(db) -> dict:
    return readiness_cast()


@pytest.fixture
def board(cast):
    release = rollout_release(["identity", "providers"])
    return release, reverse("rollout:board", args=[release.code])


def test_an_unchanged_board_poll_is_204_with_no_body(
    client, cast, board, django_assert_max_num_queries
):
    _, url = board
    client.force_login(cast["kiran"])
    since = _since(poll(client, url))
    with django_assert_max_num_queries(UNCHANGED_POLL_QUERIES):
        response = poll(client, url, since)
    assert response.status_code == 204 and response.content == b""


def test_a_change_renders_the_board_with_a_new_version(client, cast, board):
    release, url = board
    client.force_login(cast["kiran"])
    since = _since(poll(client, url))
    service_step_record(
        release=release,
        service=service("identity"),
        kind="staging_deployed",
        actor=cast["kiran"],
        passed=None,
        note="",
    )
    response = poll(client, url, since)
    assert response.status_code == 200 and _since(response) != since
    assert b"deployed" in response.content
    assert poll(client, url, _since(response)).status_code == 204


def test_a_section_is_rendered_again_after_the_max_stale_age(client, cast, board, fixed_clock):
    _, url = board
    client.force_login(cast["kiran"])
    since = _since(poll(client, url))
    fixed_clock.shift(dt.timedelta(seconds=settings.LIVE_POLL_MAX_STALE // 2 - 5))
    assert poll(client, url, since).status_code == 204
    fixed_clock.shift(dt.timedelta(seconds=settings.LIVE_POLL_MAX_STALE // 2 + 10))
    assert poll(client, url, since).status_code == 200


def test_sections_rendered_together_come_due_spread_over_half_the_period():
    most = settings.LIVE_POLL_MAX_STALE
    keeps = [int(live.stamp("e1").rpartition("+")[2]) for _ in range(200)]
    assert min(keeps) >= most // 2 and max(keeps) <= most
    assert len(set(keeps)) > most // 4  # spread, not one value


def test_a_version_cannot_ask_to_be_kept_longer_than_the_setting(client, cast, board, fixed_clock):
    _, url = board
    client.force_login(cast["kiran"])
    marker, _, kept = _since(poll(client, url)).rpartition("@")
    forever = f"{marker}@{kept.partition('+')[0]}+999999"
    fixed_clock.shift(dt.timedelta(seconds=settings.LIVE_POLL_MAX_STALE + 1))
    assert poll(client, url, forever).status_code == 200
    assert poll(client, url, f"{marker}@{kept.partition('+')[0]}").status_code == 200


def test_only_the_elements_own_poll_can_be_answered_with_204(client, cast, board):
    """A link or form in the section, or the page itself, never sends the header."""
    _, url = board
    client.force_login(cast["kiran"])
    since = _since(poll(client, url))
    assert poll(client, url).status_code == 200
    page = client.get(url, headers={SINCE_HEADER: since})
    assert page.status_code == 200 and b"<html" in page.content


def test_another_releases_change_does_not_refresh_the_board(client, cast, board):
    release, url = board
    client.force_login(cast["kiran"])
    since = _since(poll(client, url))
    other = rollout_release(["payments"])
    record_event(verb="test.other", target=other, release=other, summary="elsewhere")
    assert poll(client, url, since).status_code == 204
    record_event(verb="test.this", target=release, release=release, summary="here")
    assert poll(client, url, since).status_code == 200


@pytest.mark.parametrize("name", ["readiness:panel", "readiness:smoke_panel"])
def test_readiness_panels_answer_204_until_their_release_changes(
    client, cast, name, django_assert_max_num_queries
):
    release = rollout_release(["identity"])
    url = reverse(name, args=[release.code])
    client.force_login(cast["priya"])
    first = poll(client, url)
    assert first.status_code == 200
    since = _since(first)
    with django_assert_max_num_queries(UNCHANGED_POLL_QUERIES):
        assert poll(client, url, since).status_code == 204
    record_event(verb="test.change", target=release, release=release, summary="changed")
    assert poll(client, url, since).status_code == 200


def test_the_dashboard_poll_is_204_until_anything_changes(
    client, cast, django_assert_max_num_queries
):
    release = rollout_release(["identity"])  # at Go: the dashboard is live
    client.force_login(cast["arjun"])
    since = _since(poll(client, reverse("pages:dashboard")))
    with django_assert_max_num_queries(UNCHANGED_POLL_QUERIES):
        assert poll(client, reverse("pages:dashboard"), since).status_code == 204
    record_event(verb="test.change", target=release, release=release, summary="changed")
    assert poll(client, reverse("pages:dashboard"), since).status_code == 200


def test_timed_actions_follow_rows_that_write_no_timeline_event(
    client, cast, django_assert_max_num_queries
):
    """A claim, a failure or a failed delivery changes no timeline: the marker reads the rows."""
    release = rollout_release(["identity"])
    url = reverse("schedule:overview")
    client.force_login(cast["kiran"])
    since = _since(poll(client, url))
    with django_assert_max_num_queries(UNCHANGED_POLL_QUERIES):
        assert poll(client, url, since).status_code == 204

    action = ScheduledAction.objects.filter(release=release, status=ActionStatus.PENDING).first()
    ScheduledAction.objects.filter(pk=action.pk).update(status=ActionStatus.FAILED)
    response = poll(client, url, since)
    assert response.status_code == 200
    since = _since(response)

    Outbox.objects.create(
        release=release,
        recipient="asha@example.com",
        subject="Go/No-Go reminder",
        body="",
        next_attempt_at=release.window_end,
        status=DeliveryStatus.FAILED,
        action=ScheduledAction.objects.create(
            release=release, kind=ActionKind.PROBE, due_at=release.window_end
        ),
    )
    response = poll(client, url, since)
    assert response.status_code == 200 and b"Go/No-Go reminder" in response.content


def test_timed_action_polls_are_refused_to_others_as_before(client, cast):
    client.force_login(cast["priya"])
    response = poll(client, reverse("schedule:overview"), "a0.0.0.0.0.0.0@1")
    assert response.status_code == 403


def test_a_poll_for_a_release_that_does_not_exist_is_404(client, cast):
    client.force_login(cast["kiran"])
    url = reverse("rollout:board", args=["00000000-0000-0000-0000-000000000000"])
    assert poll(client, url).status_code == 404


def test_the_board_tells_its_live_region_what_changed(client, cast, board):
    release, url = board
    client.force_login(cast["kiran"])
    response = poll(client, url)
    assert 'data-live-announce="Status: Go.' in response.content.decode()
    Release.objects.filter(pk=release.pk).update(status=Release.Status.DEPLOYING)
    record_event(verb="test.change", target=release, release=release, summary="changed")
    assert (
        'data-live-announce="Status: Deploying.'
        in poll(client, url, _since(response)).content.decode()
    )


def test_an_sre_polls_timed_actions_as_an_sre(client, db):
    """The role check is part of the marker's one query, for roles held, not only staff."""
    readiness_cast()
    sre = user_with(Role.SRE, username="sre-two")
    client.force_login(sre)
    assert poll(client, reverse("schedule:overview")).status_code == 200
