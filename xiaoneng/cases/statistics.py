"""The complaint centre's statistics: per handling unit, per category or per month, the
figures and rates the office and the leaders read (definitions in docs/statistics.md and on
the page).

Every figure except "overdue now" is about the *cohort* of cases registered in the period,
counted as they stand when the statistics are read; "overdue now" is about the open cases of
the same cohort at that moment. Each figure is computed in SQL with conditional counts, in a
fixed number of queries whatever the number of units or categories.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import reduce
from operator import or_

from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.utils import timezone

from xiaoneng.cases.choices import (
    OPEN_STATUSES,
    AssignmentRole,
    AssignmentStatus,
    CaseStatus,
    Finding,
    Satisfaction,
    Solved,
    Stage,
)
from xiaoneng.cases.models import (
    Assignment,
    CaseFigures,
    Category,
    Deadline,
    FiguresDay,
    FiguresMonth,
)
from xiaoneng.org.choices import OFFICE_ROLES, Role, UnitKind
from xiaoneng.org.models import Unit
from xiaoneng.org.selectors import user_scope

#: Who may read the statistics: the office, the leaders (every unit) and unit heads (their
#: own units).
STATISTICS_ROLES = frozenset(OFFICE_ROLES | {Role.LEADER, Role.UNIT_HEAD})

#: A rate whose denominator is below this is shown with its counts ("3 of 4").
SMALL_GROUP = 5

GROUP_BY = ("unit", "category", "month")

#: Concluded (办结): the office's review of the lead unit's reply passed and the case has not
#: been reopened since (under callback, awaiting close-out sign-off, or closed out).
CONCLUDED_STATUSES = (CaseStatus.CALLBACK, CaseStatus.CLOSE_PENDING, CaseStatus.CLOSED)
#: Dispatched (交办): handed to a unit and not merged away.
DISPATCHED_STATUSES = (
    CaseStatus.DISPATCHED,
    CaseStatus.IN_PROGRESS,
    CaseStatus.REPLIED,
    *CONCLUDED_STATUSES,
)
#: Accepted (受理): accepted and neither refused nor merged into another case.
ACCEPTED_STATUSES = (CaseStatus.ACCEPTED, *DISPATCHED_STATUSES)
#: A finding that (at least partly) confirms the complaint.
SUBSTANTIATED = (Finding.SUBSTANTIATED, Finding.PARTLY)
ALL_FINDINGS = tuple(Finding.values)
#: A callback with an answer (the complainant was reached).
ANSWERED = (Satisfaction.SATISFIED, Satisfaction.BASICALLY, Satisfaction.DISSATISFIED)
SATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASICALLY)
#: The lead or sole handling unit, not counting a part withdrawn after a return (退单).
LEAD_ROLES = (AssignmentRole.LEAD, AssignmentRole.SOLE)

#: The counted figures, in table order.
COUNTS = (
    "received",
    "accepted",
    "dispatched",
    "concluded",
    "on_time",
    "with_finding",
    "substantiated",
    "answered",
    "satisfied",
    "solved",
    "overdue",
    "supervised",
    "returned",
    "redone",
)
#: The figures kept pre-aggregated (all but "overdue now", which is counted live).
ROLLED_UP = tuple(name for name in COUNTS if name != "overdue")
#: The rates: (code, numerator, denominator).
RATES = (
    ("closure", "concluded", "dispatched"),
    ("on_time", "on_time", "concluded"),
    ("substantiation", "substantiated", "with_finding"),
    ("satisfaction", "satisfied", "answered"),
    ("solution", "solved", "answered"),
)


@dataclass(frozen=True)
class Period:
    """Registration dates from ``start`` to ``end``, both included, in the local time zone."""

    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_before(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    def q(self, prefix: str = "") -> Q:
        return Q(
            **{
                f"{prefix}registered_at__gte": self.start_at,
                f"{prefix}registered_at__lt": self.end_before,
            }
        )


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> Decimal | None:
        """The rate in per cent, one decimal; None when the denominator is zero."""
        if not self.denominator:
            return None
        return (Decimal(100) * self.numerator / self.denominator).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )

    @property
    def small(self) -> bool:
        """Too few cases to read the rate alone: show its counts beside it."""
        return 0 < self.denominator < SMALL_GROUP


@dataclass
class StatRow:
    key: str
    label: str
    counts: dict[str, int]
    #: the drill-down filter of the row (unit, category or its month's dates)
    filters: dict[str, str] = field(default_factory=dict)

    @property
    def rates(self) -> dict[str, Rate]:
        return {code: Rate(self.counts[num], self.counts[den]) for code, num, den in RATES}


@dataclass
class Statistics:
    period: Period
    group_by: str
    rows: list[StatRow]
    total: StatRow


def statistics_allowed(*, user) -> bool:
    return bool(user.is_authenticated and user.roles & STATISTICS_ROLES)


def late_handling(case_ref) -> QuerySet[Deadline]:
    """The lead (or sole) unit's handling clocks of a case that finished after their due
    time (extensions included): a concluded case without any is concluded on time."""
    return Deadline.objects.filter(
        case=case_ref,
        stage=Stage.HANDLING,
        assignment__role__in=LEAD_ROLES,
        completed_at__gt=F("due_at"),
    ).exclude(assignment__status=AssignmentStatus.WITHDRAWN)


def figure_conditions(prefix: str, now: datetime | None = None) -> dict[str, Q | None]:
    """The condition of every figure on one case (None: every case counts); ``prefix`` leads
    from the queried model to the case ("" on Case, "case__" on Assignment). "Overdue now"
    only when ``now`` is given."""
    p = prefix
    case_ref = OuterRef("case_id" if p else "pk")
    late = late_handling(case_ref)
    concluded = Q(**{f"{p}status__in": CONCLUDED_STATUSES})
    answered = Q(**{f"{p}satisfaction__in": ANSWERED})
    conditions: dict[str, Q | None] = {
        "received": None,
        "accepted": Q(**{f"{p}status__in": ACCEPTED_STATUSES}),
        "dispatched": Q(**{f"{p}status__in": DISPATCHED_STATUSES}),
        "concluded": concluded,
        "on_time": concluded & ~Q(Exists(late)),
        "with_finding": concluded & Q(**{f"{p}finding__in": ALL_FINDINGS}),
        "substantiated": concluded & Q(**{f"{p}finding__in": SUBSTANTIATED}),
        "answered": answered,
        "satisfied": Q(**{f"{p}satisfaction__in": SATISFIED}),
        "solved": answered & Q(**{f"{p}solved": Solved.SOLVED}),
        "supervised": Q(**{f"{p}is_supervised": True}),
        "returned": Q(**{f"{p}return_count__gt": 0}),
        "redone": Q(**{f"{p}redo_count__gt": 0}),
    }
    if now is not None:
        conditions["overdue"] = Q(**{f"{p}status__in": OPEN_STATUSES}) & Q(
            Exists(overdue_deadlines(case_ref, now))
        )
    return conditions


def figure_measures(prefix: str, now: datetime | None = None) -> dict[str, Count]:
    """The conditional counts of every figure (``figure_conditions``) over the queried rows.
    A case has one lead (or sole) assignment that is not withdrawn: no DISTINCT needed."""
    counted = "case_id" if prefix else "pk"
    return {
        name: Count(counted, filter=condition)
        for name, condition in figure_conditions(prefix, now).items()
    }


def overdue_deadlines(case_ref, now: datetime) -> QuerySet[Deadline]:
    """The running clocks of a case that are past due at ``now``."""
    return Deadline.objects.filter(
        case=case_ref,
        completed_at__isnull=True,
        suspended_at__isnull=True,
        due_at__lte=now,
    )


def lead_assignments() -> QuerySet[Assignment]:
    return Assignment.objects.filter(role__in=LEAD_ROLES).exclude(status=AssignmentStatus.WITHDRAWN)


def _scope_units(user) -> list[int] | None:
    """The units whose figures the user may read, or None for every unit."""
    scope = user_scope(user=user)
    return None if scope.view_all else sorted(scope.view_unit_ids)


def _zero() -> dict[str, int]:
    return dict.fromkeys(COUNTS, 0)


def _months(period: Period) -> list[date]:
    months, current = [], period.start.replace(day=1)
    while current <= period.end:
        months.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return months


def _month_end(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _split(period: Period) -> tuple[list[tuple[date, date]], tuple[date, date] | None]:
    """The period as day ranges, read from the daily sums, and the whole months inside it
    (first and last month as their first days), read from the monthly sums."""
    first = period.start if period.start.day == 1 else _month_end(period.start) + timedelta(1)
    if _month_end(period.end) == period.end:
        last = period.end.replace(day=1)
    else:
        last = (period.end.replace(day=1) - timedelta(1)).replace(day=1)
    if last < first:  # no whole month inside
        return [(period.start, period.end)], None
    days = []
    if period.start < first:
        days.append((period.start, first - timedelta(1)))
    after = _month_end(last) + timedelta(1)
    if after <= period.end:
        days.append((after, period.end))
    return days, (first, last)


def _figures(period: Period, group: str, unit_ids: list[int] | None) -> dict:
    """The pre-aggregated figures of the period per ``group`` ("unit", "category" or
    "month": the first day of the month), without "overdue"."""
    sums = {name: Sum(name) for name in ROLLED_UP}
    figures: dict = defaultdict(_zero)
    field = {"unit": "unit_id", "category": "category_id"}.get(group)

    def add(rows, key_of):
        for row in rows:
            target = figures[key_of(row)]
            for name in ROLLED_UP:
                target[name] += row[name] or 0

    def scoped(qs):
        return qs if unit_ids is None else qs.filter(unit_id__in=unit_ids)

    days, months = _split(period)
    if months:
        qs = scoped(FiguresMonth.objects.filter(month__gte=months[0], month__lte=months[1]))
        key = field or "month"
        add(qs.order_by().values(key).annotate(**sums), lambda row: row[key])
    if days:
        qs = scoped(FiguresDay.objects.filter(reduce(or_, (Q(day__range=d) for d in days))))
        if field:
            add(qs.order_by().values(field).annotate(**sums), lambda row: row[field])
        else:
            add(qs.order_by().values("day").annotate(**sums), lambda row: row["day"].replace(day=1))
    return figures


def _overdue(period: Period, group: str, unit_ids: list[int] | None, now: datetime) -> dict:
    """ "Overdue now", counted live: the open cases of the period whose earliest running clock
    is past due, from the cases' figure rows (kept with the case in every transition; a small
    partial index holds the open ones)."""
    rows = CaseFigures.objects.filter(running_due__lte=now, day__range=(period.start, period.end))
    if unit_ids is not None:
        rows = rows.filter(unit_id__in=unit_ids)
    field = {"unit": "unit_id", "category": "category_id"}.get(group, "day")
    counts: dict = defaultdict(int)
    for row in rows.order_by().values(field).annotate(n=Count("case_id")):
        key = row[field].replace(day=1) if field == "day" else row[field]
        counts[key] += row["n"]
    return counts


def case_statistics(
    *, user, start: date, end: date, group_by: str = "unit", now: datetime | None = None
) -> Statistics:
    """The figures of the cases registered from ``start`` to ``end`` (both included) that
    ``user`` may see, one row per handling unit, category or month, and the total. Read from
    the pre-aggregated sums (xiaoneng.cases.figures) and, for "overdue now", live."""
    if group_by not in GROUP_BY:
        raise ValueError(group_by)
    if not statistics_allowed(user=user):
        raise PermissionError
    now = now or timezone.now()
    period = Period(start, end)
    unit_ids = _scope_units(user)
    figures = _figures(period, group_by, unit_ids)
    for key, n in _overdue(period, group_by, unit_ids, now).items():
        figures[key]["overdue"] = n
    total = _zero()
    for counts in figures.values():
        for name in COUNTS:
            total[name] += counts[name]

    rows: list[StatRow] = []
    if group_by == "unit":
        units = Unit.objects.all()
        if unit_ids is not None:
            units = units.filter(pk__in=unit_ids)
        for unit in units.order_by("order", "code"):
            # Sections and the district itself rarely handle cases: listed only when they did.
            quiet = not unit.is_active or unit.kind in (UnitKind.SECTION, UnitKind.DISTRICT)
            if quiet and unit.pk not in figures:
                continue
            rows.append(
                StatRow(
                    str(unit.pk),
                    unit.name if unit.kind == UnitKind.SECTION else (unit.short_name or unit.name),
                    figures.get(unit.pk) or _zero(),
                    {"unit": str(unit.pk)},
                )
            )
    elif group_by == "category":
        for category in Category.objects.order_by("order", "code"):
            if not category.is_active and category.pk not in figures:
                continue
            rows.append(
                StatRow(
                    str(category.pk),
                    category.name,
                    figures.get(category.pk) or _zero(),
                    {"category": str(category.pk)},
                )
            )
    else:
        for month in _months(period):
            rows.append(
                StatRow(
                    month.strftime("%Y-%m"),
                    month.strftime("%Y-%m"),
                    figures.get(month) or _zero(),
                    {
                        "from": max(month, period.start).isoformat(),
                        "to": min(_month_end(month), period.end).isoformat(),
                    },
                )
            )
    return Statistics(
        period=period, group_by=group_by, rows=rows, total=StatRow("total", "", total)
    )


def public_unit_statistics(*, start: date, end: date) -> Statistics:
    """The figures per handling unit for the public portal: every unit that handled a case
    of the period or could (sections and the district only when they did), read from the
    pre-aggregated sums, without "overdue now". Only counts leave here, never a case."""
    period = Period(start, end)
    figures = _figures(period, "unit", None)
    total = _zero()
    for counts in figures.values():
        for name in COUNTS:
            total[name] += counts[name]
    rows = []
    for unit in Unit.objects.order_by("order", "code"):
        quiet = not unit.is_active or unit.kind in (UnitKind.SECTION, UnitKind.DISTRICT)
        if quiet and unit.pk not in figures:
            continue
        rows.append(StatRow(str(unit.pk), unit.name, figures.get(unit.pk) or _zero()))
    return Statistics(period=period, group_by="unit", rows=rows, total=StatRow("total", "", total))


# --- drill-down ----------------------------------------------------------------------------

#: The ledger filter behind each figure (added to the row's unit/category and the period).
DRILL_DOWN: dict[str, list[tuple[str, str]]] = {
    "received": [],
    "accepted": [("status", s) for s in ACCEPTED_STATUSES],
    "dispatched": [("status", s) for s in DISPATCHED_STATUSES],
    "concluded": [("status", s) for s in CONCLUDED_STATUSES],
    "on_time": [("status", s) for s in CONCLUDED_STATUSES] + [("on_time", "1")],
    "with_finding": [("status", s) for s in CONCLUDED_STATUSES]
    + [("finding", f) for f in ALL_FINDINGS],
    "substantiated": [("status", s) for s in CONCLUDED_STATUSES]
    + [("finding", f) for f in SUBSTANTIATED],
    "answered": [("satisfaction", s) for s in ANSWERED],
    "satisfied": [("satisfaction", s) for s in SATISFIED],
    "solved": [("satisfaction", s) for s in ANSWERED] + [("solved", Solved.SOLVED)],
    "overdue": [("overdue", "1")],
    "supervised": [("supervised", "1")],
    "returned": [("returned", "1")],
    "redone": [("redone", "1")],
}


#: The ledger's names for the drill-down parameters (see xiaoneng.cases.forms.ledger).
#: The statistics count a case under its lead (or sole) handling unit: so does the ledger's
#: ``lead_unit`` filter (``handling_unit`` would add the cases the unit co-handles).
LEDGER_PARAMS = {"from": "registered_from", "to": "registered_to", "unit": "lead_unit"}
LEDGER_VALUES = {
    ("overdue", "1"): ("colour", "overdue"),
    ("supervised", "1"): ("supervised", "yes"),
}


def drill_down_params(*, period: Period, row: StatRow, figure: str) -> list[tuple[str, str]]:
    """The ledger's query parameters listing the cases behind ``figure`` of ``row``."""
    params = [("from", period.start.isoformat()), ("to", period.end.isoformat())]
    if "from" in row.filters:
        params = [("from", row.filters["from"]), ("to", row.filters["to"])]
    params += [(k, v) for k, v in row.filters.items() if k not in ("from", "to")]
    params += [(str(k), str(v)) for k, v in DRILL_DOWN[figure]]
    params = [LEDGER_VALUES.get((k, v), (k, v)) for k, v in params]
    return [(LEDGER_PARAMS.get(k, k), v) for k, v in params]
