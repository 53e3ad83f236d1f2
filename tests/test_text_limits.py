"""Free text has a limit wherever a person can type it (#14, item 7): the form says so and writes
nothing, and the database itself refuses a longer value, on PostgreSQL and SQLite alike. The
migrations that added the limits left the append-only triggers in place, kept evidence already
longer than a limit as it was written, and shortened such text only in rows that are edited."""

import datetime as dt
import uuid

import pytest
from django.apps import apps
from django.db import DataError, IntegrityError, connection, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.forms import modelform_factory
from django.urls import reverse
from django.utils import timezone

from releasehub.accounts.models import Role
from releasehub.audit.models import ManualIntervention, TimelineEvent
from releasehub.audit.operations import MakeAppendOnly, trigger_name
from releasehub.comms import forms as comms_forms
from releasehub.comms.models import Audience, Message, MessageTemplate
from releasehub.core import limits
from releasehub.flags import forms as flags_forms
from releasehub.flags.models import FeatureFlag, FlagToggle
from releasehub.notify.models import DeliveryAttempt, Outbox
from releasehub.readiness import forms as readiness_forms
from releasehub.readiness.models import (
    ChecklistItemUpdate,
    GoNoGoDecision,
    MeetingRecord,
    SignOff,
    SmokeResult,
    SquadInvolvement,
)
from releasehub.releases import forms as releases_forms
from releasehub.releases.models import (
    FlagChange,
    FreezeException,
    FreezeExceptionDecision,
    Hotfix,
    HotfixApproval,
    HotfixFollowUp,
    MonitoringDashboard,
    Release,
    Risk,
    RollbackPlan,
    ScopeTicket,
)
from releasehub.rollout import forms as rollout_forms
from releasehub.rollout.models import (
    Anomaly,
    HealthEvaluation,
    HealthRule,
    Incident,
    IncidentResolution,
    LogEntry,
    Rollback,
    RollbackItem,
    RollbackResult,
    RolloutStep,
)
from releasehub.schedule.models import ScheduledAction
from releasehub.webhooks.models import Alert, IncomingDelivery, WebhookAttempt, WebhookDelivery
from tests.factories import FeatureFlagFactory, ReleaseFactory, comms_reference_data, rm, user_with

L = limits
# A Wednesday 10:00 IST far from any instant the suite runs at: never frozen, never due.
WINDOW = dt.datetime(2030, 1, 2, 4, 30, tzinfo=dt.UTC)

