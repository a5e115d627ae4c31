"""The one row of case settings exists from the start, so no page view has to create it."""

from django.db import migrations


def create(apps, schema_editor):
    apps.get_model("cases", "CaseSettings").objects.get_or_create(id=1)


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_seed_categories")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
