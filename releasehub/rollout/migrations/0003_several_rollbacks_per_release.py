import django.db.models.deletion
from django.db import migrations, models

from releasehub.audit.operations import create_sql, drop_sql


def reinstall_append_only(apps, schema_editor) -> None:
    # SQLite alters a field by copying the table, which loses its triggers: put them back.
    vendor, table = schema_editor.connection.vendor, "rollout_rollback"
    for sql in drop_sql(vendor, table) + create_sql(vendor, table):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    """A partial rollback no longer ends the release, so a release may have several rollbacks;
    one full rollback at most."""

    dependencies = [
        ("rollout", "0002_metrics_fields"),
    ]

    operations = [
        # Unapplying copies the table again; this runs last then.
        migrations.RunPython(migrations.RunPython.noop, reinstall_append_only),
        migrations.AlterField(
            model_name="rollback",
            name="release",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="rollbacks",
                to="releases.release",
            ),
        ),
        migrations.AddConstraint(
            model_name="rollback",
            constraint=models.UniqueConstraint(
                condition=models.Q(("scope", "full")),
                fields=("release",),
                name="rollback_full_once",
            ),
        ),
        migrations.RunPython(reinstall_append_only, migrations.RunPython.noop),
    ]