# Every form field a person types free text into, with its limit.
FORM_FIELDS = [
    (releases_forms.ReleaseCreateForm, "summary", L.NOTE),
    (releases_forms.MoveForm, "reason", L.NOTE),
    (releases_forms.ReasonForm, "reason", L.NOTE),
    (releases_forms.StatusForm, "reason", L.NOTE),
    (releases_forms.HandoverForm, "reason", L.NOTE),
    (releases_forms.TicketForm, "title", L.TITLE),
    (releases_forms.RiskForm, "description", L.NOTE),
    (releases_forms.RiskForm, "mitigation", L.NOTE),
    (releases_forms.FlagForm, "name", L.NAME),
    (releases_forms.FlagForm, "default_state", L.TITLE),
    (releases_forms.DashboardForm, "name", L.NAME),
    (releases_forms.RollbackPlanForm, "previous", L.REF),
    (releases_forms.RollbackPlanForm, "steps", L.LONG_NOTE),
    (releases_forms.FreezeExceptionForm, "items", L.NOTE),
    (releases_forms.FreezeExceptionForm, "reason", L.NOTE),
    (releases_forms.FreezeExceptionForm, "risk", L.NOTE),
    (releases_forms.FreezeExceptionForm, "rollback_note", L.NOTE),
    (releases_forms.DecisionForm, "comment", L.NOTE),
    (releases_forms.HotfixForm, "problem", L.LONG_NOTE),
    (releases_forms.HotfixForm, "risk_assessment", L.LONG_NOTE),
    (releases_forms.HotfixForm, "tests_run", L.LONG_NOTE),
    (rollout_forms.ServiceStepForm, "note", L.NOTE),
    (rollout_forms.HealthForm, "note", L.NOTE),
    (rollout_forms.OverrideForm, "reason", L.NOTE),
    (rollout_forms.AppStepForm, "note", L.NOTE),
    (rollout_forms.LogForm, "note", L.NOTE),
    (rollout_forms.CompleteForm, "note", L.NOTE),
    (rollout_forms.CompleteForm, "force_reason", L.NOTE),
    (rollout_forms.AnomalyForm, "description", L.NOTE),
    (rollout_forms.AnomalyIncidentForm, "title", L.TITLE),
    (rollout_forms.AnomalyHotfixForm, "risk_assessment", L.LONG_NOTE),
    (rollout_forms.AnomalyHotfixForm, "tests_run", L.LONG_NOTE),
    (rollout_forms.IncidentResolveForm, "note", L.NOTE),
    (rollout_forms.RollbackForm, "reason", L.NOTE),
    (rollout_forms.RollbackResultForm, "steps_performed", L.NOTE),
    (readiness_forms.SignOffForm, "comment", L.NOTE),
    (readiness_forms.DecisionForm, "reason", L.NOTE),
    (readiness_forms.DecisionForm, "override_reason", L.NOTE),
    (readiness_forms.InvolvementForm, "reason", L.NOTE),
    (readiness_forms.ItemUpdateForm, "reason", L.NOTE),
    (readiness_forms.ItemUpdateForm, "evidence", L.EVIDENCE),
    (readiness_forms.SmokeForm, "notes", L.NOTE),
    (readiness_forms.MeetingForm, "notes", L.MEETING),
    (readiness_forms.MeetingForm, "decisions", L.MEETING),
    (flags_forms.FlagToggleForm, "reason", L.NOTE),
    (comms_forms.ComposeForm, "subject", L.TITLE),
    (comms_forms.ComposeForm, "body", L.MESSAGE_BODY),
    (comms_forms.TemplateForm, "subject", L.TITLE),
    (comms_forms.TemplateForm, "body", L.TEMPLATE_BODY),
]
FORM_KWARGS = {rollout_forms.RollbackForm: {"keys": []}}

