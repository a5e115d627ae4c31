"""The hash chain: how an audit entry is normalised, serialised and hashed.

Pure functions, no database access. The writer (``services.audit_log``) and the verifier
(``selectors.audit_chain_verify``) both hash through :func:`entry_hash`, so the value hashed
when a row is written is exactly the value recomputed from the row read back later, on SQLite
and on PostgreSQL alike:

* ``data`` is normalised before it is stored: a JSON round trip (tuples become lists, keys
  become strings, dates and decimals become strings), NUL characters and lone surrogates
  replaced by U+FFFD (PostgreSQL refuses them), and integral floats stored as integers
  (PostgreSQL's ``jsonb`` would give ``1e20`` back as an integer);
* the serialisation sorts keys (``jsonb`` reorders them), keeps Chinese text as is and has no
  whitespace;
* times are hashed as UTC ISO strings with microseconds, foreign keys as strings, IP
  addresses parsed again (so the database's spelling of an address cannot matter).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

#: ``prev_hash`` of the first entry.
GENESIS_HASH = "0" * 64

#: The stored fields that the hash covers, in the order of the model.
HASHED_FIELDS = (
    "position",
    "time",
    "actor_id",
    "actor_name",
    "unit_id",
    "unit_name",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "success",
    "ip",
    "request_id",
    "data",
    "prev_hash",
)

#: A stable dotted code: ``org.user.create``, ``auth.login_failed``.
ACTION_CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
#: What neither PostgreSQL text nor UTF-8 can hold: NUL and lone surrogates (a JSON body can
#: carry "\ud800"). Replaced by U+FFFD rather than failing the caller's transaction.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def clean_text(value: str) -> str:
    return _UNSTORABLE.sub("\ufffd", value)


def canonical_json(value: Any) -> str:
    """The one serialisation the chain uses: sorted keys, UTF-8 text, no whitespace."""
    return json.dumps(
        _canonical(value),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
    )


def _canonical(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {clean_text(str(k)): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def normalise_data(data: Mapping[str, Any] | None) -> dict[str, Any]:
    """``data`` as it will be read back from the database (see the module docstring).

    Raises ``ValueError`` for values JSON cannot hold (NaN, infinity, arbitrary objects)."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise TypeError("audit data must be a mapping of codes to values")
    try:
        text = json.dumps(data, cls=DjangoJSONEncoder, allow_nan=False)
    except TypeError as exc:
        raise ValueError(f"audit data is not JSON-serialisable: {exc}") from exc
    return _canonical(json.loads(text))


@functools.lru_cache(maxsize=4096)
def normalise_ip(value: str | None) -> str | None:
    """A valid address in the form the database gives back, or ``None``.

    IPv4-mapped IPv6 addresses are stored as the IPv4 address; addresses with a zone id and
    anything unparsable (a forged ``X-Forwarded-For``) are dropped rather than stored."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(str(value).strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return None
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
    return str(address)


def format_time(value: dt.datetime) -> str:
    """An aware datetime as ``2026-01-31T16:00:00.000000Z`` (UTC, microseconds)."""
    if value.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def hash_payload(values: Mapping[str, Any]) -> dict[str, Any]:
    """The dictionary that is hashed for one entry, from its stored field values."""
    payload = {name: values[name] for name in HASHED_FIELDS}
    payload["time"] = format_time(values["time"])
    for name in ("actor_id", "unit_id"):
        payload[name] = None if values[name] is None else str(values[name])
    # Parsed again so that the database's own spelling of an address cannot matter.
    payload["ip"] = normalise_ip(values["ip"])
    payload["position"] = int(values["position"])
    payload["success"] = bool(values["success"])
    payload["data"] = values["data"] if values["data"] is not None else {}
    return payload


def entry_hash(values: Mapping[str, Any]) -> str:
    """The hex SHA-256 of an entry (its fields including ``prev_hash``)."""
    return hashlib.sha256(canonical_json(hash_payload(values)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ExportedHead:
    """A chain head kept outside the database (``audit_export_head``)."""

    position: int
    hash: str
    time: str = ""
    exported_at: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "hash": self.hash,
            "time": self.time,
            "exported_at": self.exported_at,
        }


def parse_exported_head(text: str | bytes) -> ExportedHead:
    """Read a head written by ``audit_export_head``; ``ValueError`` if it is not one."""
    try:
        raw = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError("not a JSON document") from exc
    if not isinstance(raw, dict):
        raise ValueError("not a JSON object")
    position, hash_ = raw.get("position"), raw.get("hash")
    if isinstance(position, bool) or not isinstance(position, int) or position < 1:
        raise ValueError("position must be a positive integer")
    if not isinstance(hash_, str) or not _HEX64.match(hash_):
        raise ValueError("hash must be 64 lowercase hexadecimal digits")
    return ExportedHead(
        position=position,
        hash=hash_,
        time=str(raw.get("time") or ""),
        exported_at=str(raw.get("exported_at") or ""),
    )


def stored_values(entry: Any) -> dict[str, Any]:
    """The hashed fields of an ``AuditEntry`` instance."""
    return {name: getattr(entry, name) for name in HASHED_FIELDS}
