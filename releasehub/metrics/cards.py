"""The headline figures as a person reads them: one card per figure with its value in a person's
unit, the previous period's figure and the direction of change in words, the DORA tier and a
small trend. The exact figures stay in the table under the cards, the CSVs and the JSON."""

from collections.abc import Callable
from dataclasses import dataclass

from releasehub.metrics import charts, selectors
from releasehub.metrics.durations import humanise_hours, number

DEFINITIONS = {
    "deployments": "Succeeded production deployments of one service or app, hotfixes included; "
    "each rollback counts once per target. Failed attempts are not counted.",
    "release_frequency": "Releases completed (last deployment finished) per week.",
    "change_failure_rate": "Failed deployments / deployments. A deployment failed when an "
    "incident names it, a rollback of its release covers its target, or a hotfix fixes it.",
    "recovery": "From a failed deployment's finish to the resolution of the incident naming it, "
    "or to the rollback or hotfix deployment that fixed it. Counted when recovery ended.",
    "hotfixes": "Hotfix releases completed / regular releases completed.",
    "duration": "First deployment start to last deployment finish of a completed release, "
    "rollbacks excluded.",
    "interventions": "Manual interventions recorded on the period's deployments plus rows of "
    "the intervention ledger (overrides, skips, forced steps, manual rollbacks).",
}


def _count(noun: str) -> Callable[[float], str]:
    return lambda value: f"{number(value)} {noun if value != 1 else noun.removesuffix('s')}"


def _rate(per: str, every: str) -> Callable[[float], str]:
    """1.5 -> "1.5 <per>", 0.25 -> "1 every 4 <every>": under one half, how long one takes."""

    def say(value: float) -> str:
        if value == 0:
            return "none"
        if value >= 0.5:
            return f"{number(value)} {per}"
        return f"1 every {round(1 / value)} {every}"

    return say


def _one_in(value: float, noun: str) -> str:
    """0.083 -> "1 in 12 <noun>", 0.71 -> "7 in 10 <noun>": a rate as people say it."""
    if value == 0:
        return f"none of the {noun}"
    if value == 1:
        return f"all the {noun}"
    if value < 0.2:
        return f"1 in {round(1 / value)} {noun}"
    # Clamped: 0.96 is not "10 in 10", which would read as all of them.
    return f"{min(9, round(value * 10))} in 10 {noun}"


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    read: Callable[[dict], float | None]  # from selectors.figures()
    table_unit: str  # the table's unit, as the exact-figures partial reads it
    say: Callable[[float], str]  # the figure in a person's unit
    better: str  # "lower" or "higher"
    tier: str | None = None  # selectors.dora_tier's name


FIGURES = (
    Figure(
        "deployments",
        "Deployments",
        lambda f: f["deployments"],
        "",
        _count("deployments"),
        "higher",
        "deployments_per_week",
    ),
    Figure(
        "release_frequency",
        "Release frequency",
        lambda f: f["release_frequency_per_week"],
        "per week",
        _rate("a week", "weeks"),
        "higher",
    ),
    Figure(
        "change_failure_rate",
        "Change failure rate",
        lambda f: f["change_failure_rate"],
        "fraction",
        lambda v: _one_in(v, "deployments failed"),
        "lower",
        "change_failure_rate",
    ),
    Figure(
        "recovery",
        "Failed deployment recovery time (median)",
        lambda f: f["recovery_hours"]["median"],
        "hours",
        lambda v: humanise_hours(v) or "",
        "lower",
        "recovery_hours",
    ),
    Figure(
        "hotfixes",
        "Hotfixes per release",
        lambda f: f["hotfixes_per_release"],
        "",
        _rate("per release", "releases"),
        "lower",
    ),
    Figure(
        "duration",
        "Deployment duration (median)",
        lambda f: f["deployment_duration_minutes"]["median"],
        "minutes",
        lambda v: humanise_hours(v / 60) or "",
        "lower",
    ),
    Figure(
        "interventions",
        "Manual interventions",
        lambda f: f["manual_interventions"],
        "",
        _count("interventions"),
        "lower",
    ),
)


def said(figure: Figure, value: float | None) -> str:
    return "no data" if value is None else figure.say(value)


def change(figure: Figure, now: float | None, before: float | None) -> tuple[str, str]:
    """("down from 3.1 days", "better"): the change in words and whether it is for the better."""
    if before is None:
        return "no figure for the previous period", ""
    if now is None:
        return f"previous period: {said(figure, before)}", ""
    if said(figure, now) == said(figure, before):
        return f"about the same as the previous period ({said(figure, before)})", ""
    direction = "down" if now < before else "up"
    good = (direction == "down") == (figure.better == "lower")
    return f"{direction} from {said(figure, before)}", "better" if good else "worse"


def _tier(figure: Figure, current: dict, days: int) -> str | None:
    if figure.tier is None:
        return None
    value = figure.read(current)
    if figure.tier == "deployments_per_week" and value is not None:
        value = value / (days / 7)
    return selectors.dora_tier(figure.tier, value)


def headline(current: dict, previous: dict, trend: list[dict], *, days: int) -> list[dict]:
    """One row per headline figure: the table's exact value and the card's words."""
    rows = []
    for figure in FIGURES:
        now, before = figure.read(current), figure.read(previous)
        history = [figure.read(bucket) for bucket in trend]
        words, verdict = change(figure, now, before)
        rows.append(
            {
                "key": figure.key,
                "label": figure.label,
                "value": now,
                "previous": before,
                "unit": figure.table_unit,
                "shown": said(figure, now),
                "change": words,
                "verdict": verdict,
                "direction": words.split(" ", 1)[0] if verdict else "",
                "better": figure.better,
                "tier": _tier(figure, current, days),
                "tier_bands": selectors.DORA_BANDS.get(figure.tier or ""),
                "definition": DEFINITIONS[figure.key],
                "spark": charts.sparkline(history),
                "spark_text": ", ".join(said(figure, v) for v in history),
            }
        )
    return rows
