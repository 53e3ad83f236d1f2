from django.db import migrations

from releasehub.catalog.runbook import ensure_catalog


def add_catalog(apps, schema_editor):
    ensure_catalog(
        apps.get_model("accounts", "Squad"),
        apps.get_model("catalog", "Service"),
        apps.get_model("catalog", "FrontendApp"),
    )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial"), ("accounts", "0001_initial")]
    operations = [migrations.RunPython(add_catalog, migrations.RunPython.noop)]
