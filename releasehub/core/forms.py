"""Validate a form, call a service, and tell the view what came of it: the one shape of every
mutating view. The view then answers in its page's way (its section, or the section's error)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms

from releasehub.core.errors import ServiceError


def first_error(form: forms.Form) -> str:
    """One readable sentence for the page: 'Passed: Ensure this value is greater than …'."""
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        label = label or name.replace("_", " ").capitalize()
        message = str(errors[0])
        return f"{label}: {message}" if name != "__all__" else message
    return "Check the form."


@dataclass
class Outcome:
    form: forms.Form
    value: Any = None  # what the service call returned (a notice, a row)

    @property
    def ok(self) -> bool:
        return not self.form.errors

    @property
    def error(self) -> str:
        return "" if self.ok else first_error(self.form)


def attempt(form: forms.Form, act: Callable[[dict[str, Any]], Any]) -> Outcome:
    """`act(cleaned_data)` if the form is valid; a rule's refusal becomes the form's error, so
    nothing is written and the form keeps what the person typed."""
    if form.is_valid():
        try:
            value = act(form.cleaned_data)
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            return Outcome(form, value)
    return Outcome(form)
