"""Reads of the ledger (台账): every case the user may see, narrowed by the ledger's filters,
sorted by a whitelisted column, with the rows the page, the print view and the Excel export
show. Always through the viewer's role-and-unit scope (``case_visible_q``).

Stage colour of a case (the ``colour`` filter), from its open, unsuspended deadlines (for unit
roles, only their own units' deadlines, as the rows show them):

- ``overdue``: one of them is due now or earlier (``due_at <= now``);
- ``due_soon``: none is overdue, and for one of them the share of *calendar* time used is at
  least the office's warning share: ``started_at + (due_at - started_at) × share <= now``.
  The screens colour a deadline by the share of *working* time used, so near weekends and
  holidays the filter and the badge can differ by a day; the filter stays one SQL condition;
- ``on_time``: a case still open (not closed, merged or declined) that is neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import (
    BooleanField,
    Exists,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    prefetch_related_objects,
)
from django.utils import timezone

from xiaoneng.cases.choices import OPEN_STATUSES, AssignmentStatus
from xiaoneng.cases.deadlines import case_settings
from xiaoneng.cases.models import Assignment, Case, CaseEvent, Deadline, Milestone
from xiaoneng.cases.search import text_q
from xiaoneng.cases.selectors import case_rows, case_visible_q, complainant_masked, is_office
from xiaoneng.cases.statistics import CONCLUDED_STATUSES, late_handling, lead_assignments
from xiaoneng.org.choices import OFFICE_ROLES, Role
from xiaoneng.org.selectors import user_scope
from xiaoneng.workdays.calendar import CALENDAR_TZ

#: Who may read the ledger: office roles, leaders, unit liaisons and unit heads (unit roles
#: see their own units' cases only, and no complainant column).
LEDGER_ROLES = (*sorted(OFFICE_ROLES), Role.LEADER, Role.UNIT_LIAISON, Role.UNIT_HEAD)

PAGE_SIZE = 50
PRINT_LIMIT = 500

#: ?sort= values the ledger accepts (a leading "-" sorts descending) and the columns behind.
SORTS: dict[str, tuple[str, ...]] = {
    "number": ("year", "seq"),
    "registered_at": ("registered_at", "id"),
    "channel": ("channel", "id"),
    "category": ("category__order", "category__code", "id"),
    "urgency": ("urgency", "id"),
    "status": ("status", "id"),
    "closed_at": ("closed_at", "id"),
    "return_count": ("return_count", "id"),
    "redo_count": ("redo_count", "id"),
}
DEFAULT_SORT = "-registered_at"

COLOURS = ("overdue", "due_soon", "on_time")


def _open_deadlines(user) -> QuerySet[Deadline]:
    qs = Deadline.objects.filter(
        case=OuterRef("pk"), completed_at__isnull=True, suspended_at__isnull=True
    )
    scope = user_scope(user=user)
    if not scope.view_all:
        qs = qs.filter(assignment__unit_id__in=sorted(scope.view_unit_ids))
    return qs


class _WarningReached(Func):
    """``started_at + (due_at - started_at) × share <= now`` for a deadline (arguments: the
    start, the due time, now and the share), in each database's date arithmetic."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        compiled = [compiler.compile(arg) for arg in self.get_source_expressions()]
        start, due, now, share = range(4)
        if connection.vendor == "sqlite":
            pieces = [
                "(julianday(", start, ") + (julianday(", due, ") - julianday(", start,
                ")) * ", share, " <= julianday(", now, "))",
            ]  # fmt: skip
        else:
            pieces = ["(", start, " + (", due, " - ", start, ") * ", share, " <= ", now, ")"]
        sql, params = [], []
        for piece in pieces:
            if isinstance(piece, str):
                sql.append(piece)
            else:
                sql.append(compiled[piece][0])
                params.extend(compiled[piece][1])
        return "".join(sql), params


def colour_q(*, user, colour: str, now: dt.datetime | None = None) -> Q:
    """The condition of one stage colour (see the module's docstring)."""
    now = now or timezone.now()
    deadlines = _open_deadlines(user)
    overdue = Exists(deadlines.filter(due_at__lte=now))
    share = float(case_settings().warning_share)
    due_soon = Exists(
        deadlines.filter(due_at__gt=now).filter(
            _WarningReached(F("started_at"), F("due_at"), Value(now), Value(share))
        )
    )
    if colour == "overdue":
        return Q(overdue)
    if colour == "due_soon":
        return ~Q(overdue) & Q(due_soon)
    if colour == "on_time":
        return Q(status__in=OPEN_STATUSES) & ~Q(overdue) & ~Q(due_soon)
    return Q()


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=CALENDAR_TZ)


