"""The one shape of a mutating view: validate, call the service, report what came of it."""

from django import forms

from releasehub.core.errors import ServiceError
from releasehub.core.forms import attempt


class NoteForm(forms.Form):
    note = forms.CharField(label="Observation")


def test_a_valid_form_calls_the_service_and_keeps_its_result():
    outcome = attempt(NoteForm({"note": "all green"}), lambda data: f"noted {data['note']}")
    assert outcome.ok and outcome.value == "noted all green" and outcome.error == ""


def test_an_invalid_form_never_calls_the_service():
    called = []
    outcome = attempt(NoteForm({"note": ""}), called.append)
    assert not outcome.ok and called == []
    assert outcome.error == "Observation: This field is required."


def test_a_refusal_becomes_the_forms_error_and_keeps_the_input():
    def refuse(data):
        raise ServiceError("Identity has not finished its monitoring window.")

    outcome = attempt(NoteForm({"note": "promote"}), refuse)
    assert not outcome.ok and outcome.value is None
    assert outcome.error == "Identity has not finished its monitoring window."
    assert outcome.form["note"].value() == "promote"
