"""The registry of data sources that computed indicators and veto items read.

Each module that produces figures worth assessing registers its sources from its
``AppConfig.ready()``::

    from xiaoneng.assessments.indicators.registry import Source, register_source

    register_source(Source(code="cases.closure_rate", kind=SourceKind.RATE, ...))

A source computes, in a fixed number of set-based queries, the value of every target of an
assessment at once (never one query per unit or person) and returns, per target, the counts
and the ids of the records behind them, so that every point stays traceable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise

from xiaoneng.assessments.choices import TargetKind


class SourceKind:
    RATE = "rate"  # a percentage: numerator ÷ denominator
    COUNT = "count"  # a number of occurrences


@dataclass(frozen=True)
class Param:
    """A parameter of a source, chosen on the indicator form (e.g. the lowest measure of
    accountability that counts)."""

    name: str
    label: str | Promise
    choices: Callable[[], list[tuple[str, str]]]
    default: str


@dataclass
class Value:
    """What a source found for one target. ``value`` is the rate in per cent (one decimal,
    rounded half up) or the count; None when a rate has nothing to divide by."""

    value: Decimal | None = None
    numerator: int | None = None
    denominator: int | None = None
    records: list[int] = field(default_factory=list)
    hits: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Period:
    """The assessed period: dates from ``start`` to ``end``, both included, local time."""

    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_before(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))


@dataclass
class Context:
    """What a source needs to compute: the period, the kind of targets, the targets (unit id
    → target key for units, including every unit below an assessed unit; person id → target
    key for persons) and a cache shared by the sources of one computation."""

    period: Period
    target_kind: str
    #: unit id → the key of the target it counts for (an assessed unit and its sections)
    unit_targets: dict[int, int] = field(default_factory=dict)
    #: person id → the key of the target
    person_targets: dict[int, int] = field(default_factory=dict)
    cache: dict[Any, Any] = field(default_factory=dict)

    def cached(self, key, compute: Callable[[], Any]):
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    @property
    def by_person(self) -> bool:
        return self.target_kind == TargetKind.PERSON


@dataclass(frozen=True)
class Source:
    """A data source of the registry."""

    code: str
    label: str | Promise
    #: The definition shown beside the figure (which records count, when, for whom).
    definition: str | Promise
    kind: str
    targets: frozenset[str]
    #: ``compute(context, params) -> {target key: Value}``; missing targets have no records.
    compute: Callable[[Context, dict[str, str]], dict[int, Value]]
    #: The model of the records ("app_label.model") and the URL name of a record's page.
    record_model: str = ""
    record_url: str = ""
    params: tuple[Param, ...] = ()
    #: A higher value is better (rates such as the closure rate) or worse (counts of faults).
    higher_is_better: bool = True

    def clean_params(self, params: dict | None) -> dict[str, str]:
        """The source's parameters with defaults filled in and unknown keys dropped."""
        params = params or {}
        cleaned = {}
        for param in self.params:
            value = str(params.get(param.name) or param.default)
            allowed = {code for code, _label in param.choices()}
            cleaned[param.name] = value if value in allowed else param.default
        return cleaned


_SOURCES: dict[str, Source] = {}


def register_source(source: Source) -> None:
    """Add (or replace) a source. Registering again is harmless."""
    _SOURCES[source.code] = source


def get_source(code: str) -> Source | None:
    return _SOURCES.get(code)


def sources(*, target_kind: str | None = None, kind: str | None = None) -> list[Source]:
    """The registered sources, in registration order, optionally for one kind of target or
    one kind of value."""
    return [
        s
        for s in _SOURCES.values()
        if (target_kind is None or target_kind in s.targets) and (kind is None or s.kind == kind)
    ]


def parse_ids(text: str | None) -> list[int]:
    """The ids of a comma-separated list (as the ``IdList`` aggregate returns it)."""
    if not text:
        return []
    return [int(part) for part in text.split(",") if part]


def merge(values: Iterable[Value]) -> Value:
    """Several values of one target (e.g. a unit and its sections) as one: the records and
    counts added up. The caller sets ``value``."""
    total = Value(numerator=0, denominator=0)
    for value in values:
        total.numerator += value.numerator or 0
        total.denominator += value.denominator or 0
        total.records += value.records
        total.hits += value.hits
    total.records.sort()
    total.hits.sort()
    return total
