import datetime as dt

from django import template

from releasehub.releases import clock

register = template.Library()


@register.filter
def ist(moment: dt.datetime | None, fmt: str = clock.IST_FORMAT) -> str:
    """`{{ moment|ist }}`: "Wed 02 Dec 2026, 10:00 IST"; `{{ moment|ist:"%H:%M" }}` for less."""
    return clock.ist(moment, fmt) if moment else ""
