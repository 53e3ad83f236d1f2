"""The one reading of a metrics period, for the page, /metrics.json and the CSV exports."""

import datetime as dt
from typing import Any

from django import forms
from django.http import QueryDict

from releasehub.metrics import selectors
from releasehub.metrics.selectors import Period

DEFAULT_DAYS = 90
# Bounds keep every date the figures derive (the previous period, IST midnights, trend
# buckets) far inside what `datetime` can hold, and cover any history a team may import.
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)
MAX_DAYS = 3 * 366
PERIOD_FIELDS = ("days", "start", "end")


def day_label(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


_OFFERED = ", ".join(str(d) for d in selectors.PERIOD_DAYS[:-1])
# What <input type="date"> sends, and the only form the JSON documents.
_DATE_FORMATS = ["%Y-%m-%d"]
_DATE_ERRORS = {"invalid": "Enter a date as YYYY-MM-DD."}


class PeriodForm(forms.Form):
    """Last N days ending `today` (IST), or custom dates; with no period given, the default.

    `days` wins over dates when both are given, as the page's select does.
    """

    days = forms.TypedChoiceField(
        choices=[*((d, f"Last {d} days") for d in selectors.PERIOD_DAYS), ("", "Custom dates")],
        coerce=int,
        empty_value=None,
        required=False,
        label="Period",
        error_messages={
            "invalid_choice": f"%(value)s is not a period on offer: choose {_OFFERED} or "
            f"{selectors.PERIOD_DAYS[-1]} days, or custom dates."
        },
    )
    start = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=f"Custom dates are IST days from {day_label(EARLIEST)} to {day_label(LATEST)}, "
        "both included, at most three years.",
        input_formats=_DATE_FORMATS,
        error_messages=_DATE_ERRORS,
    )
    end = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        input_formats=_DATE_FORMATS,
        error_messages=_DATE_ERRORS,
    )
    target = forms.ChoiceField(
        required=False,
        label="Service or app",
        error_messages={"invalid_choice": "%(value)s is not a service or app."},
    )

    def __init__(self, query: QueryDict, *, today: dt.date) -> None:
        if not any(name in query for name in PERIOD_FIELDS):
            query = query.copy()
            query["days"] = str(DEFAULT_DAYS)
        super().__init__(query)
        self.today = today
        target = self.fields["target"]
        assert isinstance(target, forms.ChoiceField)  # `fields` is typed as plain Field
        target.choices = [("", "All services and apps"), *selectors.targets()]

    def _clean_bounded(self, name: str) -> dt.date | None:
        day = self.cleaned_data.get(name)
        if day and day < EARLIEST:
            raise forms.ValidationError(f"Choose a date on or after {day_label(EARLIEST)}.")
        if day and day > LATEST:
            raise forms.ValidationError(f"Choose a date on or before {day_label(LATEST)}.")
        return day

    def clean_start(self) -> dt.date | None:
        return self._clean_bounded("start")

    def clean_end(self) -> dt.date | None:
        return self._clean_bounded("end")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("days"):
            data["period"] = Period.last(data["days"], self.today)
            return data
        if "days" in self.errors:
            return data
        start, end = data.get("start"), data.get("end")
        if not start and "start" not in self.errors:
            self.add_error("start", "Enter a start date for custom dates.")
        if not end and "end" not in self.errors:
            self.add_error("end", "Enter an end date for custom dates.")
        if start and end:
            if end < start:
                self.add_error("end", "The end date is before the start date.")
            elif (end - start).days + 1 > MAX_DAYS:
                self.add_error("end", f"Choose a period of at most three years ({MAX_DAYS} days).")
            else:
                data["period"] = Period(start, end)
        return data

    @property
    def period(self) -> Period:
        return self.cleaned_data["period"]

    @property
    def target_slug(self) -> str | None:
        return self.cleaned_data.get("target") or None

    def error_text(self) -> str:
        """Every error on one line each, named by the query parameter it concerns."""
        return "\n".join(
            f"{name}: {message}" for name, messages in self.errors.items() for message in messages
        )
