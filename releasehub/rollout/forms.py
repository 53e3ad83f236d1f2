"""Input checks for the board's forms. Who acts is never a field: it is request.user.
Times are typed in IST (the active time zone)."""

from django import forms

from releasehub.accounts.models import Role, User
from releasehub.catalog.models import FrontendApp, Service
from releasehub.core import limits
from releasehub.releases.models import TargetedTests
from releasehub.rollout.models import (
    APP_AFTER_FULL,
    APP_STEPS,
    SERVICE_STEPS,
    AnomalySeverity,
    Comparison,
    Measure,
    RollbackScope,
    Severity,
)

YES_NO = [("yes", "Yes"), ("no", "No")]
SERVICE_STEP_CHOICES = [(s.value, s.label) for s in SERVICE_STEPS]
APP_STEP_CHOICES = [(s.value, s.label) for s in APP_STEPS + APP_AFTER_FULL]


def _yes(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


def component_key(component: Service | FrontendApp) -> str:
    return f"{'service' if isinstance(component, Service) else 'app'}:{component.slug}"


def component_by_key(key: str) -> Service | FrontendApp | None:
    """`service:identity` or `app:patient-web`, as the board's selects send them."""
    kind, _, slug = (key or "").partition(":")
    if kind == "service":
        return Service.objects.filter(slug=slug).first()
    if kind == "app":
        return FrontendApp.objects.filter(slug=slug).first()
    return None


class ServiceStepForm(forms.Form):
    service = forms.SlugField(max_length=50)
    step = forms.ChoiceField(choices=SERVICE_STEP_CHOICES)
    passed = forms.TypedChoiceField(choices=YES_NO, coerce=_yes, required=False, empty_value=None)
    note = forms.CharField(max_length=limits.NOTE, required=False)


class HealthForm(forms.Form):
    service = forms.SlugField(max_length=50)
    healthy = forms.TypedChoiceField(choices=YES_NO, coerce=_yes)
    p95_ms = forms.IntegerField(
        label="p95 latency (ms)", min_value=0, max_value=600_000, required=False
    )
    error_rate = forms.DecimalField(
        label="Error rate (%)", min_value=0, max_value=100, decimal_places=3, required=False
    )
    link = forms.URLField(
        label="Dashboard link", max_length=300, required=False, assume_scheme="https"
    )
    note = forms.CharField(max_length=limits.NOTE, required=False)


class OverrideForm(forms.Form):
    component = forms.CharField(max_length=60)
    action = forms.ChoiceField(choices=[("cut_short", "Cut window short"), ("skip", "Skip")])
    reason = forms.CharField(max_length=limits.NOTE)


class AppStepForm(forms.Form):
    app = forms.SlugField(max_length=50)
    step = forms.ChoiceField(choices=APP_STEP_CHOICES)
    build_id = forms.CharField(label="Build id", max_length=80, required=False)
    link = forms.URLField(label="Build link", max_length=300, required=False, assume_scheme="https")
    percent = forms.IntegerField(label="Canary %", min_value=1, max_value=100, required=False)
    cdn = forms.TypedChoiceField(
        choices=[("cleared", "Cleared"), ("not_needed", "Not needed")],
        coerce=lambda v: v == "cleared",
        required=False,
        empty_value=None,
    )
    note = forms.CharField(max_length=limits.NOTE, required=False)


class LogForm(forms.Form):
    note = forms.CharField(max_length=limits.NOTE)


class CompleteForm(forms.Form):
    note = forms.CharField(label="Completion observation", max_length=limits.NOTE)
    force_reason = forms.CharField(max_length=limits.NOTE, required=False)


class AnomalyForm(forms.Form):
    seen_at = forms.DateTimeField(label="Seen at (IST)")
    component = forms.CharField(max_length=60, required=False)
    description = forms.CharField(max_length=limits.NOTE)
    severity = forms.ChoiceField(choices=AnomalySeverity.choices)


class AnomalyIncidentForm(forms.Form):
    anomaly = forms.UUIDField()
    severity = forms.ChoiceField(choices=Severity.choices)
    title = forms.CharField(max_length=limits.TITLE, required=False)
    link = forms.URLField(max_length=300, required=False, assume_scheme="https")


class AnomalyHotfixForm(forms.Form):
    anomaly = forms.UUIDField()
    version = forms.CharField(max_length=40)
    window_start = forms.DateTimeField(label="Deploy at (IST)")
    branch = forms.CharField(max_length=120)
    risk_assessment = forms.CharField(max_length=limits.LONG_NOTE)
    tests_run = forms.CharField(max_length=limits.LONG_NOTE)
    tests_result = forms.ChoiceField(choices=TargetedTests.choices)
    supervising_sre = forms.ModelChoiceField(
        queryset=User.objects.filter(role_assignments__role=Role.SRE, is_machine=False),
        to_field_name="username",
    )
    incident_url = forms.URLField(max_length=300, assume_scheme="https")


class IncidentResolveForm(forms.Form):
    incident = forms.UUIDField()
    resolved_at = forms.DateTimeField(label="Resolved at (IST)")
    note = forms.CharField(max_length=limits.NOTE, required=False)


class RollbackForm(forms.Form):
    scope = forms.ChoiceField(choices=RollbackScope.choices)
    components = forms.MultipleChoiceField(choices=[], required=False)
    reason = forms.CharField(max_length=limits.NOTE)
    incident = forms.UUIDField(required=False)

    def __init__(self, *args, keys: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        components = self.fields["components"]
        assert isinstance(components, forms.MultipleChoiceField)
        components.choices = [(k, k) for k in keys]


class RollbackResultForm(forms.Form):
    item = forms.UUIDField()
    steps_performed = forms.CharField(max_length=limits.NOTE)
    succeeded = forms.TypedChoiceField(choices=YES_NO, coerce=_yes)


class HealthRuleForm(forms.Form):
    name = forms.CharField(max_length=80)
    measure = forms.ChoiceField(choices=Measure.choices, initial=Measure.OTHER)
    expression = forms.CharField(max_length=limits.NOTE, label="PromQL expression")
    comparison = forms.ChoiceField(choices=Comparison.choices)
    threshold = forms.FloatField()
    baseline_factor = forms.FloatField(
        required=False, min_value=0.01, label="No worse than baseline x"
    )
    enabled = forms.BooleanField(required=False, initial=True)


class HealthRuleTryForm(forms.Form):
    measure = forms.ChoiceField(choices=Measure.choices, required=False)
    expression = forms.CharField(max_length=limits.NOTE)
    comparison = forms.ChoiceField(choices=Comparison.choices)
    threshold = forms.FloatField()
