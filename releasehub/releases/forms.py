"""Forms for the release ticket. Times are typed and shown in IST (the active time zone)."""

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils import timezone

from releasehub.accounts.models import Role, Squad, User
from releasehub.catalog.models import FrontendApp, Service
from releasehub.core import limits
from releasehub.releases.access import is_rm
from releasehub.releases.models import (
    APP_STRATEGIES,
    SERVICE_STRATEGIES,
    OnCallRole,
    Release,
    RollbackStrategy,
    TargetedTests,
    parse_keys,
)

TICKET_KEY = re.compile(r"^[A-Z][A-Z0-9]{1,9}-[0-9]{1,7}$")


class PageForm(forms.Form):
    """A form that shares the release page with others: its ids carry `id_prefix`."""

    id_prefix = "form"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        super().__init__(*args, **kwargs)


class WindowInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def required_text(**kwargs) -> forms.CharField:
    # strip=True (the default) turns a reason of spaces into an empty one, refused as required.
    return forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), **kwargs)


class WindowForm(PageForm):
    window_start = forms.DateTimeField(label="Window start (IST)", widget=WindowInput())
    window_end = forms.DateTimeField(label="Window end (IST)", widget=WindowInput())

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("window_start"), data.get("window_end")
        if start and end:
            if end <= start:
                self.add_error("window_end", "The window must end after it starts.")
            if start <= timezone.now():
                self.add_error("window_start", "The window must start in the future.")
        return data


class ReleaseCreateForm(WindowForm):
    id_prefix = "id"
    version = forms.CharField(max_length=40)
    release_manager = forms.ModelChoiceField(
        queryset=User.objects.filter(rota_member__active=True).order_by("rota_member__position"),
        label="Release Manager",
    )
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=limits.NOTE
    )
    train_date = forms.DateField(widget=forms.HiddenInput, required=False)

    field_order = ["version", "window_start", "window_end", "release_manager", "summary"]

    def clean_version(self) -> str:
        version = self.cleaned_data["version"].strip()
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", version):
            raise forms.ValidationError("Use letters, digits, dots, dashes and underscores.")
        if Release.objects.filter(version=version).exists():
            raise forms.ValidationError(f"Version {version} already exists.")
        return version


class MoveForm(WindowForm):
    id_prefix = "move"
    reason = required_text(max_length=limits.NOTE)


class ReasonForm(PageForm):
    id_prefix = "cancel"
    reason = required_text(max_length=limits.NOTE)


