"""Complainants' identities encrypted at rest (xiaoneng.core.crypto), found again through blind
indexes of the phone and ID numbers instead of the plain, indexed columns.

The plain columns are renamed ``*_plain``, the encrypted ones added under the old names, every
row copied across (encrypted with the configured data key: set XIAONENG_DATA_KEY before
migrating, see docs/operations.md), then the plain columns dropped. Reversible: going back
decrypts into plain columns again."""

import django.core.validators
from django.db import migrations

import xiaoneng.cases.protection
import xiaoneng.core.fields

IDENTITY = ("name", "phone", "id_number", "address", "email")
INDEXES = ("phone_index", "id_number_index")
BATCH = 500


def _batches(queryset):
    batch = []
    for row in queryset.order_by("pk").iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def encrypt_identities(apps, schema_editor):
    Complainant = apps.get_model("cases", "Complainant")
    manager = Complainant.objects.using(schema_editor.connection.alias)
    indexes = [Complainant._meta.get_field(name) for name in INDEXES]
    for batch in _batches(manager.only("pk", *(f"{name}_plain" for name in IDENTITY))):
        for person in batch:
            for name in IDENTITY:
                setattr(person, name, getattr(person, f"{name}_plain"))
            for field in indexes:
                setattr(person, field.attname, field.compute(getattr(person, field.source)))
        manager.bulk_update(batch, [*IDENTITY, *INDEXES])


def decrypt_identities(apps, schema_editor):
    Complainant = apps.get_model("cases", "Complainant")
    manager = Complainant.objects.using(schema_editor.connection.alias)
    for batch in _batches(manager.only("pk", *IDENTITY)):
        for person in batch:
            for name in IDENTITY:
                setattr(person, f"{name}_plain", getattr(person, name))
        manager.bulk_update(batch, [f"{name}_plain" for name in IDENTITY])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_statistics_figures"),
    ]

    operations = [
        *(
            migrations.RenameField(
                model_name="complainant", old_name=name, new_name=f"{name}_plain"
            )
            for name in IDENTITY
        ),
        migrations.AddField(
            model_name="complainant",
            name="name",
            field=xiaoneng.core.fields.EncryptedTextField(
                blank=True, max_length=64, verbose_name="name"
            ),
        ),
        migrations.AddField(
            model_name="complainant",
            name="phone",
            field=xiaoneng.core.fields.EncryptedTextField(
                blank=True, max_length=32, verbose_name="phone"
            ),
        ),
        migrations.AddField(
            model_name="complainant",
            name="id_number",
            field=xiaoneng.core.fields.EncryptedTextField(
                blank=True, max_length=32, verbose_name="ID number"
            ),
        ),
        migrations.AddField(
            model_name="complainant",
            name="address",
            field=xiaoneng.core.fields.EncryptedTextField(
                blank=True, max_length=200, verbose_name="address"
            ),
        ),
        migrations.AddField(
            model_name="complainant",
            name="email",
            field=xiaoneng.core.fields.EncryptedTextField(
                blank=True,
                max_length=254,
                validators=[django.core.validators.EmailValidator()],
                verbose_name="e-mail",
            ),
        ),
        migrations.AddField(
            model_name="complainant",
            name="phone_index",
            field=xiaoneng.core.fields.BlindIndexField(
                kind="phone",
                normaliser=xiaoneng.cases.protection.normalise_phone,
                source="phone",
                verbose_name="phone blind index",
            ),
        ),
        migrations.AddField(
            model_name="complainant",
            name="id_number_index",
            field=xiaoneng.core.fields.BlindIndexField(
                kind="id_number",
                normaliser=xiaoneng.cases.protection.normalise_id_number,
                source="id_number",
                verbose_name="ID number blind index",
            ),
        ),
        migrations.RunPython(encrypt_identities, decrypt_identities),
        *(
            migrations.RemoveField(model_name="complainant", name=f"{name}_plain")
            for name in IDENTITY
        ),
    ]
