import pytest
from django.urls import reverse

from releasehub.metrics.selectors import percentile


def get(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("metrics:json"), params)
    assert response.status_code == 200, response.content
    return response.json()


MARCH = {
    "start": "2025-03-01",
    "end": "2025-03-30",
    "deployments": 7,  # 2 of 2025.05, 1 hotfix, 2 of 2025.07 + its rollback, 1 of 2025.08
    "failed_deployments": 5,  # INC-1, hotfix fix, rollback, INC-2 (found later), INC-3 (open)
    "change_failure_rate": 0.7143,
    "releases_completed": 4,
    "release_frequency_per_week": 0.9333,  # 4 / (30 / 7)
    "hotfixes": 1,
    "hotfixes_per_release": 0.3333,
    # 1.75 h (rollback), 4 h (INC-1), 47.5 h (hotfix); INC-2 recovers in April; INC-3 is open.
    "recovery_hours": {"median": 4.0, "mean": 17.75, "p90": 38.8, "open_incidents": 1},
    # 30 (2025.06), 30 (2025.08), 45 (2025.07), 60 (2025.05)
    "deployment_duration_minutes": {"median": 37.5, "p90": 55.5},
    "manual_interventions": 4,  # 1 + 2 on deployments, 1 ledger row; the failed attempt's 5 not
}

FEBRUARY = {
    "start": "2025-01-30",
    "end": "2025-02-28",
    "deployments": 1,
    "failed_deployments": 0,
    "change_failure_rate": 0.0,
    "releases_completed": 1,
    "release_frequency_per_week": 0.2333,
    "hotfixes": 0,
    "hotfixes_per_release": 0.0,
    "recovery_hours": {"median": None, "mean": None, "p90": None, "open_incidents": 0},
    "deployment_duration_minutes": {"median": 40.0, "p90": 40.0},
    "manual_interventions": 0,
}

APRIL = {
    "start": "2025-03-31",
    "end": "2025-04-29",
    "deployments": 0,
    "failed_deployments": 0,
    "change_failure_rate": None,
    "releases_completed": 0,
    "release_frequency_per_week": 0.0,
    "hotfixes": 0,
    "hotfixes_per_release": None,
    # 2025.07's identity finished 19 Mar 10:10, INC-2 resolved 2 Apr 10:10: 14 days.
    "recovery_hours": {"median": 336.0, "mean": 336.0, "p90": 336.0, "open_incidents": 0},
    "deployment_duration_minutes": {"median": None, "p90": None},
    "manual_interventions": 0,
}

EMPTY = {
    "start": "2024-01-01",
    "end": "2024-01-31",
    "deployments": 0,
    "failed_deployments": 0,
    "change_failure_rate": None,
    "releases_completed": 0,
    "release_frequency_per_week": 0.0,
    "hotfixes": 0,
    "hotfixes_per_release": None,
    "recovery_hours": {"median": None, "mean": None, "p90": None, "open_incidents": 0},
    "deployment_duration_minutes": {"median": None, "p90": None},
    "manual_interventions": 0,
}

APPOINTMENTS = MARCH | {
    "deployments": 2,  # its deployment and its rollback
    "failed_deployments": 1,
    "change_failure_rate": 0.5,
    "releases_completed": 1,
    "release_frequency_per_week": 0.2333,
    "hotfixes": 0,
    "hotfixes_per_release": 0.0,
    "recovery_hours": {"median": 1.75, "mean": 1.75, "p90": 1.75, "open_incidents": 0},
    "deployment_duration_minutes": {"median": 30.0, "p90": 30.0},
    "manual_interventions": 3,
}


@pytest.mark.parametrize(
    "expected",
    [MARCH, FEBRUARY, APRIL, EMPTY],
    ids=["march", "previous-period", "recovery-in-later-period", "empty"],
)
def test_metrics_json_matches_the_hand_computed_history(client, history, leader, expected):
    assert get(client, leader, start=expected["start"], end=expected["end"]) == expected


def test_metrics_json_for_one_target(client, history, leader):
    got = get(client, leader, start="2025-03-01", end="2025-03-30", target="appointments")
    assert got == APPOINTMENTS


def test_a_deployment_belongs_to_the_ist_day_it_finished(client, history, leader):
    # 2025.05 finished on 5 March IST; a period ending 4 March leaves it out, starting 5 keeps it.
    assert get(client, leader, start="2025-03-05", end="2025-03-05")["deployments"] == 2
    assert get(client, leader, start="2025-03-04", end="2025-03-04")["deployments"] == 0


def test_metrics_json_needs_a_login_and_valid_dates(client, history, leader):
    url = reverse("metrics:json")
    assert client.get(url, {"start": "2025-03-01", "end": "2025-03-30"}).status_code == 302
    client.force_login(leader)
    assert client.get(url, {"start": "2025-13-01", "end": "2025-03-30"}).status_code == 400
    assert client.get(url, {"start": "2025-03-02", "end": "2025-03-01"}).status_code == 400
    bad = client.get(url, {"start": "2025-03-01", "end": "2025-03-30", "target": "nope"})
    assert bad.status_code == 400


def test_percentile_interpolates_like_percentile_cont():
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([10, 20, 30, 40, 50], 0.9) == pytest.approx(46.0)
