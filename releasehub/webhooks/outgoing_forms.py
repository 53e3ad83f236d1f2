from django import forms

from releasehub.webhooks.models import EventType


class EndpointForm(forms.Form):
    name = forms.CharField(max_length=100)
    url = forms.URLField(
        max_length=500,
        label="URL",
        assume_scheme="https",
        help_text="https:// and a public address; the body is JSON, signed (see the docs).",
    )
    events = forms.MultipleChoiceField(
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Events",
        error_messages={"required": "Choose at least one event."},
    )


class ButtonForm(forms.Form):
    """A POST with no fields (send a test event, re-enable): the CSRF check is the validation."""
