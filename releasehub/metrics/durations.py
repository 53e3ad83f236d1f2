"""Durations in the unit a person reads them in; the figures themselves stay in exact hours."""

import math

# (unit, amount per hour, used below this many hours)
UNITS = (("minute", 60.0, 2.0), ("hour", 1.0, 48.0), ("day", 1 / 24, math.inf))


def reading_unit(hours: float) -> tuple[str, float]:
    """Minutes under 2 hours, hours under 2 days, then days: (unit, amount per hour)."""
    return next((unit, per_hour) for unit, per_hour, below in UNITS if hours < below)


def number(amount: float) -> str:
    """At most one decimal, none when it is zero: 4, 17.8."""
    return f"{amount:.1f}".removesuffix(".0")


def humanise_hours(hours: float | None) -> str | None:
    """0.0177 -> "1 minute", 47.5 -> "47.5 hours", 336 -> "14 days"."""
    if hours is None:
        return None
    unit, per_hour = reading_unit(hours)
    amount = hours * per_hour
    if unit == "minute":
        if 0 < amount < 0.5:
            return "under 1 minute"
        # Half up (36.5 reads 37), not round()'s half to even.
        amount = math.floor(amount + 0.5)
    shown = number(amount)
    return f"{shown} {unit}" if shown == "1" else f"{shown} {unit}s"
