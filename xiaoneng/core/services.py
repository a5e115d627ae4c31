"""Writes that belong to no single domain: re-encrypting protected data under the current
data key (``data_key_rotate``, behind ``xiaoneng rotate_data_key``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast

from xiaoneng.audit.services import audit_log
from xiaoneng.core.crypto import CipherError, get_cipher
from xiaoneng.core.fields import BlindIndexField, EncryptedTextField

DEFAULT_BATCH = 500


@dataclass
class ModelRotation:
    """What the rotation found (and, unless only checking, did) in one model's table."""

    label: str
    rows: int = 0
    #: Rows with a value encrypted under a retired key, or a blind index not made with the
    #: current key: rewritten (or, when checking, still to rewrite).
    stale: int = 0
    #: Primary keys of rows whose values no configured key decrypts (left unchanged).
    unreadable: list = field(default_factory=list)


@dataclass
class RotationReport:
    key_id: str
    checked_only: bool
    models: list[ModelRotation]

    @property
    def stale(self) -> int:
        return sum(m.stale for m in self.models)

    @property
    def unreadable(self) -> int:
        return sum(len(m.unreadable) for m in self.models)


def encrypted_models() -> list[tuple[type[models.Model], list, list]]:
    """Every model with encrypted fields, with those fields and its blind indexes."""
    found = []
    for model in apps.get_models():
        fields = model._meta.concrete_fields
        encrypted = [f for f in fields if isinstance(f, EncryptedTextField)]
        if encrypted:
            indexes = [f for f in fields if isinstance(f, BlindIndexField)]
            found.append((model, encrypted, indexes))
    return found


def _rotate_batch(model, encrypted, indexes, rows, report: ModelRotation, check_only: bool):
    cipher = get_cipher()
    changed = []
    for row in rows:
        plain, stale = {}, False
        try:
            for f in encrypted:
                raw = row[f"raw_{f.attname}"] or ""
                plain[f.attname] = f.decrypt(raw) if raw else raw
                stale |= bool(raw) and cipher.token_key_id(f.token(raw)) != cipher.key_id
        except (CipherError, ValueError, UnicodeDecodeError):
            report.unreadable.append(row["pk"])
            continue
        for f in indexes:
            value = f.compute(plain.get(model._meta.get_field(f.source).attname, ""))
            stale |= row[f.attname] != value
            plain[f.attname] = value
        if stale:
            report.stale += 1
            changed.append(model(pk=row["pk"], **plain))
    if changed and not check_only:
        model._default_manager.bulk_update(
            changed, [f.attname for f in encrypted] + [f.attname for f in indexes]
        )


def data_key_rotate(
    *, actor=None, batch_size: int = DEFAULT_BATCH, check_only: bool = False
) -> RotationReport:
    """Re-encrypt every protected value not encrypted under the current data key and
    recompute every blind index not made with it, a batch of rows per transaction (each
    batch locked while it is rewritten), so that a retired key can then be removed. With
    ``check_only`` nothing is written. A value no configured key can decrypt is reported and
    left as it is. The run is recorded in the audit log."""
    cipher = get_cipher()
    report = RotationReport(key_id=cipher.key_id, checked_only=check_only, models=[])
    for model, encrypted, indexes in encrypted_models():
        result = ModelRotation(label=model._meta.label)
        report.models.append(result)
        raw = {
            f"raw_{f.attname}": Cast(f.attname, output_field=models.TextField()) for f in encrypted
        }
        last = None
        while True:
            with transaction.atomic():
                qs = model._default_manager.order_by("pk")
                if not check_only:
                    qs = qs.select_for_update()
                if last is not None:
                    qs = qs.filter(pk__gt=last)
                rows = list(qs.values("pk", *(f.attname for f in indexes), **raw)[:batch_size])
                if not rows:
                    break
                result.rows += len(rows)
                _rotate_batch(model, encrypted, indexes, rows, result, check_only)
                last = rows[-1]["pk"]
    if not check_only:
        with transaction.atomic():
            audit_log(
                action="core.data_key.rotate",
                actor=actor,
                data={
                    "key_id": report.key_id,
                    "rewritten": report.stale,
                    "unreadable": report.unreadable,
                    "models": {m.label: m.rows for m in report.models},
                },
            )
    return report
