"""Trend charts drawn server-side as SVG geometry (no script, no inline style: CSP-safe)."""

WIDTH, HEIGHT, PAD = 640, 180, 28

SERIES = (
    ("deployments", "Deployments", lambda f: f["deployments"]),
    ("releases", "Releases completed", lambda f: f["releases_completed"]),
    ("cfr", "Change failure rate (%)", lambda f: _pct(f["change_failure_rate"])),
    ("recovery", "Recovery time, median (hours)", lambda f: f["recovery_hours"]["median"]),
)


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def bar_chart(values: list[float | None]) -> dict:
    top = max([v for v in values if v is not None] or [0]) or 1
    slot = (WIDTH - 2 * PAD) / max(len(values), 1)
    bars = []
    for n, value in enumerate(values):
        height = (value or 0) / top * (HEIGHT - 2 * PAD)
        bars.append(
            {
                "x": round(PAD + n * slot + slot * 0.15, 1),
                "y": round(HEIGHT - PAD - height, 1),
                "width": round(slot * 0.7, 1),
                "height": round(height, 1),
                "value": value,
            }
        )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "pad": PAD,
        "top": top,
        "bars": bars,
        "baseline": HEIGHT - PAD,
    }


def trend_charts(trend: list[dict]) -> list[dict]:
    charts = []
    for key, title, read in SERIES:
        values = [read(f) for f in trend]
        chart = bar_chart(values)
        chart |= {
            "key": key,
            "title": title,
            "rows": [(f["start"], f["end"], v) for f, v in zip(trend, values, strict=True)],
        }
        charts.append(chart)
    return charts