def _yes_no(value: str, q: Q) -> Q:
    if value == "yes":
        return q
    if value == "no":
        return ~q
    return Q()


def ledger_cases(
    *, user, filters: dict[str, Any], now: dt.datetime | None = None
) -> QuerySet[Case]:
    """The cases of the ledger, narrowed by ``filters`` (a ledger filter form's cleaned data:
    missing or empty values do not filter) and sorted by ``filters["sort"]``."""
    qs = Case.objects.filter(case_visible_q(user=user))
    f = filters
    number = (f.get("number") or "").strip()
    if number:
        qs = qs.filter(number__icontains=number)
    if f.get("registered_from"):
        qs = qs.filter(registered_at__gte=_day_start(f["registered_from"]))
    if f.get("registered_to"):
        qs = qs.filter(registered_at__lt=_day_start(f["registered_to"] + dt.timedelta(days=1)))
    for field in ("channel", "urgency", "solved"):
        if f.get(field):
            qs = qs.filter(**{field: f[field]})
    for field in ("status", "finding", "satisfaction"):  # several values may be chosen
        values = f.get(field)
        if values:
            qs = qs.filter(
                **{f"{field}__in": [values] if isinstance(values, str) else list(values)}
            )
    if f.get("on_time"):
        qs = qs.filter(status__in=CONCLUDED_STATUSES).exclude(Exists(late_handling(OuterRef("pk"))))
    if f.get("category"):
        qs = qs.filter(category=f["category"])
    if f.get("handling_unit"):
        qs = qs.filter(
            Exists(
                Assignment.objects.filter(case=OuterRef("pk"), unit=f["handling_unit"]).exclude(
                    status=AssignmentStatus.WITHDRAWN
                )
            )
        )
    if f.get("lead_unit"):
        # The unit the statistics count a case under (its lead or sole handling unit).
        qs = qs.filter(Exists(lead_assignments().filter(case=OuterRef("pk"), unit=f["lead_unit"])))
    if f.get("subject_unit"):
        qs = qs.filter(
            Exists(
                Case.subject_units.through.objects.filter(
                    case_id=OuterRef("pk"), unit_id=f["subject_unit"].pk
                )
            )
        )
    if f.get("colour") in COLOURS:
        qs = qs.filter(colour_q(user=user, colour=f["colour"], now=now))
    qs = qs.filter(_yes_no(f.get("major") or "", Q(is_major=True)))
    qs = qs.filter(_yes_no(f.get("supervised") or "", Q(is_supervised=True)))
    if f.get("returned"):
        qs = qs.filter(return_count__gt=0)
    if f.get("redone"):
        qs = qs.filter(redo_count__gt=0)
    qs = qs.filter(text_q(f.get("q") or ""))
    return ledger_sort(qs, f.get("sort") or DEFAULT_SORT)


def ledger_sort(qs: QuerySet[Case], sort: str) -> QuerySet[Case]:
    key = sort.lstrip("-")
    if key not in SORTS:
        sort, key = DEFAULT_SORT, DEFAULT_SORT.lstrip("-")
    prefix = "-" if sort.startswith("-") else ""
    return qs.order_by(*(prefix + column for column in SORTS[key]))


def ledger_rows(*, cases: list[Case], user, now: dt.datetime | None = None) -> list[dict]:
    """The page's rows: each case with its units, its most urgent deadline and, for office
    roles only, the complainant as masked on every screen (unit roles get no complainant at
    all). A fixed number of queries whatever the length of ``cases``."""
    office = is_office(user)
    if office:
        prefetch_related_objects(cases, "complainant")
    rows = case_rows(cases=cases, user=user, now=now)
    for row in rows:
        row["complainant"] = complainant_masked(case=row["case"]) if office else None
    return rows


def ledger_page_cases(qs: QuerySet[Case]) -> QuerySet[Case]:
    """What the page needs loaded with each case (the rest is prefetched by the rows)."""
    return qs.select_related("category")


# --- the export --------------------------------------------------------------------------


