"""The statistics kept pre-aggregated, so that a year's figures are read from a few thousand
rows instead of every case of the year.

Each case has one ``CaseFigures`` row: its registration day, lead (or sole) handling unit,
category and a 0/1 per figure, computed with the very conditions the statistics define
(``statistics.figure_conditions``). ``FiguresDay`` and ``FiguresMonth`` hold the sums per day
(or month), unit and category. ``figures_refresh`` runs inside the transaction of every
change to a case (the case services call it with their audit row), so the sums are never
stale once a change has committed: it recomputes the case's row, and where it differs, takes
the old row out of the sums and puts the new one in. ``figures_rebuild`` recomputes
everything (after an import, or to repair); ``figures_verify`` compares the sums with a
recomputation.

"Overdue now" depends on the moment it is read, not on any change, and is counted live.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Case as Choose
from django.db.models import (
    DateTimeField,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from xiaoneng.cases.choices import OPEN_STATUSES
from xiaoneng.cases.models import Case, CaseFigures, Deadline, FiguresDay, FiguresMonth
from xiaoneng.cases.statistics import ROLLED_UP, figure_conditions, lead_assignments

#: (day, unit id or 0, category id) and the figures, in ``ROLLED_UP`` order.
Key = tuple[date, int, int]
#: The key, the figures and the earliest due time of the open case's running clocks.
Fact = tuple[Key, tuple[int, ...], datetime | None]

CHUNK = 5000
#: Case ids per INSERT ... SELECT of a rebuild.
REBUILD_RANGE = 100_000


#: The columns of ``CaseFigures`` that ``_fact_rows`` selects, in its order.
FACT_COLUMNS = ("case_id", "day", "unit_id", "category_id", "running_due", *ROLLED_UP)


def _fact_rows(cases) -> QuerySet:
    """The figures of ``cases`` (a Case queryset) as they stand, one row per case with the
    values of ``FACT_COLUMNS`` under the aliases ``f_<column>``: computed by the database, so
    that a rebuild inserts them with one INSERT ... SELECT."""
    lead_unit = Subquery(
        lead_assignments().filter(case=OuterRef("pk")).order_by().values("unit_id")[:1]
    )
    running_due = Subquery(
        Deadline.objects.filter(
            case=OuterRef("pk"), completed_at__isnull=True, suspended_at__isnull=True
        )
        .order_by("due_at")
        .values("due_at")[:1]
    )
    conditions = figure_conditions("")
    figures = {
        f"f_{name}": Value(1)
        if conditions[name] is None
        else Choose(When(conditions[name], then=Value(1)), default=Value(0))
        for name in ROLLED_UP
    }
    return (
        cases.order_by()
        .annotate(
            f_case_id=F("pk"),
            f_day=TruncDate("registered_at", tzinfo=timezone.get_default_timezone()),
            f_unit_id=Coalesce(lead_unit, Value(0), output_field=IntegerField()),
            f_category_id=F("category_id"),
            f_running_due=Choose(
                When(status__in=OPEN_STATUSES, then=running_due),
                default=None,
                output_field=DateTimeField(),
            ),
            **figures,
        )
        .values(*(f"f_{column}" for column in FACT_COLUMNS))
    )


def _facts(cases) -> dict[int, Fact]:
    """The figures of ``cases`` (a Case queryset) as they stand, by case id."""
    facts = {}
    for row in _fact_rows(cases):
        case_id, day, unit_id, category_id, running_due, *figures = (
            row[f"f_{column}"] for column in FACT_COLUMNS
        )
        facts[case_id] = ((day, unit_id, category_id), tuple(figures), running_due)
    return facts


def _stored(row: CaseFigures) -> Fact:
    return (
        (row.day, row.unit_id, row.category_id),
        tuple(getattr(row, n) for n in ROLLED_UP),
        row.running_due,
    )


def _values(fact: Fact) -> dict:
    (day, unit_id, category_id), figures, running_due = fact
    return {
        "day": day,
        "unit_id": unit_id,
        "category_id": category_id,
        "running_due": running_due,
        **dict(zip(ROLLED_UP, figures, strict=True)),
    }


def _add(sums: dict, key: Key, figures: tuple[int, ...], sign: int) -> None:
    day, unit_id, category_id = key
    for grain, when in (("day", day), ("month", day.replace(day=1))):
        total = sums[(grain, when, unit_id, category_id)]
        for i, value in enumerate(figures):
            total[i] += sign * value


def _upsert(model, date_field: str, rows: list[tuple[date, int, int, list[int]]]) -> None:
    """Add ``rows`` to the sums of ``model`` in one statement (PostgreSQL and SQLite)."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [date_field, "unit_id", "category_id", *ROLLED_UP]
    quoted = [connection.ops.quote_name(c) for c in columns]
    updates = ", ".join(f"{q} = {table}.{q} + excluded.{q}" for q in quoted[3:])
    values = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(rows))
    sql = (
        f"INSERT INTO {table} ({', '.join(quoted)}) VALUES {values} "  # noqa: S608 (names from the models)
        f"ON CONFLICT ({', '.join(quoted[:3])}) DO UPDATE SET {updates}"
    )
    params = [
        value
        for when, unit_id, category_id, sums in rows
        for value in (when, unit_id, category_id, *sums)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _apply(sums: dict) -> None:
    """Write the changes to the sums, in key order (concurrent writers lock rows in the same
    order)."""
    for grain, model, field in (("day", FiguresDay, "day"), ("month", FiguresMonth, "month")):
        rows = [
            (when, unit_id, category_id, values)
            for (g, when, unit_id, category_id), values in sorted(sums.items())
            if g == grain and any(values)
        ]
        if rows:
            _upsert(model, field, rows)


def figures_refresh(*, case_ids: Iterable[int]) -> None:
    """Bring the pre-aggregated statistics up to date with the cases ``case_ids`` as they
    stand now. Runs inside the transaction that changed them (the case services call it last,
    beside their audit row), so the sums commit or roll back with the change."""
    ids = sorted(set(case_ids))
    if not ids:
        return
    fresh = _facts(Case.objects.filter(pk__in=ids))
    stored = {
        row.case_id: row for row in CaseFigures.objects.select_for_update().filter(case_id__in=ids)
    }
    sums: dict = defaultdict(lambda: [0] * len(ROLLED_UP))
    for pk in ids:
        old, new = stored.get(pk), fresh.get(pk)
        old_fact = _stored(old) if old else None
        if old_fact == new:
            continue
        if old_fact:
            _add(sums, *old_fact[:2], -1)
        if new:
            _add(sums, *new[:2], +1)
            if old:
                CaseFigures.objects.filter(case_id=pk).update(**_values(new))
            else:
                CaseFigures.objects.create(case_id=pk, **_values(new))
    _apply(sums)


def _insert_select(model, columns: Iterable[str], rows: QuerySet, names: Iterable[str]) -> None:
    """``INSERT INTO model (columns) SELECT names FROM (rows)``: the database copies the
    values of a values queryset, selected by the names they have in its SQL."""
    quote = connection.ops.quote_name
    sql, params = rows.query.sql_with_params()
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608 (names from the models)
            f"SELECT {', '.join(quote(n) for n in names)} FROM ({sql}) AS figures_source",
            params,
        )


