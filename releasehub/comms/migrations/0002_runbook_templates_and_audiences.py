from django.db import migrations

from releasehub.comms.defaults import ensure_audiences, ensure_templates


def add_defaults(apps, schema_editor):
    ensure_templates(apps.get_model("comms", "MessageTemplate"))
    ensure_audiences(apps.get_model("comms", "Audience"), apps.get_model("accounts", "Squad"))


class Migration(migrations.Migration):
    dependencies = [("comms", "0001_initial"), ("catalog", "0002_runbook_catalog")]
    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