# Every column a person's text ends up in, with the limit the database holds it to.
DB_LIMITS = [
    (TimelineEvent, "reason", L.RECORDED_REASON),
    (ManualIntervention, "reason", L.RECORDED_REASON),
    (Release, "summary", L.NOTE),
    (ScopeTicket, "title", L.TITLE),
    (Risk, "description", L.NOTE),
    (Risk, "mitigation", L.NOTE),
    (FlagChange, "name", L.NAME),
    (FlagChange, "default_state", L.TITLE),
    (MonitoringDashboard, "name", L.NAME),
    (RollbackPlan, "previous", L.REF),
    (RollbackPlan, "steps", L.LONG_NOTE),
    (FreezeException, "items", L.NOTE),
    (FreezeException, "reason", L.NOTE),
    (FreezeException, "risk", L.NOTE),
    (FreezeException, "rollback_note", L.NOTE),
    (FreezeExceptionDecision, "comment", L.NOTE),
    (Hotfix, "problem", L.LONG_NOTE),
    (Hotfix, "risk_assessment", L.LONG_NOTE),
    (Hotfix, "tests_run", L.LONG_NOTE),
    (HotfixApproval, "comment", L.NOTE),
    (HotfixFollowUp, "note", L.SHORT_NOTE),
    (ChecklistItemUpdate, "reason", L.NOTE),
    (ChecklistItemUpdate, "evidence", L.EVIDENCE),
    (SignOff, "comment", L.NOTE),
    (SquadInvolvement, "reason", L.NOTE),
    (GoNoGoDecision, "reason", L.NOTE),
    (SmokeResult, "notes", L.NOTE),
    (MeetingRecord, "notes", L.MEETING),
    (MeetingRecord, "decisions", L.MEETING),
    (RolloutStep, "note", L.NOTE),
    (LogEntry, "note", L.NOTE),
    (Anomaly, "description", L.NOTE),
    (Incident, "title", L.TITLE),
    (IncidentResolution, "note", L.NOTE),
    (Rollback, "reason", L.NOTE),
    (RollbackItem, "previous", L.REF),
    (RollbackItem, "plan_steps", L.LONG_NOTE),
    (RollbackResult, "steps_performed", L.NOTE),
    (HealthRule, "expression", L.NOTE),
    (FeatureFlag, "description", L.NOTE),
    (FlagToggle, "reason", L.NOTE),
    (MessageTemplate, "subject", L.TITLE),
    (MessageTemplate, "body", L.TEMPLATE_BODY),
    (Audience, "extra_emails", L.ADDRESSES),
    (Message, "subject", L.TITLE),
    (Message, "body", L.MESSAGE_BODY),
]
# Text no person types: composed by the app from limited text, or an error a server sent.
SYSTEM_TEXT = {
    (Outbox, "body"),
    (Outbox, "last_error"),
    (DeliveryAttempt, "error"),
    (ScheduledAction, "note"),
    (HealthEvaluation, "query"),  # copied from its rule's limited expression
    # What machines sent, cut by the receiver (WEBHOOK_DELIVERY_MAX_BYTES, limits.NOTE), and
    # what the app wrote about it or a server answered.
    (IncomingDelivery, "body"),
    (IncomingDelivery, "detail"),
    (Alert, "summary"),
    (Alert, "outcome"),
    (WebhookDelivery, "last_error"),
    (WebhookAttempt, "error"),
}


def _form_id(value) -> str:
    return value.__name__ if isinstance(value, type) else str(value)


def _bound(form_class, field: str, text: str):
    return form_class(data={field: text}, **FORM_KWARGS.get(form_class, {}))


# The forms ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("form_class", "field", "limit"), FORM_FIELDS, ids=_form_id)
def test_a_form_refuses_text_over_its_limit_with_a_message(form_class, field, limit):
    over = _bound(form_class, field, "x" * (limit + 1))
    assert not over.is_valid()
    assert f"at most {limit} characters (it has {limit + 1})" in str(over.errors[field])
    if field != "items":  # ticket keys, checked for their shape once the length is right
        at = _bound(form_class, field, "x" * limit)
        at.is_valid()
        assert field not in at.errors


@pytest.fixture
def manager():
    return rm(username="asha")


@pytest.fixture
def release(manager):
    return ReleaseFactory(
        window_start=WINDOW,
        window_end=WINDOW + dt.timedelta(hours=2),
        release_manager=manager,
        summary="Bi-weekly train",
    )


def _refused_with_message(response, limit: int) -> None:
    assert response.status_code == 400
    assert f"at most {limit} characters" in response.content.decode()
    assert not TimelineEvent.objects.exists()


