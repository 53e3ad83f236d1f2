"""The SRE/staff page of timed actions, and the fragments the release page includes."""

import datetime as dt

import pytest
from django.template.loader import render_to_string

from releasehub.notify.selectors import deliveries_for_release
from releasehub.notify.services import outbox_add
from releasehub.releases.clock import IST
from releasehub.schedule.models import ActionKind, ActionStatus, ScheduledAction
from releasehub.schedule.selectors import actions_for_release
from tests.factories import ReleaseFactory
from tests.schedule.conftest import fire_due

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


def _releases(count: int) -> None:
    from releasehub.schedule.planning import replan

    for _ in range(count):
        replan(ReleaseFactory())


def test_sre_sees_overdue_failed_and_upcoming_in_constant_queries(
    client, people, release, clock, django_assert_max_num_queries
):
    clock.move_to(dt.datetime(2026, 11, 30, 10, 1, tzinfo=IST))  # T-48h overdue (beat down)
    client.force_login(people["sre"])  # after the move: sessions end after SESSION_IDLE_HOURS
    ScheduledAction.objects.filter(kind=ActionKind.FREEZE).update(status=ActionStatus.FAILED)
    with django_assert_max_num_queries(12) as few:
        response = client.get("/timed-actions/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "T-48h: pre-release checklist due" in body
    assert "Mon 30 Nov 2026, 10:00" in body  # due, in IST
    assert "Retry" in body
    _releases(5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/timed-actions/").status_code == 200


def test_the_page_is_for_sre_and_staff_only(client, people):
    client.force_login(people["patient"])
    assert client.get("/timed-actions/").status_code == 403
    client.force_login(people["leader"])
    assert client.get("/timed-actions/").status_code == 403


def test_htmx_polls_get_only_the_fragment(client, people):
    client.force_login(people["sre"])
    response = client.get("/timed-actions/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<div id="timed-actions"')


def test_sre_retries_a_failed_action(client, people, release):
    row = release.actions.get(kind=ActionKind.FREEZE)
    ScheduledAction.objects.filter(pk=row.pk).update(status=ActionStatus.FAILED, attempts=5)
    client.force_login(people["patient"])
    assert client.post(f"/timed-actions/actions/{row.code}/retry/").status_code == 403
    client.force_login(people["sre"])
    response = client.post(f"/timed-actions/actions/{row.code}/retry/")
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.status == ActionStatus.PENDING and row.attempts == 0
    assert client.get(f"/timed-actions/actions/{row.code}/retry/").status_code == 405


def test_release_fragments_list_actions_and_deliveries_in_constant_queries(
    release, clock, people, django_assert_num_queries
):
    clock.move_to(dt.datetime(2026, 11, 30, 10, 0, tzinfo=IST))
    fire_due()
    action = release.actions.get(kind=ActionKind.PRE_RELEASE_DUE)
    outbox_add(action=action, users=[people["leader"]], subject="extra", body="x")
    with django_assert_num_queries(2):
        actions = actions_for_release(release)
        deliveries = deliveries_for_release(release)
        html = render_to_string("schedule/_release_actions.html", {"actions": actions})
        html += render_to_string("notify/_delivery_log.html", {"deliveries": deliveries})
    assert 'id="timed-actions"' in html and 'id="delivery-log"' in html
    assert "Mon 30 Nov 2026, 18:00" in html  # the freeze, due in IST
    assert "0.0 s" in html  # lateness of the fired reminder
    assert "kiran@example.com" in html