class StatusForm(PageForm):
    id_prefix = "status"
    status = forms.ChoiceField(choices=Release.Status.choices)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=limits.NOTE
    )

    # A step back or an abort is explained; a step forward need not be.
    NEEDS_REASON = (Release.Status.NO_GO, Release.Status.ROLLED_BACK, Release.Status.CANCELLED)

    def __init__(self, *args, allowed: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if allowed is not None:
            status = self.fields["status"]
            assert isinstance(status, forms.ChoiceField)  # `fields` is typed as plain Field
            status.choices = [(s, Release.Status(s).label) for s in allowed]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("status", "") in self.NEEDS_REASON and not data.get("reason"):
            self.add_error("reason", "Give a reason for this change.")
        return data


class HandoverForm(PageForm):
    id_prefix = "handover"
    to = forms.ModelChoiceField(
        queryset=User.objects.filter(rota_member__active=True).order_by("rota_member__position"),
        label="New Release Manager",
    )
    reason = forms.CharField(required=False, max_length=limits.NOTE)


class TicketForm(PageForm):
    id_prefix = "ticket"
    key = forms.CharField(max_length=30, label="Ticket key", help_text="e.g. PAT-123")
    title = forms.CharField(max_length=limits.TITLE)
    squad = forms.ModelChoiceField(queryset=Squad.objects.all())
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.filter(active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    apps = forms.ModelMultipleChoiceField(
        queryset=FrontendApp.objects.filter(active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Frontend apps",
    )
    link = forms.URLField(max_length=300, required=False, assume_scheme="https")
    merged = forms.BooleanField(required=False)
    ci_passing = forms.BooleanField(required=False, label="CI passing")

    def __init__(self, *args, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and not is_rm(user):
            # Offered: the rep's own squads. Accepted: any squad, so that a forged one reaches
            # the view's access check and is refused (403), not passed off as a typo.
            squad = self.fields["squad"]
            assert isinstance(squad, forms.ModelChoiceField)
            squad.widget.choices = [("", squad.empty_label), *((s.pk, s) for s in user.squads)]

    def clean_key(self) -> str:
        key = self.cleaned_data["key"].strip().upper()
        if not TICKET_KEY.match(key):
            raise forms.ValidationError("A ticket key looks like PAT-123.")
        return key


class TicketStatusForm(PageForm):
    id_prefix = "ticket-status"
    merged = forms.BooleanField(required=False)
    ci_passing = forms.BooleanField(required=False, label="CI passing")


class RiskForm(PageForm):
    id_prefix = "risk"
    description = required_text(label="Known risk", max_length=limits.NOTE)
    mitigation = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=limits.NOTE
    )


class FlagForm(PageForm):
    id_prefix = "flag"
    name = forms.CharField(max_length=limits.NAME, label="Feature flag")
    default_state = forms.CharField(max_length=limits.TITLE, label="Default state")


class OnCallForm(PageForm):
    id_prefix = "oncall"
    role = forms.ChoiceField(choices=OnCallRole.choices)
    person = forms.ModelChoiceField(
        queryset=User.objects.filter(
            is_active=True, is_machine=False, role_assignments__isnull=False
        ).distinct()
    )


class DashboardForm(PageForm):
    id_prefix = "board"
    name = forms.CharField(max_length=limits.NAME, label="Dashboard")
    url = forms.URLField(max_length=300, assume_scheme="https", label="Link")


class RollbackPlanForm(PageForm):
    """One plan for one changed component; `component` is `service:<slug>` or `app:<slug>`."""

    id_prefix = "plan"
    component = forms.ChoiceField()
    strategy = forms.ChoiceField(choices=RollbackStrategy.choices)
    previous = forms.CharField(max_length=limits.REF, label="Previous version or flag")
    steps = required_text(max_length=limits.LONG_NOTE)

    def __init__(self, *args, components: Sequence[Service | FrontendApp] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.components = {self.value_for(c): c for c in components}
        field = self.fields["component"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(k, str(c)) for k, c in self.components.items()]

    @staticmethod
    def value_for(component) -> str:
        prefix = "service" if isinstance(component, Service) else "app"
        return f"{prefix}:{component.slug}"

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        component = self.components.get(data.get("component", ""))
        strategy = data.get("strategy")
        if component is not None and strategy:
            allowed = SERVICE_STRATEGIES if isinstance(component, Service) else APP_STRATEGIES
            if strategy not in allowed:
                self.add_error(
                    "strategy",
                    f"For {component}: " + ", ".join(RollbackStrategy(s).label for s in allowed),
                )
        data["component_obj"] = component
        return data


class FreezeExceptionForm(PageForm):
    id_prefix = "exception"
    items = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Ticket keys, one per line or comma-separated",
        max_length=limits.NOTE,
    )
    reason = required_text(max_length=limits.NOTE)
    risk = required_text(max_length=limits.NOTE)
    rollback_note = required_text(label="Rollback note", max_length=limits.NOTE)

    def clean_items(self) -> str:
        keys = parse_keys(self.cleaned_data["items"])
        bad = [k for k in keys if not TICKET_KEY.match(k)]
        if not keys or bad:
            raise forms.ValidationError("List ticket keys such as PAT-123.")
        return "\n".join(keys)


class DecisionForm(PageForm):
    id_prefix = "decision"
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    comment = required_text(max_length=limits.NOTE)


class HotfixForm(WindowForm):
    id_prefix = "id"
    version = forms.CharField(max_length=40)
    production_tag = forms.CharField(
        max_length=60, help_text="The production tag to branch from (last completed release)"
    )
    problem = required_text(max_length=limits.LONG_NOTE)
    incident_url = forms.URLField(max_length=300, assume_scheme="https", label="Incident link")
    branch = forms.CharField(max_length=120, label="Hotfix branch")
    risk_assessment = required_text(max_length=limits.LONG_NOTE)
    tests_run = required_text(label="Targeted tests run", max_length=limits.LONG_NOTE)
    tests_result = forms.ChoiceField(choices=TargetedTests.choices, label="Result")
    supervising_sre = forms.ModelChoiceField(
        queryset=User.objects.filter(role_assignments__role=Role.SRE, is_machine=False).distinct(),
        label="Supervising SRE",
    )
    components = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        label="Affected services and apps",
        help_text="Named in the hotfix notice to Support and Ops",
        error_messages={"required": "Choose the services or apps the hotfix affects."},
    )

    field_order = [
        "version",
        "production_tag",
        "branch",
        "problem",
        "components",
        "incident_url",
        "risk_assessment",
        "tests_run",
        "tests_result",
        "supervising_sre",
        "window_start",
        "window_end",
    ]

    clean_version = ReleaseCreateForm.clean_version

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        services = list(Service.objects.filter(active=True))
        apps = list(FrontendApp.objects.filter(active=True))
        catalog: list[Service | FrontendApp] = [*services, *apps]
        self.catalog = {RollbackPlanForm.value_for(c): c for c in catalog}
        field = self.fields["components"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [
            ("Services", [(RollbackPlanForm.value_for(c), str(c)) for c in services]),
            ("Frontend apps", [(RollbackPlanForm.value_for(c), str(c)) for c in apps]),
        ]

    def clean_components(self) -> list[Service | FrontendApp]:
        # The choices already refused any value not in the catalog.
        return [self.catalog[value] for value in self.cleaned_data["components"]]

    def clean_branch(self) -> str:
        branch = self.cleaned_data["branch"].strip()
        if not re.fullmatch(r"[A-Za-z0-9._/-]+", branch):
            raise forms.ValidationError("A branch name has no spaces.")
        return branch


def hotfix_default_window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The next full hour after an hour of preparation, one hour long."""
    start = (now + dt.timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    return start, start + dt.timedelta(hours=1)