@pytest.mark.django_db
def test_a_move_reason_over_the_limit_moves_nothing(client, manager, release):
    client.force_login(manager)
    later = (WINDOW + dt.timedelta(days=7)).astimezone(timezone.get_current_timezone())
    response = client.post(
        reverse("releases:move", args=[release.code]),
        {
            "window_start": later.strftime("%Y-%m-%dT%H:%M"),
            "window_end": (later + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "reason": "x" * (L.NOTE + 1),
        },
    )
    _refused_with_message(response, L.NOTE)
    release.refresh_from_db()
    assert release.window_start == WINDOW


@pytest.mark.django_db
def test_a_cancel_reason_over_the_limit_cancels_nothing(client, manager, release):
    client.force_login(manager)
    url = reverse("releases:cancel", args=[release.code])
    response = client.post(url, {"reason": "x" * 100_000})
    _refused_with_message(response, L.NOTE)
    release.refresh_from_db()
    assert release.status == Release.Status.PLANNED


@pytest.mark.django_db
def test_a_summary_over_the_limit_creates_no_release(client, manager):
    client.force_login(manager)
    start = WINDOW.astimezone(timezone.get_current_timezone())
    response = client.post(
        reverse("releases:create"),
        {
            "version": "2030.01.02",
            "window_start": start.strftime("%Y-%m-%dT%H:%M"),
            "window_end": (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "release_manager": manager.pk,
            "summary": "x" * (L.NOTE + 1),
        },
    )
    _refused_with_message(response, L.NOTE)
    assert not Release.objects.exists()


@pytest.mark.django_db
def test_a_flag_toggle_reason_over_the_limit_records_nothing(client):
    flag = FeatureFlagFactory()
    client.force_login(user_with(Role.SRE))
    response = client.post(
        reverse("flags:toggle", args=[flag.key]),
        {"environment": "production", "state": "off", "reason": "x" * 100_000},
    )
    _refused_with_message(response, L.NOTE)
    assert not FlagToggle.objects.exists()


@pytest.mark.django_db
def test_a_template_body_over_the_limit_is_not_saved(client, manager):
    comms_reference_data()
    before = MessageTemplate.objects.get(kind="heads_up").body
    client.force_login(manager)
    response = client.post(
        reverse("comms:template_save", args=["heads_up"]),
        {"subject": "Release {version}", "body": "x" * 1_000_000},
    )
    _refused_with_message(response, L.TEMPLATE_BODY)
    assert MessageTemplate.objects.get(kind="heads_up").body == before


# The database -------------------------------------------------------------------------------

# Points at no row: foreign keys are checked at commit, which these inserts never reach.
NOWHERE = 2_000_000_001
# What a row needs besides its text to pass the table's other checks.
OTHER_CHECKS = {
    Release: {"window_start": WINDOW, "window_end": WINDOW + dt.timedelta(hours=2)},
    RollbackPlan: {"service_id": NOWHERE},
    RolloutStep: {"service_id": NOWHERE},
    RollbackItem: {"service_id": NOWHERE},
    HealthRule: {"service_id": NOWHERE, "threshold": 0.4},
    MessageTemplate: {"kind": "test"},  # the seeded templates hold every real kind
}


def _placeholder(field: models.Field):
    if field.is_relation:
        return None if field.null else NOWHERE
    if field.null:
        return None
    if field.has_default():
        return field.get_default()
    if field.choices:
        return field.choices[0][0]
    for kind, value in [
        (models.DateTimeField, timezone.now()),
        (models.DateField, dt.date(2030, 1, 1)),
        (models.BooleanField, False),
        (models.UUIDField, uuid.uuid4()),
        (models.JSONField, []),
        (models.IntegerField, 1),
    ]:
        if isinstance(field, kind):
            return value
    return "x"


def _insert(model: type[models.Model], field: str, text: str) -> None:
    """One row straight into the table, past every form and service."""
    values = {f.attname: _placeholder(f) for f in model._meta.concrete_fields if not f.primary_key}
    values.update(OTHER_CHECKS.get(model, {}), **{field: text})
    model._base_manager.bulk_create([model(**values)])


def _db_id(value) -> str:
    return value.__name__ if isinstance(value, type) else str(value)


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "field", "limit"), DB_LIMITS, ids=_db_id)
def test_the_database_refuses_text_over_the_limit(model, field, limit):
    with pytest.raises((IntegrityError, DataError)) as refused, transaction.atomic():
        _insert(model, field, "x" * (limit + 1))
    if refused.type is IntegrityError:  # PostgreSQL's varchar refuses first (a DataError)
        name = f"{model._meta.app_label}_{model._meta.model_name}_{field}_length"
        assert name in str(refused.value)
    with transaction.atomic():
        _insert(model, field, "x" * limit)
        transaction.set_rollback(True)


