"""Trend charts drawn server-side as SVG geometry (no script, no inline style: CSP-safe).

Each chart carries its axes: the day each bar's week or month starts under it, the unit and a
round top on the y axis. Durations are plotted in the unit their largest value reads in.
"""

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from releasehub.metrics.durations import humanise_hours, number, reading_unit

WIDTH, HEIGHT = 640, 200
# Room for the y ticks and the rotated unit on the left, the dates and the x title below.
LEFT, RIGHT, TOP, BOTTOM = 52, 8, 10, 40
MAX_X_LABELS = 8

Axis = tuple[str, float, Callable[[float], str | None]]  # y title, figure -> plotted amount, text


def _count(noun: str) -> Callable[[list[float]], Axis]:
    return lambda values: (noun, 1.0, number)


def _percent(values: list[float]) -> Axis:
    return "%", 100.0, lambda fraction: f"{number(fraction * 100)} %"


def _duration(values: list[float]) -> Axis:
    unit, per_hour = reading_unit(max(values, default=0))
    return f"{unit}s", per_hour, humanise_hours


# key, title, the figure read from selectors.figures(), its y axis
SERIES = (
    ("deployments", "Deployments", lambda f: f["deployments"], _count("deployments")),
    ("releases", "Releases completed", lambda f: f["releases_completed"], _count("releases")),
    ("cfr", "Change failure rate", lambda f: f["change_failure_rate"], _percent),
    ("recovery", "Recovery time, median", lambda f: f["recovery_hours"]["median"], _duration),
)


def round_top(value: float) -> float:
    """The y axis top: the first of 1, 2, 5 x 10^n at or above `value`."""
    if value <= 0:
        return 1
    power = 10.0 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value)


def _x_labels(starts: list[dt.date], monthly: bool) -> list[tuple[int, str]]:
    """Every few bars a date; the year on the first label and where it changes."""
    step = math.ceil(len(starts) / MAX_X_LABELS) or 1
    labels, year = [], None
    for n in range(0, len(starts), step):
        day = starts[n]
        label = f"{day:%b}" if monthly else f"{day.day} {day:%b}"
        labels.append((n, label if day.year == year else f"{label} {day.year}"))
        year = day.year
    return labels


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def bar_chart(
    amounts: list[float | None], labels: list[str], x_labels: list[tuple[int, str]]
) -> dict:
    top = round_top(max((a for a in amounts if a is not None), default=0))
    baseline, right = HEIGHT - BOTTOM, WIDTH - RIGHT
    slot = (right - LEFT) / max(len(amounts), 1)
    bars: list[dict[str, Any]] = []
    for n, (amount, label) in enumerate(zip(amounts, labels, strict=True)):
        height = (amount or 0) / top * (baseline - TOP)
        bars.append(
            {
                "x": round(LEFT + n * slot + slot * 0.15, 1),
                "y": round(baseline - height, 1),
                "width": round(slot * 0.7, 1),
                "height": round(height, 1),
                "label": label,
            }
        )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": right,
        "top": TOP,
        "baseline": baseline,
        "middle": round((TOP + baseline) / 2, 1),
        "bars": bars,
        "x_ticks": [(round(bars[n]["x"] + bars[n]["width"] / 2, 1), text) for n, text in x_labels],
        "x_label_y": baseline + 14,
        "x_title_y": HEIGHT - 4,
        "x_middle": round((LEFT + right) / 2, 1),
        "y_ticks": [(baseline, "0"), (TOP, f"{top:g}")],
        "y_label_x": LEFT - 4,
        "y_title_x": 12,
    }


def trend_charts(trend: list[dict], *, monthly: bool) -> list[dict]:
    starts = [dt.date.fromisoformat(f["start"]) for f in trend]
    ends = [dt.date.fromisoformat(f["end"]) for f in trend]
    x_labels = _x_labels(starts, monthly)
    charts = []
    for key, title, read, axis in SERIES:
        figures = [read(f) for f in trend]
        y_title, factor, show = axis([v for v in figures if v is not None])
        shown = [None if v is None else show(v) for v in figures]
        labels = [
            f"{_day(start)} to {_day(end)}: {text or 'no data'}"
            for start, end, text in zip(starts, ends, shown, strict=True)
        ]
        amounts = [None if v is None else v * factor for v in figures]
        chart = bar_chart(amounts, labels, x_labels)
        chart |= {
            "key": key,
            "title": title,
            "x_title": "Month (IST)" if monthly else "Week starting (IST)",
            "y_title": y_title,
            "rows": [
                {"start": f["start"], "end": f["end"], "value": v, "shown": text}
                for f, v, text in zip(trend, figures, shown, strict=True)
            ],
        }
        charts.append(chart)
    return charts


SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 120, 32, 3


def sparkline(values: list[float | None]) -> dict | None:
    """A card's small trend: a line through the buckets that have a figure, oldest first, from
    0 at the bottom to the largest figure at the top. None when fewer than two have one."""
    known = [(n, v) for n, v in enumerate(values) if v is not None]
    if len(known) < 2:
        return None
    top = max(v for _, v in known) or 1
    step = (SPARK_WIDTH - 2 * SPARK_PAD) / max(len(values) - 1, 1)
    inner = SPARK_HEIGHT - 2 * SPARK_PAD
    points = [
        (round(SPARK_PAD + n * step, 1), round(SPARK_HEIGHT - SPARK_PAD - v / top * inner, 1))
        for n, v in known
    ]
    return {
        "width": SPARK_WIDTH,
        "height": SPARK_HEIGHT,
        "points": " ".join(f"{x:g},{y:g}" for x, y in points),
        "last": points[-1],
        "baseline": SPARK_HEIGHT - SPARK_PAD,
    }
