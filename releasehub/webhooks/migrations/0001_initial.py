from django.db import migrations


class Migration(migrations.Migration):
    # The incoming and the outgoing models follow in their own migrations.
    initial = True
    dependencies: list = []
    operations: list = []
