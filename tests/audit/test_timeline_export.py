"""A release's whole timeline as JSON and CSV, for auditors: RM, SRE and staff only."""

import csv
import datetime as dt
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from releasehub.accounts.models import Role
from releasehub.audit.models import TimelineEvent
from releasehub.audit.timeline import record_event
from tests.factories import ReleaseFactory, UserFactory, readiness_reference_data, rm, user_with

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 12, 2, 4, 30, tzinfo=dt.UTC)
DDE = "=cmd|' /C calc'!A0"
FORMATS = ["releases:timeline_json", "releases:timeline_csv"]


@pytest.fixture
def release():
    readiness_reference_data()  # the squads
    return ReleaseFactory(version="2026.24", window_start=START)


@pytest.fixture
def events(release):
    manager = rm(username="asha", first_name="Asha", last_name="Rao")
    made = [
        record_event(
            verb="release.created",
            target=release,
            release=release,
            summary="Release 2026.24 planned",
            actor=manager,
            occurred_at=START - dt.timedelta(days=10),
        ),
        record_event(
            verb="release.moved",
            target=release,
            release=release,
            summary=DDE,
            reason="@SUM(1+1)",
            actor=manager,
            before={"window_start": "2026-12-02T10:00"},
            after={"window_start": "2026-12-09T10:00"},
            occurred_at=START - dt.timedelta(days=5),
        ),
        record_event(
            verb="schedule.freeze",
            target=release,
            release=release,
            summary="Code freeze started",
            occurred_at=START - dt.timedelta(days=2),
        ),
    ]
    other = ReleaseFactory(version="2026.25", window_start=START + dt.timedelta(days=14))
    record_event(verb="release.created", target=other, release=other, summary="Not this one")
    return made


def _get(client, name: str, release):
    return client.get(reverse(name, args=[release.code]))


def _body(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode()


@pytest.mark.parametrize("who", ["rm", "sre", "staff"])
@pytest.mark.parametrize("name", FORMATS)
def test_rm_sre_and_staff_export_the_timeline(client, release, events, who, name):
    users = {
        "rm": lambda: rm(),
        "sre": lambda: user_with(Role.SRE),
        "staff": lambda: UserFactory(is_staff=True),
    }
    client.force_login(users[who]())
    response = _get(client, name, release)
    assert response.status_code == 200
    assert "Code freeze started" in _body(response)


@pytest.mark.parametrize(
    "role", [Role.SQUAD_REP, Role.QA_LEAD, Role.LEADERSHIP, Role.SUPPORT], ids=str
)
@pytest.mark.parametrize("name", FORMATS)
def test_other_roles_are_refused(client, release, events, role, name):
    client.force_login(user_with(role, squad="patient" if role == Role.SQUAD_REP else None))
    response = _get(client, name, release)
    assert response.status_code == 403
    assert "Code freeze" not in response.content.decode()


@pytest.mark.parametrize("name", FORMATS)
def test_anonymous_is_sent_to_sign_in_and_an_unknown_release_is_404(client, release, name):
    assert _get(client, name, release).status_code == 302
    client.force_login(rm())
    assert (
        client.get(reverse(name, args=["00000000-0000-0000-0000-000000000000"])).status_code == 404
    )


def test_the_json_holds_every_field_oldest_first_and_only_this_release(client, release, events):
    client.force_login(rm())
    response = _get(client, "releases:timeline_json", release)
    assert response["Content-Type"] == "application/json"
    assert 'filename="timeline-2026.24.json"' in response["Content-Disposition"]
    got = json.loads(_body(response))
    assert got["release"] == {"code": str(release.code), "version": "2026.24"}
    assert [e["verb"] for e in got["events"]] == [
        "release.created",
        "release.moved",
        "schedule.freeze",
    ]
    moved = got["events"][1]
    assert moved == {
        "code": str(events[1].code),
        "occurred_at": "2026-11-27T10:00:00+05:30",
        "verb": "release.moved",
        "summary": DDE,
        "reason": "@SUM(1+1)",
        "actor": "asha",
        "actor_name": "Asha Rao",
        "actor_roles": ["Release Manager"],
        "automatic": False,
        "target_type": "releases.release",
        "target_id": str(release.pk),
        "before": {"window_start": "2026-12-02T10:00"},
        "after": {"window_start": "2026-12-09T10:00"},
    }
    assert got["events"][2]["automatic"] is True and got["events"][2]["actor"] is None


def test_the_csv_has_the_same_events_with_formulas_quoted(client, release, events):
    client.force_login(rm())
    response = _get(client, "releases:timeline_csv", release)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="timeline-2026.24.csv"' in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(_body(response))))
    assert [r["verb"] for r in rows] == ["release.created", "release.moved", "schedule.freeze"]
    moved = rows[1]
    assert moved["summary"] == "'" + DDE
    assert moved["reason"] == "'@SUM(1+1)"
    assert moved["occurred_at"] == "2026-11-27T10:00:00+05:30"
    assert moved["actor_roles"] == "Release Manager"
    assert moved["automatic"] == "no" and rows[2]["automatic"] == "yes"
    assert json.loads(moved["before"]) == {"window_start": "2026-12-02T10:00"}
    assert rows[2]["before"] == ""


def test_a_hostile_version_does_not_break_the_file_name(client):
    release = ReleaseFactory(version='a"b;c\\d', window_start=START)
    client.force_login(rm())
    response = _get(client, "releases:timeline_csv", release)
    assert 'filename="timeline-a_b_c_d.csv"' in response["Content-Disposition"]


def _add_events(release, count: int) -> None:
    actor = user_with(Role.SRE)
    TimelineEvent.objects.bulk_create(
        TimelineEvent(
            occurred_at=START - dt.timedelta(minutes=n),
            actor=actor if n % 2 else None,
            automatic=not n % 2,
            verb="rollout.step",
            summary=f"Step {n}",
            target_type="releases.release",
            target_id=str(release.pk),
            release=release,
        )
        for n in range(count)
    )


def _queries(client, name: str, release) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        body = _body(_get(client, name, release))
    return len(ctx.captured_queries), body.count("Step ")


@pytest.mark.parametrize("name", FORMATS)
def test_the_query_count_does_not_grow_with_the_events(client, release, name):
    client.force_login(rm())
    _add_events(release, 3)
    few, rows = _queries(client, name, release)
    assert rows == 3
    _add_events(release, 1200)  # more than the page shows, and than one fetch of the stream
    many, rows = _queries(client, name, release)
    assert rows == 1203
    assert many == few, "queries grew with the number of events"


def test_the_timeline_section_links_to_the_exports_for_those_who_may_use_them(
    client, release, events
):
    page = reverse("pages:release", args=[release.code])
    links = [reverse(name, args=[release.code]) for name in FORMATS]
    client.force_login(rm())
    html = client.get(page).content.decode()
    section = html[html.index('id="timeline"') :]
    assert all(link in section for link in links)
    client.force_login(user_with(Role.QA_LEAD))
    html = client.get(page).content.decode()
    assert not any(link in html for link in links)
