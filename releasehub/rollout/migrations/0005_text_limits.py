from django.db import migrations

from releasehub.audit.operations import create_sql, drop_sql
from releasehub.audit.text_limits import AddTextLimit
from releasehub.core.limits import TextLimit


def reinstall_lost_triggers(apps, schema_editor) -> None:
    # 0002 copied these two tables on SQLite (adding a field, a constraint), which dropped their
    # append-only triggers; put them back before the limits below copy them again.
    if schema_editor.connection.vendor != "sqlite":
        return
    for table in ("rollout_deployment", "rollout_incident"):
        for sql in drop_sql("sqlite", table) + create_sql("sqlite", table):
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    """Free text gets a limit the database enforces (#14): see audit/text_limits.py for what
    happens to rows already longer and to the append-only triggers."""

    dependencies = [
        ("rollout", "0004_refuse_truncate"),
    ]

    operations = [
        migrations.RunPython(reinstall_lost_triggers, migrations.RunPython.noop),
        AddTextLimit(
            model_name="anomaly",
            constraint=TextLimit(
                field="description", limit=2_000, name="rollout_anomaly_description_length"
            ),
        ),
        AddTextLimit(
            model_name="incident",
            constraint=TextLimit(field="title", limit=200, name="rollout_incident_title_length"),
        ),
        AddTextLimit(
            model_name="incidentresolution",
            constraint=TextLimit(
                field="note", limit=2_000, name="rollout_incidentresolution_note_length"
            ),
        ),
        AddTextLimit(
            model_name="logentry",
            constraint=TextLimit(field="note", limit=2_000, name="rollout_logentry_note_length"),
        ),
        AddTextLimit(
            model_name="rollback",
            constraint=TextLimit(
                field="reason", limit=2_000, name="rollout_rollback_reason_length"
            ),
        ),
        AddTextLimit(
            model_name="rollbackitem",
            constraint=TextLimit(
                field="previous", limit=120, name="rollout_rollbackitem_previous_length"
            ),
        ),
        AddTextLimit(
            model_name="rollbackitem",
            constraint=TextLimit(
                field="plan_steps", limit=4_000, name="rollout_rollbackitem_plan_steps_length"
            ),
        ),
        AddTextLimit(
            model_name="rollbackresult",
            constraint=TextLimit(
                field="steps_performed",
                limit=2_000,
                name="rollout_rollbackresult_steps_performed_length",
            ),
        ),
        AddTextLimit(
            model_name="rolloutstep",
            constraint=TextLimit(field="note", limit=2_000, name="rollout_rolloutstep_note_length"),
        ),
    ]
