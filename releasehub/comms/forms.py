from django import forms

from releasehub.comms.models import Audience, MessageKind, MessageTemplate


class ComposeForm(forms.Form):
    kind = forms.ChoiceField(choices=MessageKind.choices, widget=forms.HiddenInput)
    # One per opened compose form: a double click or a resubmission sends once.
    token = forms.UUIDField(widget=forms.HiddenInput)
    subject = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}))
    audiences = forms.ModelMultipleChoiceField(
        queryset=Audience.objects.filter(active=True),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one audience."},
    )


class TemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}