def figures_rebuild(*, progress=None) -> int:
    """Recompute every case's figures and the sums from scratch, in the database (INSERT ...
    SELECT, a range of case ids at a time); returns the number of cases. Runs in one
    transaction: readers see the old sums until it commits."""
    count = 0
    with transaction.atomic():
        CaseFigures.objects.all().delete()
        FiguresDay.objects.all().delete()
        FiguresMonth.objects.all().delete()
        bounds = Case.objects.aggregate(first=Min("pk"), last=Max("pk"))
        start = bounds["first"] or 0
        while bounds["last"] is not None and start <= bounds["last"]:
            end = start + REBUILD_RANGE
            cases = Case.objects.filter(pk__gte=start, pk__lt=end)
            _insert_select(
                CaseFigures, FACT_COLUMNS, _fact_rows(cases), [f"f_{c}" for c in FACT_COLUMNS]
            )
            count += cases.count()
            start = end
            if progress:
                progress(count)
        sums = {f"s_{name}": Sum(name) for name in ROLLED_UP}
        _insert_select(
            FiguresDay,
            ("day", "unit_id", "category_id", *ROLLED_UP),
            CaseFigures.objects.order_by().values("day", "unit_id", "category_id").annotate(**sums),
            ("day", "unit_id", "category_id", *sums),
        )
        _insert_select(
            FiguresMonth,
            ("month", "unit_id", "category_id", *ROLLED_UP),
            FiguresDay.objects.order_by()
            .annotate(s_month=TruncMonth("day"))
            .values("s_month", "unit_id", "category_id")
            .annotate(**sums),
            ("s_month", "unit_id", "category_id", *sums),
        )
    if connection.vendor == "postgresql":  # fresh statistics for the planner (new rows)
        with connection.cursor() as cursor:
            for model in (CaseFigures, FiguresDay, FiguresMonth):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return count


def figures_verify() -> list[str]:
    """The differences between the stored sums and a recomputation from the cases (empty when
    they agree), as readable lines."""
    expected: dict = defaultdict(lambda: [0] * len(ROLLED_UP))
    case_problems: list[str] = []
    last = 0
    while True:
        ids = list(
            Case.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK]
        )
        if not ids:
            break
        last = ids[-1]
        fresh = _facts(Case.objects.filter(pk__gte=ids[0], pk__lte=last))
        kept = {row.case_id: _stored(row) for row in CaseFigures.objects.filter(case_id__in=ids)}
        for pk, fact in fresh.items():
            _add(expected, *fact[:2], +1)
            if kept.get(pk) != fact and len(case_problems) < 50:
                case_problems.append(f"case {pk}: stored {kept.get(pk)}, recomputed {fact}")
    stored: dict = {}
    for grain, model, field in (("day", FiguresDay, "day"), ("month", FiguresMonth, "month")):
        for row in model.objects.all():
            stored[(grain, getattr(row, field), row.unit_id, row.category_id)] = [
                getattr(row, n) for n in ROLLED_UP
            ]
    problems = case_problems
    for key in sorted(set(expected) | set(stored)):
        want = list(expected.get(key) or [0] * len(ROLLED_UP))
        have = stored.get(key) or [0] * len(ROLLED_UP)
        if want != have:
            grain, when, unit_id, category_id = key
            problems.append(
                f"{grain} {when} unit={unit_id} category={category_id}: stored {have}, "
                f"recomputed {want}"
            )
    return problems
