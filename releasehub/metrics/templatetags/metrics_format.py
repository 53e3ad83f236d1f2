from django import template

from releasehub.metrics.durations import humanise_hours

register = template.Library()


@register.filter
def duration(value: float | None, unit: str = "hours") -> str | None:
    """`{{ figure|duration:"minutes" }}`: a figure in hours or minutes, read as a person says it."""
    if value is None:
        return None
    return humanise_hours(value / 60 if unit == "minutes" else value)
