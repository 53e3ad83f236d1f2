from django import forms

from releasehub.core import limits
from releasehub.flags.models import Environment, FlagState


class FlagToggleForm(forms.Form):
    environment = forms.ChoiceField(choices=Environment.choices)
    state = forms.ChoiceField(choices=FlagState.choices)
    release = forms.CharField(
        max_length=40, required=False, help_text="Version of the release this toggle belongs to."
    )
    as_rollback = forms.BooleanField(required=False, label="This is a rollback step")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=limits.NOTE)
