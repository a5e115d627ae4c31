"""Cursor (keyset) pagination of the case list in any of the ledger's sort orders.

A page ends with a cursor naming the last case's sort values; the next page starts after
them. Unlike page numbers, a cursor neither skips nor repeats cases when cases are registered
or change while a client pages through. Every order ends with the id, so rows never tie; the
one nullable sort column (the close-out time) sorts after every value ascending and before
every value descending, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from xiaoneng.cases.ledger import SORTS

#: Sort columns that may be NULL.
NULLABLE = frozenset({"closed_at"})
DATETIME_COLUMNS = frozenset({"registered_at", "closed_at"})
TEXT_COLUMNS = frozenset({"channel", "urgency", "status", "category__code"})


class CursorError(ValueError):
    """A cursor this list did not issue (or issued for another sort order)."""


def sort_columns(sort: str) -> tuple[tuple[str, ...], bool]:
    """The columns of a ledger sort key (``-registered_at``) and whether it descends; the id
    is always the last column."""
    descending = sort.startswith("-")
    columns = tuple(SORTS[sort.lstrip("-")])
    if columns[-1] != "id":
        columns = (*columns, "id")
    return columns, descending


def order(qs: QuerySet, sort: str) -> QuerySet:
    columns, descending = sort_columns(sort)
    return qs.order_by(
        *(
            F(column).desc(nulls_first=True) if descending else F(column).asc(nulls_last=True)
            for column in columns
        )
    )


def _value(obj, column: str):
    for part in column.split("__"):
        obj = getattr(obj, part)
    return obj


def encode(obj, sort: str) -> str:
    columns, _descending = sort_columns(sort)
    values = []
    for column in columns:
        value = _value(obj, column)
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    raw = json.dumps({"sort": sort, "after": values}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _parse(column: str, value):
    if value is None:
        if column not in NULLABLE:
            raise CursorError(column)
        return None
    if column in DATETIME_COLUMNS:
        if not isinstance(value, str):
            raise CursorError(column)
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise CursorError(column)
        return parsed
    if column in TEXT_COLUMNS:
        if not isinstance(value, str) or len(value) > 100 or "\x00" in value:
            raise CursorError(column)
        return value
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise CursorError(column)
    return value


def decode(cursor: str, sort: str) -> list:
    """The sort values a cursor names; ``CursorError`` for anything else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(data, dict) or data.get("sort") != sort:
            raise CursorError("sort")
        values = data.get("after")
        columns, _descending = sort_columns(sort)
        if not isinstance(values, list) or len(values) != len(columns):
            raise CursorError("after")
        return [_parse(column, value) for column, value in zip(columns, values, strict=True)]
    except (ValueError, TypeError, UnicodeError, binascii.Error, RecursionError) as exc:
        raise CursorError(str(exc)) from None


def after(qs: QuerySet, sort: str, values: list) -> QuerySet:
    """The rows of ``qs`` that come after ``values`` in ``sort`` order."""
    columns, descending = sort_columns(sort)
    beyond_any = Q(pk__in=[])
    equal_so_far = Q()
    for column, value in zip(columns, values, strict=True):
        if value is None:  # NULL: last ascending, first descending
            beyond = Q(**{f"{column}__isnull": False}) if descending else Q(pk__in=[])
            same = Q(**{f"{column}__isnull": True})
        else:
            beyond = Q(**{f"{column}__{'lt' if descending else 'gt'}": value})
            if column in NULLABLE and not descending:
                beyond |= Q(**{f"{column}__isnull": True})
            same = Q(**{column: value})
        beyond_any |= equal_so_far & beyond
        equal_so_far &= same
    return qs.filter(beyond_any)


def page(qs: QuerySet, *, sort: str, limit: int, cursor: str | None) -> tuple[list, str | None]:
    """One page of ``qs`` (already filtered) and the cursor of the next page (None at the end)."""
    qs = order(qs, sort)
    if cursor:
        qs = after(qs, sort, decode(cursor, sort))
    rows = list(qs[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode(rows[-1], sort) if more and rows else None


def cursor_message() -> str:
    return _("This cursor does not belong to this list; start again without it.")
