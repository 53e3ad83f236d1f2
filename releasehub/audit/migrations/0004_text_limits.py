from django.db import migrations

from releasehub.audit.text_limits import AddTextLimit
from releasehub.core.limits import TextLimit


class Migration(migrations.Migration):
    """Free text gets a limit the database enforces (#14): see audit/text_limits.py for what
    happens to rows already longer and to the append-only triggers."""

    dependencies = [
        ("audit", "0003_refuse_truncate"),
    ]

    operations = [
        AddTextLimit(
            model_name="manualintervention",
            constraint=TextLimit(
                field="reason", limit=10_000, name="audit_manualintervention_reason_length"
            ),
        ),
        AddTextLimit(
            model_name="timelineevent",
            constraint=TextLimit(
                field="reason", limit=10_000, name="audit_timelineevent_reason_length"
            ),
        ),
    ]
