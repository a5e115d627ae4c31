"""Writes to the audit log: the hash-chained ``audit_log`` every service calls, and the audit
admin's own audited actions (exporting the chain head, verifying the chain).

Locking: each write locks the single ``AuditHead`` row (``SELECT … FOR UPDATE``) and holds it
until the caller's transaction ends, so positions are gap-free and each entry links to the
one committed before it. On SQLite writers are serialised anyway (``BEGIN IMMEDIATE``). Call
``audit_log`` as the last step of a service so the lock is held as briefly as possible.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from xiaoneng.audit.chain import (
    ACTION_CODE,
    GENESIS_HASH,
    ExportedHead,
    clean_text,
    entry_hash,
    format_time,
    normalise_data,
    normalise_ip,
    stored_values,
)
from xiaoneng.audit.models import AuditEntry, AuditHead
from xiaoneng.audit.selectors import ChainVerification, audit_chain_verify
from xiaoneng.core.middleware import current_request_context

_REASON_CODE = re.compile(r"^[a-z0-9_.-]{1,64}$")
_HEAD_DESTINATIONS = frozenset({"stdout", "file", "download"})


def _now() -> dt.datetime:
    return timezone.now()


def _text(field: str, value: Any) -> str:
    """``value`` as a string that fits the snapshot column ``field`` (and PostgreSQL)."""
    text = "" if value is None else str(value)
    return clean_text(text)[: AuditEntry._meta.get_field(field).max_length]


def _locked_head() -> AuditHead:
    """The chain head, locked until the end of the transaction. Created on first use (and
    again after a test run's flush), continuing from the last entry if there is one."""
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is not None:
        return head
    last = AuditEntry.objects.order_by("-position").values_list("position", "hash").first()
    position, hash_ = last or (0, GENESIS_HASH)
    head, _created = AuditHead.objects.select_for_update().get_or_create(
        pk=1, defaults={"position": position, "hash": hash_}
    )
    return head


def audit_log(
    *,
    action: str,
    actor=None,
    obj=None,
    unit=None,
    success: bool = True,
    data: dict[str, Any] | None = None,
    actor_name: str | None = None,
    ip: str | None = None,
    request_id: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    object_repr: str | None = None,
) -> AuditEntry:
    """Append one row to the audit log inside the caller's transaction.

    ``action`` is a stable dotted code (``org.user.create``); ``data`` holds codes and values,
    never translated sentences. ``actor`` is the user who acted (``None`` or an anonymous
    user for the system or an unknown person); its name and unit are snapshotted unless
    ``actor_name``/``unit`` are given. ``obj`` is the object acted on; ``object_type``,
    ``object_id`` and ``object_repr`` override what is derived from it (e.g. a failed login
    for an unknown login name). The IP address and request id come from the current request
    unless given. Raises ``ValueError`` for a malformed action code or non-JSON data."""
    if not ACTION_CODE.match(action or ""):
        raise ValueError(f"not an audit action code: {action!r}")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if actor_name is None:
        actor_name = (getattr(actor, "name", "") or actor.get_username()) if actor else ""
    if unit is None and actor is not None:
        unit = actor.unit
    if obj is not None:
        if object_type is None:
            object_type = obj._meta.label_lower
        if object_id is None:
            object_id = "" if obj.pk is None else str(obj.pk)
        if object_repr is None:
            object_repr = str(obj)
    context = current_request_context()
    if context is not None:
        ip = context.ip if ip is None else ip
        request_id = context.request_id if request_id is None else request_id
        if context.api_token:  # a call of the REST API: name the token it was made with
            data = {**(data or {}), "api_token": dict(context.api_token)}
    data = normalise_data(data)

    with transaction.atomic():
        head = _locked_head()
        entry = AuditEntry(
            position=head.position + 1,
            time=_now(),
            actor=actor,
            actor_name=_text("actor_name", actor_name),
            unit=unit,
            unit_name=_text("unit_name", unit.name if unit is not None else ""),
            action=action,
            object_type=_text("object_type", object_type),
            object_id=_text("object_id", object_id),
            object_repr=_text("object_repr", object_repr),
            success=bool(success),
            ip=normalise_ip(ip),
            request_id=_text("request_id", request_id),
            data=data,
            prev_hash=head.hash,
        )
        entry.hash = entry_hash(stored_values(entry))
        entry.save(force_insert=True)
        head.position, head.hash = entry.position, entry.hash
        head.save(update_fields=["position", "hash"])
    return entry


def audit_view_protected(
    *,
    actor,
    obj,
    fields: Iterable[str],
    reason_code: str = "view",
    unit=None,
) -> AuditEntry:
    """Record that ``actor`` saw the protected ``fields`` of ``obj`` (e.g. a complainant's
    name and phone number). The action is ``<app>.<model>.view_protected``; ``reason_code`` is
    a short code saying why (``view``, ``export``, ``print``…)."""
    names = sorted({str(f) for f in fields})
    if not names:
        raise ValueError("name the protected fields that were shown")
    if not _REASON_CODE.match(reason_code or ""):
        raise ValueError(f"not a reason code: {reason_code!r}")
    meta = obj._meta
    return audit_log(
        action=f"{meta.app_label}.{meta.model_name}.view_protected",
        actor=actor,
        obj=obj,
        unit=unit,
        data={"fields": names, "reason": reason_code},
    )


def audit_head_export(*, actor=None, destination: str = "stdout") -> ExportedHead:
    """Record the export and return the new head of the chain (the export's own entry), to be
    kept outside the database and checked later with ``audit_verify --head``."""
    if destination not in _HEAD_DESTINATIONS:
        raise ValueError(f"unknown destination: {destination!r}")
    with transaction.atomic():
        entry = audit_log(
            action="audit.export_head", actor=actor, data={"destination": destination}
        )
    return ExportedHead(
        position=entry.position,
        hash=entry.hash,
        time=format_time(entry.time),
        exported_at=format_time(_now()),
    )


def audit_chain_verify_and_log(
    *, actor=None, head: ExportedHead | None = None, chunk_size: int = 5000
) -> ChainVerification:
    """Verify the chain (see ``selectors.audit_chain_verify``) and record that it was done and
    what was found. The record is written after the walk, so it is not part of the result."""
    result = audit_chain_verify(head=head, chunk_size=chunk_size)
    audit_log(action="audit.verify", actor=actor, success=result.ok, data=result.as_data())
    return result
