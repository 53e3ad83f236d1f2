"""One reading of the period for the page, /metrics.json and the CSVs: defaults, bounds."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from releasehub.accounts.models import Role
from releasehub.metrics.selectors import IST
from tests.factories import user_with

# 02:00 IST on 31 March is still 30 March in UTC: the default period ends on the IST day.
EARLY_31_MARCH_IST = dt.datetime(2025, 3, 31, 2, 0, tzinfo=IST)

EXPORTS = ["metrics:json", "metrics:deployments_csv", "metrics:incidents_csv"]


def _json(client, **params):
    response = client.get(reverse("metrics:json"), params)
    assert response.status_code == 200, response.content
    return response.json()


def test_metrics_json_without_a_period_gives_the_pages_default_last_90_days(
    client, history, leader
):
    client.force_login(leader)
    with time_machine.travel(EARLY_31_MARCH_IST, tick=False):
        got = _json(client)
    assert (got["start"], got["end"]) == ("2025-01-01", "2025-03-31")
    assert got == _json(client, start="2025-01-01", end="2025-03-31")


@pytest.mark.parametrize("days", [30, 90, 180, 365])
def test_metrics_json_takes_the_pages_preset_days(client, history, leader, days):
    client.force_login(leader)
    with time_machine.travel(EARLY_31_MARCH_IST, tick=False):
        got = _json(client, days=days, target="appointments")
    start = dt.date(2025, 3, 31) - dt.timedelta(days=days - 1)
    assert (got["start"], got["end"]) == (start.isoformat(), "2025-03-31")
    assert got["deployments"] == 2  # appointments' deployment and its rollback, in March


def test_the_csvs_without_a_period_give_the_default_last_90_days(client, history, leader):
    client.force_login(leader)
    with time_machine.travel(EARLY_31_MARCH_IST, tick=False):
        response = client.get(reverse("metrics:deployments_csv"))
    assert response.status_code == 200
    assert 'filename="deployments-2025-01-01-2025-03-31.csv"' in response["Content-Disposition"]


BAD_PERIODS = {
    "year-500": ({"start": "0500-01-01", "end": "2026-01-01"}, "on or after 1 Jan 2000"),
    "year-1-to-9999": ({"start": "0001-01-01", "end": "9999-12-31"}, "on or after 1 Jan 2000"),
    # Short, but its previous period would start before year 1.
    "january-of-year-1": ({"start": "0001-01-01", "end": "0001-01-31"}, "on or after 1 Jan 2000"),
    "year-9999": ({"start": "9999-12-01", "end": "9999-12-31"}, "on or before 31 Dec 2100"),
    "negative-days": ({"days": "-5"}, "-5 is not a period on offer"),
    "days-not-offered": ({"days": "7"}, "choose 30, 90, 180 or 365 days"),
    "days-not-a-number": ({"days": "many"}, "many is not a period on offer"),
    "end-before-start": ({"start": "2025-03-02", "end": "2025-03-01"}, "before the start date"),
    "no-end": ({"start": "2025-03-01"}, "Enter an end date"),
    "no-start": ({"end": "2025-03-01"}, "Enter a start date"),
    "custom-without-dates": ({"days": "", "start": "", "end": ""}, "Enter a start date"),
    "not-a-date": ({"start": "2025-13-01", "end": "2025-03-30"}, "YYYY-MM-DD"),
    "us-date": ({"start": "03/01/2025", "end": "2025-03-30"}, "YYYY-MM-DD"),
    "longer-than-three-years": ({"start": "2020-01-01", "end": "2025-01-01"}, "three years"),
    "unknown-target": ({"days": "30", "target": "nope"}, "nope is not a service or app"),
}


@pytest.mark.parametrize(("params", "message"), list(BAD_PERIODS.values()), ids=list(BAD_PERIODS))
def test_a_bad_period_is_a_400_with_a_json_message(client, history, leader, params, message):
    client.force_login(leader)
    response = client.get(reverse("metrics:json"), params)
    assert response.status_code == 400
    assert message in response.json()["error"]


@pytest.mark.parametrize("name", ["metrics:deployments_csv", "metrics:incidents_csv"])
@pytest.mark.parametrize(("params", "message"), list(BAD_PERIODS.values()), ids=list(BAD_PERIODS))
def test_a_bad_period_is_a_400_with_a_message_for_the_csvs(
    client, history, leader, name, params, message
):
    client.force_login(leader)
    response = client.get(reverse(name), params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert message in response.content.decode()


@pytest.mark.parametrize(("params", "message"), list(BAD_PERIODS.values()), ids=list(BAD_PERIODS))
def test_a_bad_period_shows_the_page_form_with_the_message(
    client, history, leader, params, message
):
    client.force_login(leader)
    response = client.get(reverse("metrics:page"), params)
    # A page, not an error: a 4xx document is a console error in the browser.
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert 'id="metrics-period"' not in body
    assert '<button type="submit">Show</button>' in body


def test_custom_dates_errors_sit_beside_the_date_fields(client, history, leader):
    client.force_login(leader)
    response = client.get(reverse("metrics:page"), {"days": "", "start": "", "end": ""})
    form = response.context["form"]
    assert form.errors == {
        "start": ["Enter a start date for custom dates."],
        "end": ["Enter an end date for custom dates."],
    }
    body = response.content.decode()
    assert re.search(r'aria-describedby="[^"]*id_start_error"[^>]*id="id_start"', body)
    assert 'id="id_start_error"' in body


def test_the_bounds_of_a_period_are_accepted(client, history, leader):
    client.force_login(leader)
    assert _json(client, start="2000-01-01", end="2000-12-31")["deployments"] == 0
    assert _json(client, start="2100-01-01", end="2100-12-31")["deployments"] == 0
    three_years = _json(client, start="2023-01-01", end="2025-12-31")
    assert three_years["deployments"] == 8


@pytest.mark.parametrize("name", [*EXPORTS, "metrics:page"])
def test_only_metrics_readers_get_the_exports(client, history, name):
    client.force_login(user_with(Role.QA_LEAD))
    assert client.get(reverse(name), {"days": "30"}).status_code == 403
    # A bad period does not tell a refused user more than a good one.
    assert client.get(reverse(name), {"days": "-5"}).status_code == 403