def test_every_limit_the_models_declare_is_tested_here():
    declared = {
        (model, constraint.field, constraint.limit)
        for model in apps.get_models()
        for constraint in model._meta.constraints
        if hasattr(constraint, "limit")
    }
    assert declared == set(DB_LIMITS)


@pytest.mark.parametrize(("model", "field", "limit"), DB_LIMITS, ids=_db_id)
def test_input_without_a_form_can_read_each_limit_from_the_model(model, field, limit):
    assert limits.max_length(model, field) == limit


@pytest.mark.django_db
def test_staff_editing_in_the_admin_are_told_the_databases_limit():
    form = modelform_factory(FeatureFlag, fields="__all__")(
        data={
            "key": "new-flag",
            "description": "x" * (L.NOTE + 1),
            "default_state": "off",
            "rollout_strategy": "all_at_once",
            "status": "active",
        }
    )
    assert not form.is_valid()
    assert form.non_field_errors() == ["Description: at most 2,000 characters."]
    assert not FeatureFlag.objects.filter(key="new-flag").exists()


def test_every_text_column_has_a_limit_unless_only_the_app_writes_it():
    text_columns = {
        (model, field.name)
        for model in apps.get_models()
        if model.__module__.startswith("releasehub.")
        for field in model._meta.concrete_fields
        if isinstance(field, models.TextField)
    }
    assert text_columns - {(model, field) for model, field, _ in DB_LIMITS} == SYSTEM_TEXT


# The migrations -----------------------------------------------------------------------------


def _append_only_tables() -> set[str]:
    """Every table a migration made append-only, named as it was then (some models moved)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    tables = set()
    for key, migration in loader.disk_migrations.items():
        names = [op.model_name for op in migration.operations if isinstance(op, MakeAppendOnly)]
        if names:
            state = loader.project_state(key, at_end=True)
            tables |= {state.apps.get_model(key[0], name)._meta.db_table for name in names}
    return tables


def _triggers(table: str) -> set[str]:
    if connection.vendor == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s"
    else:
        sql = "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass"
    with connection.cursor() as cursor:
        cursor.execute(sql, [table])
        return {name for (name,) in cursor.fetchall()}


def _untriggered(tables: set[str]) -> list[str]:
    return sorted(
        table
        for table in tables
        if not {trigger_name(table, "UPDATE"), trigger_name(table, "DELETE")} <= _triggers(table)
    )


@pytest.mark.django_db
def test_every_append_only_table_kept_its_triggers_through_the_limits_migrations():
    tables = _append_only_tables()
    assert len(tables) >= 26
    assert _untriggered(tables) == []


def _migrate(targets: list[tuple[str, str]] | None = None) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


def _long_exception(release: Release) -> FreezeException:
    return FreezeException.objects.create(
        release=release,
        items="PAT-1",
        reason="r" * 3_000,
        risk="Low",
        rollback_note="Revert",
        requested_by=release.release_manager,
        requested_at=timezone.now(),
    )


@pytest.mark.django_db(transaction=True)
def test_older_longer_evidence_is_kept_and_longer_editable_text_shortened():
    _migrate([("releases", "0004_refuse_truncate")])
    try:
        release = ReleaseFactory(
            window_start=WINDOW,
            window_end=WINDOW + dt.timedelta(hours=2),
            release_manager=rm(),
            summary="s" * 3_000,
        )
        exception = _long_exception(release)
    finally:
        _migrate()
    assert FreezeException.objects.get(pk=exception.pk).reason == "r" * 3_000
    release.refresh_from_db()
    assert release.summary == "s" * L.NOTE
    # Still editable: a row its table's check refuses could not be updated.
    assert Release.objects.filter(pk=release.pk).update(status=Release.Status.FROZEN) == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        _long_exception(release)
    assert _untriggered({"releases_freezeexception"}) == []
