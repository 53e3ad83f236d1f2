from django.db import migrations, models

from releasehub.audit.operations import AddEvidenceField


class Migration(migrations.Migration):
    """What carried a change in: an API token or a webhook, and the run it reported (#16)."""

    dependencies = [
        ("audit", "0005_timeline_version"),
    ]

    operations = [
        AddEvidenceField(
            model_name="timelineevent",
            name="via",
            field=models.CharField(blank=True, max_length=120),
        ),
        AddEvidenceField(
            model_name="timelineevent",
            name="via_url",
            field=models.URLField(blank=True, max_length=500),
        ),
    ]
