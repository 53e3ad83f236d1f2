"""Trend charts: dates on the x axis, the unit on the y axis, durations in a readable unit."""

import datetime as dt
import re

from django.urls import reverse

from releasehub.metrics import charts, selectors
from releasehub.metrics.selectors import Period

MARCH = Period(dt.date(2025, 3, 1), dt.date(2025, 3, 30))


def _trend(period: Period, recovery: list[float | None] | None = None) -> list[dict]:
    buckets = selectors.buckets(period)
    recovery = recovery or [None] * len(buckets)
    return [
        {
            "start": b.start.isoformat(),
            "end": b.end.isoformat(),
            "deployments": n,
            "releases_completed": 1,
            "change_failure_rate": 0.5 if n else None,
            "recovery_hours": {"median": hours},
        }
        for n, (b, hours) in enumerate(zip(buckets, recovery, strict=True))
    ]


def _chart(period: Period, key: str, recovery=None) -> dict:
    trend = _trend(period, recovery)
    drawn = charts.trend_charts(trend, monthly=selectors.per_month(period))
    return next(c for c in drawn if c["key"] == key)


def test_weekly_bars_are_labelled_with_the_day_each_week_starts():
    chart = _chart(MARCH, "deployments")
    assert [label for _, label in chart["x_ticks"]] == [
        "1 Mar 2025",
        "3 Mar",
        "10 Mar",
        "17 Mar",
        "24 Mar",
    ]
    assert chart["x_title"] == "Week starting (IST)"
    assert chart["y_title"] == "deployments"
    # Each date sits under its bar.
    centres = [bar["x"] + bar["width"] / 2 for bar in chart["bars"]]
    assert [x for x, _ in chart["x_ticks"]] == [round(c, 1) for c in centres]


def test_monthly_bars_show_the_month_and_thin_out_their_labels():
    chart = _chart(Period(dt.date(2024, 4, 1), dt.date(2025, 3, 31)), "releases")
    assert chart["x_title"] == "Month (IST)"
    labels = [label for _, label in chart["x_ticks"]]
    assert labels == ["Apr 2024", "Jun", "Aug", "Oct", "Dec", "Feb 2025"]


def test_the_y_axis_runs_from_zero_to_a_round_top_in_the_series_unit():
    chart = _chart(MARCH, "deployments")  # 0..4 deployments a week
    assert [label for _, label in chart["y_ticks"]] == ["0", "5"]
    cfr = _chart(MARCH, "cfr")
    assert cfr["y_title"] == "%" and [label for _, label in cfr["y_ticks"]] == ["0", "50"]


def test_recovery_under_two_hours_is_charted_in_minutes():
    chart = _chart(MARCH, "recovery", [0.0177, None, 1.5, None, 0.25])
    assert chart["y_title"] == "minutes"
    assert [label for _, label in chart["y_ticks"]] == ["0", "100"]
    assert [bar["label"].split(": ")[1] for bar in chart["bars"]] == [
        "1 minute",
        "no data",
        "90 minutes",
        "no data",
        "15 minutes",
    ]
    # The table beside the chart keeps the exact hours as its machine value.
    assert chart["rows"][0]["value"] == 0.0177 and chart["rows"][0]["shown"] == "1 minute"


def test_long_recovery_is_charted_in_days():
    chart = _chart(MARCH, "recovery", [336.0, None, 60.0, None, None])
    assert chart["y_title"] == "days"
    assert [label for _, label in chart["y_ticks"]] == ["0", "20"]
    assert chart["bars"][0]["label"] == "1 Mar 2025 to 2 Mar 2025: 14 days"


def _svg(body: str, key: str) -> str:
    return re.search(rf'id="chart-{key}".*?</svg>', body, re.S).group(0)


def test_the_page_charts_have_labelled_axes_and_no_inline_style(client, history, leader):
    client.force_login(leader)
    body = client.get(reverse("metrics:page"), {"start": "2025-03-01", "end": "2025-03-30"})
    body = body.content.decode()
    deployments = _svg(body, "deployments")
    for label in ["1 Mar 2025", "3 Mar", "24 Mar", "Week starting (IST)", "deployments"]:
        assert f">{label}</text>" in deployments
    assert "style=" not in body
    recovery = _svg(body, "recovery")
    assert ">hours</text>" in recovery  # the largest weekly median is 25.75 hours
    assert "0.0177" not in body


def test_the_page_shows_durations_in_a_readable_unit_and_keeps_exact_values(
    client, history, leader
):
    client.force_login(leader)
    march = {"start": "2025-03-01", "end": "2025-03-30"}
    body = client.get(reverse("metrics:page"), march).content.decode()
    assert '<data value="4.0">4 hours</data>' in body  # the median
    assert 'mean <data value="17.75">17.8 hours</data>' in body
    assert 'p90 <data value="38.8">38.8 hours</data>' in body
    assert '<data value="37.5">38 minutes</data>' in body  # deployment duration, median
    appointments = client.get(reverse("metrics:page"), march | {"target": "appointments"})
    assert '<data value="1.75">105 minutes</data>' in appointments.content.decode()
    april = {"start": "2025-03-31", "end": "2025-04-29"}
    assert (
        '<data value="336.0">14 days</data>'
        in client.get(reverse("metrics:page"), april).content.decode()
    )
