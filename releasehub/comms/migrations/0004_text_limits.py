from django.db import migrations

from releasehub.audit.text_limits import AddTextLimit
from releasehub.core.limits import TextLimit


class Migration(migrations.Migration):
    """Free text gets a limit the database enforces (#14): see audit/text_limits.py for what
    happens to rows already longer and to the append-only triggers."""

    dependencies = [
        ("comms", "0003_refuse_truncate"),
    ]

    operations = [
        AddTextLimit(
            model_name="audience",
            constraint=TextLimit(
                field="extra_emails", limit=10_000, name="comms_audience_extra_emails_length"
            ),
        ),
        AddTextLimit(
            model_name="message",
            constraint=TextLimit(field="subject", limit=200, name="comms_message_subject_length"),
        ),
        AddTextLimit(
            model_name="message",
            constraint=TextLimit(field="body", limit=50_000, name="comms_message_body_length"),
        ),
        AddTextLimit(
            model_name="messagetemplate",
            constraint=TextLimit(
                field="subject", limit=200, name="comms_messagetemplate_subject_length"
            ),
        ),
        AddTextLimit(
            model_name="messagetemplate",
            constraint=TextLimit(
                field="body", limit=20_000, name="comms_messagetemplate_body_length"
            ),
        ),
    ]