#: What the export reads of each case (the rest: the units, per chunk of cases).
EXPORT_FIELDS = (
    "pk",
    "number",
    "registered_at",
    "channel",
    "category__name",
    "urgency",
    "summary",
    "status",
    "finding",
    "satisfaction",
    "solved",
    "closed_at",
    "was_overdue",
    "return_count",
    "redo_count",
)


def export_cases(qs: QuerySet[Case], *, now: dt.datetime | None = None) -> QuerySet:
    """The ledger's cases as the export reads them: plain values (``EXPORT_FIELDS``) with the
    overdue flag annotated (a deadline passed while open, or completed after it was due)."""
    now = now or timezone.now()
    overdue = Deadline.objects.filter(case=OuterRef("pk")).filter(
        Q(completed_at__isnull=True, suspended_at__isnull=True, due_at__lte=now)
        | Q(completed_at__gt=F("due_at"))
    )
    return qs.annotate(was_overdue=Exists(overdue)).values(*EXPORT_FIELDS)


def _unit_names(rows) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    for case_id, short_name, name in rows:
        names.setdefault(case_id, []).append(short_name or name)
    return names


def _with_units(chunk: list[dict]) -> list[dict]:
    """``chunk`` with each case's units complained about and handling units (not withdrawn),
    read in two queries for the whole chunk."""
    ids = [row["pk"] for row in chunk]
    subject = _unit_names(
        Case.subject_units.through.objects.filter(case_id__in=ids)
        .order_by("id")
        .values_list("case_id", "unit__short_name", "unit__name")
    )
    handling = _unit_names(
        Assignment.objects.filter(case_id__in=ids)
        .exclude(status=AssignmentStatus.WITHDRAWN)
        .order_by("id")
        .values_list("case_id", "unit__short_name", "unit__name")
    )
    for row in chunk:
        row["subject_units"] = subject.get(row["pk"], [])
        row["handling_units"] = handling.get(row["pk"], [])
    return chunk


def export_iter(qs: QuerySet[Case], *, chunk_size: int = 2000) -> Iterator[dict]:
    """The export's rows (dicts of ``EXPORT_FIELDS`` and the two unit lists) in the ledger's
    order, read with a server-side cursor in chunks: memory stays flat."""
    chunk: list[dict] = []
    for row in export_cases(qs).iterator(chunk_size=chunk_size):
        chunk.append(row)
        if len(chunk) == chunk_size:
            yield from _with_units(chunk)
            chunk = []
    if chunk:
        yield from _with_units(chunk)


# --- the major-issue register (重大问题挂号销号台账) -----------------------------------------

#: Timeline events that record a major issue's close-out proposal and the director's answer.
SIGNOFF_CODES = ("case.close_requested", "case.close_signed", "case.close_refused")


def major_register(*, user, filters: dict[str, Any]) -> QuerySet[Case]:
    """The major issues among the ledger's cases (the same filters and sort)."""
    return ledger_cases(user=user, filters={**filters, "major": "yes"}).select_related(
        "category", "major_leader"
    )


def major_rows(*, cases: list[Case], today: dt.date | None = None) -> list[dict]:
    """Each major issue with its milestones (each marked late when not reached by its day, or
    reached after it), how many are reached, and its close-out proposals and sign-offs, in a
    fixed number of queries."""
    today = today or timezone.localdate(timezone=CALENDAR_TZ)
    prefetch_related_objects(
        cases,
        "subject_units",
        Prefetch(
            "assignments",
            queryset=Assignment.objects.exclude(status=AssignmentStatus.WITHDRAWN)
            .select_related("unit")
            .order_by("id"),
            to_attr="current_assignments",
        ),
        Prefetch(
            "milestones",
            queryset=Milestone.objects.order_by("due_on", "id"),
            to_attr="milestone_list",
        ),
        Prefetch(
            "events",
            queryset=CaseEvent.objects.filter(code__in=SIGNOFF_CODES).order_by("created_at", "id"),
            to_attr="signoff_events",
        ),
    )
    rows = []
    for case in cases:
        milestones = []
        for milestone in case.milestone_list:
            done_day = (
                timezone.localtime(milestone.done_at, CALENDAR_TZ).date()
                if milestone.done_at
                else None
            )
            late = (done_day or today) > milestone.due_on
            milestones.append({"milestone": milestone, "late": late, "done_day": done_day})
        rows.append(
            {
                "case": case,
                "milestones": milestones,
                "reached": sum(1 for m in milestones if m["done_day"]),
                "signoffs": case.signoff_events,
            }
        )
    return rows
