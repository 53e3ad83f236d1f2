from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("schedule", "0002_sweep_mark"),
    ]

    operations = [
        migrations.AddField(
            model_name="sweepmark",
            name="last_pass_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="sweepmark",
            name="last_pass_seconds",
            field=models.FloatField(blank=True, null=True),
        ),
    ]
