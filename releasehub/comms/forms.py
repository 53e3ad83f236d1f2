from django import forms

from releasehub.comms.models import Audience, MessageKind, MessageTemplate
from releasehub.core import limits
from releasehub.notify.targets import webhook_url_problem


class ComposeForm(forms.Form):
    kind = forms.ChoiceField(choices=MessageKind.choices, widget=forms.HiddenInput)
    # One per opened compose form: a double click or a resubmission sends once.
    token = forms.UUIDField(widget=forms.HiddenInput)
    subject = forms.CharField(max_length=limits.TITLE)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12}), max_length=limits.MESSAGE_BODY
    )
    audiences = forms.ModelMultipleChoiceField(
        queryset=Audience.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one audience."},
    )


class TemplateForm(forms.ModelForm):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10}), max_length=limits.TEMPLATE_BODY
    )

    class Meta:
        model = MessageTemplate
        fields = ["subject", "body"]


class AudienceForm(forms.ModelForm):
    """Staff's audience form (the admin): a chat webhook only to an allowed provider host.
    Delivery checks again, with the resolved address (notify/targets.py)."""

    class Meta:
        model = Audience
        fields = [
            "name",
            "kind",
            "role",
            "squad",
            "extra_emails",
            "webhook_url",
            "display_order",
            "active",
        ]

    def clean_webhook_url(self) -> str:
        url = self.cleaned_data["webhook_url"]
        if url and (problem := webhook_url_problem(url)):
            raise forms.ValidationError(problem)
        return url
