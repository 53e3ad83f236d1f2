"""The forms of the token pages: what a person or staff member fills in to make a token."""

import datetime as dt

from django import forms
from django.utils import timezone

from releasehub.api.scopes import PERSONAL_ONLY, Scope
from releasehub.catalog.models import FrontendApp, Service

EXPIRY_DAYS = (7, 30, 90, 365)


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=80, help_text="Where it is used, e.g. laptop, deploy-backend."
    )
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one scope."},
    )
    expires_in = forms.TypedChoiceField(
        label="Expires in",
        choices=[(days, f"{days} days") for days in EXPIRY_DAYS],
        coerce=int,
        initial=30,
    )

    def expires_at(self) -> dt.datetime:
        return timezone.now() + dt.timedelta(days=self.cleaned_data["expires_in"])


class IntegrationTokenForm(TokenForm):
    """A pipeline's token: never a personal-only scope; optionally limited to some components."""

    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.order_by("promotion_order"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None chosen: all services.",
    )
    apps = forms.ModelMultipleChoiceField(
        queryset=FrontendApp.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Frontend apps",
        help_text="None chosen: all apps.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        scopes = self.fields["scopes"]
        assert isinstance(scopes, forms.MultipleChoiceField)  # `fields` is typed as plain Field
        scopes.choices = [(v, label) for v, label in Scope.choices if v not in PERSONAL_ONLY]
