from django.db import migrations

from releasehub.audit.text_limits import AddTextLimit
from releasehub.core.limits import TextLimit


class Migration(migrations.Migration):
    """Free text gets a limit the database enforces (#14): see audit/text_limits.py for what
    happens to rows already longer and to the append-only triggers."""

    dependencies = [
        ("readiness", "0004_refuse_truncate"),
    ]

    operations = [
        AddTextLimit(
            model_name="checklistitemupdate",
            constraint=TextLimit(
                field="reason", limit=2_000, name="readiness_checklistitemupdate_reason_length"
            ),
        ),
        AddTextLimit(
            model_name="checklistitemupdate",
            constraint=TextLimit(
                field="evidence", limit=500, name="readiness_checklistitemupdate_evidence_length"
            ),
        ),
        AddTextLimit(
            model_name="gonogodecision",
            constraint=TextLimit(
                field="reason", limit=2_000, name="readiness_gonogodecision_reason_length"
            ),
        ),
        AddTextLimit(
            model_name="meetingrecord",
            constraint=TextLimit(
                field="notes", limit=10_000, name="readiness_meetingrecord_notes_length"
            ),
        ),
        AddTextLimit(
            model_name="meetingrecord",
            constraint=TextLimit(
                field="decisions", limit=10_000, name="readiness_meetingrecord_decisions_length"
            ),
        ),
        AddTextLimit(
            model_name="signoff",
            constraint=TextLimit(
                field="comment", limit=2_000, name="readiness_signoff_comment_length"
            ),
        ),
        AddTextLimit(
            model_name="smokeresult",
            constraint=TextLimit(
                field="notes", limit=2_000, name="readiness_smokeresult_notes_length"
            ),
        ),
        AddTextLimit(
            model_name="squadinvolvement",
            constraint=TextLimit(
                field="reason", limit=2_000, name="readiness_squadinvolvement_reason_length"
            ),
        ),
    ]
