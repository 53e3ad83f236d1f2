from django.db import migrations

from releasehub.audit.text_limits import AddTextLimit
from releasehub.core.limits import TextLimit


class Migration(migrations.Migration):
    """Free text gets a limit the database enforces (#14): see audit/text_limits.py for what
    happens to rows already longer and to the append-only triggers."""

    dependencies = [
        ("flags", "0002_refuse_truncate"),
    ]

    operations = [
        AddTextLimit(
            model_name="featureflag",
            constraint=TextLimit(
                field="description", limit=2_000, name="flags_featureflag_description_length"
            ),
        ),
        AddTextLimit(
            model_name="flagtoggle",
            constraint=TextLimit(
                field="reason", limit=2_000, name="flags_flagtoggle_reason_length"
            ),
        ),
    ]
