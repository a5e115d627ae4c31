"""The efficiency-complaint categories every office starts with; editable afterwards."""

from django.db import migrations

from xiaoneng.cases.defaults import seed_categories


def seed(apps, schema_editor):
    seed_categories(apps.get_model("cases", "Category"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
