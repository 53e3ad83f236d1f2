"""Input checks for the readiness forms. Who acts is never a field: it is request.user."""

from django import forms

from releasehub.accounts.models import User
from releasehub.core import limits
from releasehub.readiness.models import ItemState, SignOffDecision, SmokeOutcome, Suite
from releasehub.readiness.services.decision import Then

MAX_COUNT = 10_000_000
# Who may be listed at the pre-release meeting: anyone active with a role.
ATTENDEES = User.objects.filter(
    is_active=True, is_machine=False, role_assignments__isnull=False
).distinct()


class SignOffForm(forms.Form):
    slot = forms.CharField(max_length=40)
    decision = forms.ChoiceField(choices=SignOffDecision.choices)
    comment = forms.CharField(max_length=limits.NOTE, required=False)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=SignOffDecision.choices)
    reason = forms.CharField(max_length=limits.NOTE, required=False)
    override_reason = forms.CharField(max_length=limits.NOTE, required=False)
    then = forms.ChoiceField(choices=Then.choices, required=False)


class InvolvementForm(forms.Form):
    squad = forms.SlugField(max_length=50)
    involved = forms.TypedChoiceField(
        choices=[("yes", "Involved"), ("no", "Not involved")], coerce=lambda v: v == "yes"
    )
    reason = forms.CharField(max_length=limits.NOTE, required=False)


class ItemUpdateForm(forms.Form):
    state = forms.ChoiceField(choices=ItemState.choices)
    reason = forms.CharField(max_length=limits.NOTE, required=False)
    evidence = forms.CharField(max_length=limits.EVIDENCE, required=False)


class ItemAssignForm(forms.Form):
    owner = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True, is_machine=False),
        to_field_name="username",
        required=False,
    )


class SmokeForm(forms.Form):
    item = forms.UUIDField()
    outcome = forms.ChoiceField(choices=SmokeOutcome.choices)
    notes = forms.CharField(max_length=limits.NOTE, required=False)


class RegressionForm(forms.Form):
    suite = forms.ChoiceField(choices=Suite.choices)
    passed = forms.IntegerField(min_value=0, max_value=MAX_COUNT)
    failed = forms.IntegerField(min_value=0, max_value=MAX_COUNT)
    skipped = forms.IntegerField(min_value=0, max_value=MAX_COUNT)
    link = forms.URLField(max_length=300, required=False, assume_scheme="https")


class MeetingForm(forms.Form):
    attendees = forms.ModelMultipleChoiceField(queryset=ATTENDEES, to_field_name="username")
    notes = forms.CharField(max_length=limits.MEETING, required=False)
    decisions = forms.CharField(max_length=limits.MEETING, required=False)
