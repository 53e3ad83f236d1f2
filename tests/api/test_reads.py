"""Reads: a release's clock and the metrics, as the pages give them."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from releasehub.accounts.models import Role
from releasehub.api.scopes import Scope
from releasehub.releases.models import Release
from tests.factories import ReleaseFactory, user_with

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# The design's example: window Wed 2026-12-02 10:00 IST = 04:30 UTC.
WINDOW = dt.datetime(2026, 12, 2, 4, 30, tzinfo=UTC)


def _example(**kwargs) -> Release:
    return ReleaseFactory(
        version="2026.12.02",
        window_start=WINDOW,
        window_end=WINDOW + dt.timedelta(hours=2),
        **kwargs,
    )


def test_the_clock_lists_every_milestone_in_utc_with_its_ist_label(personal_token):
    _example()
    _, api = personal_token(user_with(Role.SUPPORT), scopes=[Scope.RELEASES_READ])
    with time_machine.travel(dt.datetime(2026, 12, 1, 12, 0, tzinfo=UTC), tick=False):
        data = api.get("/releases/2026.12.02/clock").data
    at = {m["key"]: m["at"] for m in data["milestones"]}
    assert at == {
        "pre_release_due": "2026-11-30T04:30:00Z",
        "freeze": "2026-11-30T12:30:00Z",
        "pre_release_meeting": "2026-12-01T04:30:00Z",
        "go_no_go": "2026-12-02T04:00:00Z",
        "window_start": "2026-12-02T04:30:00Z",
        "window_end": "2026-12-02T06:30:00Z",
        "watch_end": "2026-12-03T06:30:00Z",
    }
    labels = {m["key"]: m["ist"] for m in data["milestones"]}
    assert labels["freeze"] == "Mon 30 Nov 2026, 18:00 IST"
    assert labels["go_no_go"] == "Wed 02 Dec 2026, 09:30 IST"
    passed = [m["key"] for m in data["milestones"] if m["passed"]]
    assert passed == ["pre_release_due", "freeze", "pre_release_meeting"]
    assert data["next"] == "go_no_go" and data["release"]["version"] == "2026.12.02"
    assert [m["expected"] for m in data["milestones"]][-1] is True


def test_the_watch_ends_a_day_after_completion(personal_token):
    completed = WINDOW + dt.timedelta(hours=1, minutes=10)
    _example(status=Release.Status.COMPLETED, completed_at=completed)
    _, api = personal_token(user_with(Role.SUPPORT), scopes=[Scope.RELEASES_READ])
    watch = api.get("/releases/2026.12.02/clock").data["milestones"][-1]
    assert watch["key"] == "watch_end" and watch["expected"] is False
    assert watch["at"] == "2026-12-03T05:40:00Z"


def test_a_hotfix_clock_has_its_window_and_watch_only(personal_token):
    _example(kind=Release.Kind.HOTFIX)
    _, api = personal_token(user_with(Role.SUPPORT), scopes=[Scope.RELEASES_READ])
    keys = [m["key"] for m in api.get("/releases/2026.12.02/clock").data["milestones"]]
    assert keys == ["window_start", "window_end", "watch_end"]


def test_the_metrics_are_the_figures_of_metrics_json(personal_token):
    reader = user_with(Role.LEADERSHIP)
    _, api = personal_token(reader, scopes=[Scope.METRICS_READ])
    browser = Client()
    browser.force_login(reader)
    query = {"start": "2026-09-01", "end": "2026-11-25"}
    from_api = api.get("/metrics", **query)
    assert from_api.status_code == 200
    assert from_api.data == browser.get("/metrics.json", query).json()
    assert from_api.data  # not an empty answer that would trivially match


def test_a_bad_period_is_a_422_with_the_pages_sentence(personal_token):
    _, api = personal_token(user_with(Role.SRE), scopes=[Scope.METRICS_READ])
    response = api.get("/metrics", days="5")
    assert response.status_code == 422
    assert "is not a period on offer" in response.data["detail"]


def test_metrics_are_refused_to_roles_the_page_refuses(personal_token):
    _, api = personal_token(user_with(Role.SQUAD_REP, "patient"), scopes=[Scope.METRICS_READ])
    response = api.get("/metrics")
    assert response.status_code == 403 and "Leadership" in response.data["detail"]


def test_an_integration_with_metrics_read_reads_them(integration_token):
    _, api = integration_token(scopes=[Scope.METRICS_READ])
    assert api.get("/metrics").status_code == 200
