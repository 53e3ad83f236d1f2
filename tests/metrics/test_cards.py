"""Headline cards (#19): each figure in a person's unit, the previous period and whether the
change is for the better in words, the DORA tier as a labelled badge, a small trend."""

import re

import pytest
from django.urls import reverse

from releasehub.metrics import cards, charts
from releasehub.metrics.selectors import dora_tier

MARCH = {"start": "2025-03-01", "end": "2025-03-30"}
FIGURE = {f.key: f for f in cards.FIGURES}


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("recovery", 2.3 * 24, "2.3 days"),
        ("recovery", 0.5, "30 minutes"),
        ("change_failure_rate", 1 / 12, "1 in 12 deployments failed"),
        ("change_failure_rate", 0.71, "7 in 10 deployments failed"),
        ("change_failure_rate", 0.96, "9 in 10 deployments failed"),
        ("change_failure_rate", 1.0, "all the deployments failed"),
        ("change_failure_rate", 0.0, "none of the deployments failed"),
        ("release_frequency", 2.0, "2 a week"),
        ("release_frequency", 0.25, "1 every 4 weeks"),
        ("hotfixes", 0.25, "1 every 4 releases"),
        ("hotfixes", 1.5, "1.5 per release"),
        ("duration", 95, "95 minutes"),
        ("deployments", 1, "1 deployment"),
        ("interventions", 3, "3 interventions"),
    ],
)
def test_a_figure_reads_in_a_persons_unit(key, value, shown):
    assert cards.said(FIGURE[key], value) == shown


def test_the_change_says_the_direction_and_whether_it_is_better():
    recovery, deployments = FIGURE["recovery"], FIGURE["deployments"]
    assert cards.change(recovery, 48.0, 3.1 * 24) == ("down from 3.1 days", "better")
    assert cards.change(deployments, 4, 9) == ("down from 9 deployments", "worse")
    assert cards.change(deployments, 9, 4) == ("up from 4 deployments", "better")
    assert cards.change(recovery, 4.01, 4.02)[1] == ""  # both read "4 hours"
    assert cards.change(recovery, 4.0, None) == ("no figure for the previous period", "")


def test_tiers_follow_the_documented_thresholds():
    assert dora_tier("change_failure_rate", 0.05) == "Elite"
    assert dora_tier("change_failure_rate", 0.151) == "Low"
    assert dora_tier("recovery_hours", 23.9) == "High"
    assert dora_tier("deployments_per_week", 12 / 52) == "Medium"


def test_a_sparkline_skips_the_buckets_without_a_figure():
    spark = charts.sparkline([1, None, 3, 0])
    assert spark is not None
    assert spark["points"] == "3,20.3 79,3 117,29"
    assert charts.sparkline([None, 2, None]) is None


def _cards(body: str) -> dict[str, str]:
    found = re.findall(r'<li class="metric-card" data-card="(\w+)">(.*?)</li>', body, re.S)
    return {key: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)) for key, html in found}


def test_the_page_shows_a_card_per_headline_figure(client, history, leader):
    client.force_login(leader)
    body = client.get(reverse("metrics:page"), MARCH).content.decode()
    shown = _cards(body)
    assert list(shown) == [f.key for f in cards.FIGURES]
    assert "7 deployments" in shown["deployments"]
    assert "Up from 1 deployment: better (higher is better)" in shown["deployments"]
    assert "DORA tier: High" in shown["deployments"]
    assert "7 in 10 deployments failed" in shown["change_failure_rate"]
    assert "worse (lower is better)" in shown["change_failure_rate"]
    assert "DORA tier: Low" in shown["change_failure_rate"]
    assert "Down from 40 minutes: better (lower is better)" in shown["duration"]
    assert "4 hours" in shown["recovery"]
    assert "Definition" in shown["recovery"] and "Elite: under 1 hour" in shown["recovery"]
    assert 'class="spark"' in body and "Trend per week, oldest first: 0 deployments" in body
    assert " style=" not in body  # CSP: classes only
    # The exact figures stay in the table.
    assert re.search(r'data-figure="change_failure_rate">.*?71 %', body, re.S)


def test_the_page_with_its_cards_takes_a_fixed_number_of_queries(
    client, history, leader, django_assert_max_num_queries
):
    client.force_login(leader)
    client.get(reverse("metrics:page"), MARCH)  # the session and the user, once
    with django_assert_max_num_queries(11):
        assert client.get(reverse("metrics:page"), MARCH).status_code == 200
