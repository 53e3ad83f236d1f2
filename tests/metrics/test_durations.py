"""Durations read as a person says them; the exact hours stay in machine values."""

import pytest
from django.template import Context, Template

from releasehub.metrics.durations import humanise_hours


@pytest.mark.parametrize(
    ("hours", "shown"),
    [
        (0.0, "0 minutes"),
        (0.005, "under 1 minute"),
        (0.0177, "1 minute"),
        (0.75, "45 minutes"),
        (1.75, "105 minutes"),
        (1.99, "119 minutes"),
        (2.0, "2 hours"),
        (17.75, "17.8 hours"),
        (47.5, "47.5 hours"),
        (48.0, "2 days"),
        (50.0, "2.1 days"),
        (336.0, "14 days"),
    ],
)
def test_durations_read_in_minutes_under_2_hours_hours_under_2_days_then_days(hours, shown):
    assert humanise_hours(hours) == shown


def test_no_figure_stays_none():
    assert humanise_hours(None) is None


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [(0.0177, "hours", "1 minute"), (37.5, "minutes", "38 minutes"), (None, "hours", "no data")],
)
def test_the_duration_filter_reads_hours_or_minutes(value, unit, shown):
    template = Template(
        '{% load metrics_format %}{{ value|duration:unit|default_if_none:"no data" }}'
    )
    assert template.render(Context({"value": value, "unit": unit})) == shown
