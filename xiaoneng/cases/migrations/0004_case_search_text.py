from django.db import migrations, models

# The ledger's text search matches every term at the start of a word of the segmented column
# (``search_text LIKE '% term%'``, see cases/search.py). On PostgreSQL a GIN trigram index
# serves these LIKE conditions; SQLite scans the column. ``manage.py case_reindex`` fills the
# column of cases registered before this migration.


def _add_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS cases_case_search_trgm "
        "ON cases_case USING gin (search_text gin_trgm_ops)"
    )


def _drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS cases_case_search_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_case_settings_row"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="search_text",
            field=models.TextField(blank=True, default="", verbose_name="search text"),
        ),
        migrations.RunPython(_add_trigram_index, _drop_trigram_index, elidable=True),
    ]
