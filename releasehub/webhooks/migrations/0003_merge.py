from django.db import migrations


class Migration(migrations.Migration):
    """The incoming and the outgoing models were made side by side (#17); nothing to do."""

    dependencies = [
        ("webhooks", "0002_incoming"),
        ("webhooks", "0002_outgoing"),
    ]

    operations: list = []
