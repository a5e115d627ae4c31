"""The monthly efficiency report (机关效能建设月报): the statistics of the cases registered in
one calendar month, compared with the month before, written as a Word document in the
official layout and as an Excel workbook.

Every figure comes from ``case_statistics`` (see docs/statistics.md for the definitions); the
overdue cases are those counted by its "overdue now" figure. No complainant data is read or
written. Office roles and leaders may produce it.
"""

from __future__ import annotations

import calendar
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Min, OuterRef, Q, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Font

from xiaoneng.audit.services import audit_log
from xiaoneng.cases.choices import OPEN_STATUSES, AssignmentStatus
from xiaoneng.cases.exports import safe_text
from xiaoneng.cases.models import Assignment, Case
from xiaoneng.cases.selectors import case_visible_q
from xiaoneng.cases.statistics import (
    LEAD_ROLES,
    Period,
    Rate,
    StatRow,
    case_statistics,
)
from xiaoneng.core import officedoc
from xiaoneng.org.choices import OFFICE_ROLES, Role, UnitKind
from xiaoneng.org.models import Unit

#: Who may produce the monthly report: the office and the leaders.
REPORT_ROLES = frozenset(OFFICE_ROLES | {Role.LEADER})
#: The units named in the overview.
TOP_UNITS = 5
#: The rates of the report, in order.
RATE_CODES = ("closure", "on_time", "substantiation", "satisfaction", "solution")
#: The counted figures of the overview, in order.
COUNT_CODES = (
    "received",
    "accepted",
    "concluded",
    "overdue",
    "supervised",
    "returned",
    "redone",
)
DASH = "—"


def report_allowed(*, user) -> bool:
    return bool(user.is_authenticated and user.roles & REPORT_ROLES)


@dataclass(frozen=True)
class OverdueCase:
    number: str
    summary: str
    unit: str
    last_day: date


@dataclass
class MonthlyReport:
    year: int
    month: int
    period: Period
    #: the name of the district (the root of the org tree)
    district: str
    now: datetime
    total: StatRow
    previous: StatRow
    units: list[StatRow]
    categories: list[StatRow]
    overdue: list[OverdueCase]

    @property
    def rates(self) -> dict[str, Rate]:
        return self.total.rates

    @property
    def previous_rates(self) -> dict[str, Rate]:
        return self.previous.rates

    @property
    def received_change(self) -> int:
        return self.total.counts["received"] - self.previous.counts["received"]

    @property
    def rate_changes(self) -> dict[str, Decimal | None]:
        """Each rate's change on the previous month in percentage points; None when either
        month has nothing to divide by."""
        changes = {}
        for code in RATE_CODES:
            now, before = self.rates[code].value, self.previous_rates[code].value
            changes[code] = None if now is None or before is None else now - before
        return changes

    @property
    def top_units(self) -> list[StatRow]:
        """The units that received the most cases (at most five, none with zero)."""
        ranked = sorted(
            (row for row in self.units if row.counts["received"]),
            key=lambda row: -row.counts["received"],
        )
        return ranked[:TOP_UNITS]


def previous_month(today: date) -> tuple[int, int]:
    last = today.replace(day=1) - timedelta(days=1)
    return last.year, last.month


def month_period(year: int, month: int) -> Period:
    return Period(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))


def district_name() -> str:
    """The name of the root of the org tree (the district), else the first root unit."""
    roots = Unit.objects.filter(parent__isnull=True).order_by("order", "code")
    root = roots.filter(kind=UnitKind.DISTRICT).first() or roots.first()
    return root.name if root else ""


def _overdue_cases(*, user, period: Period, now: datetime) -> list[OverdueCase]:
    """The open cases of the month's cohort with a running, unsuspended deadline past due at
    ``now`` (the cases behind the "overdue now" figure), the longest overdue first."""
    lead = (
        Assignment.objects.filter(case=OuterRef("pk"), role__in=LEAD_ROLES)
        .exclude(status=AssignmentStatus.WITHDRAWN)
        .order_by("pk")
    )
    cases = (
        Case.objects.filter(period.q(), case_visible_q(user=user), status__in=OPEN_STATUSES)
        .annotate(
            last_due=Min(
                "deadlines__due_at",
                filter=Q(
                    deadlines__completed_at__isnull=True,
                    deadlines__suspended_at__isnull=True,
                    deadlines__due_at__lte=now,
                ),
            ),
            lead_unit=Subquery(lead.values("unit_id")[:1]),
        )
        .filter(last_due__isnull=False)
        .order_by("last_due", "number")
        .values("number", "summary", "lead_unit", "last_due")
    )
    rows = list(cases)
    units = {
        u.pk: u.short_name or u.name
        for u in Unit.objects.filter(pk__in={r["lead_unit"] for r in rows if r["lead_unit"]})
    }
    return [
        OverdueCase(
            number=r["number"],
            summary=r["summary"],
            unit=units.get(r["lead_unit"], ""),
            last_day=timezone.localdate(r["last_due"]),
        )
        for r in rows
    ]


def monthly_report(*, user, year: int, month: int, now: datetime | None = None) -> MonthlyReport:
    """The report of the cases registered in ``month`` of ``year`` that ``user`` may see.
    Raises PermissionError for anyone but the office and the leaders."""
    if not report_allowed(user=user):
        raise PermissionError
    now = now or timezone.now()
    period = month_period(year, month)
    before = month_period(*((year, month - 1) if month > 1 else (year - 1, 12)))
    by_unit = case_statistics(
        user=user, start=period.start, end=period.end, group_by="unit", now=now
    )
    by_category = case_statistics(
        user=user, start=period.start, end=period.end, group_by="category", now=now
    )
    previous = case_statistics(
        user=user, start=before.start, end=before.end, group_by="month", now=now
    )
    return MonthlyReport(
        year=year,
        month=month,
        period=period,
        district=district_name(),
        now=now,
        total=by_unit.total,
        previous=previous.total,
        units=[row for row in by_unit.rows if row.counts["received"]],
        categories=[row for row in by_category.rows if row.counts["received"]],
        overdue=_overdue_cases(user=user, period=period, now=now),
    )


# --- texts -----------------------------------------------------------------------------------


def rate_text(rate: Rate) -> str:
    """ "87.5%", or "—" when there is nothing to divide by."""
    value = rate.value
    return DASH if value is None else f"{value}%"


def change_text(value: Decimal | int | None, *, points: bool = False) -> str:
    if value is None:
        return DASH
    sign = "+" if value > 0 else ""
    if points:
        return _("%(change)s pp") % {"change": f"{sign}{value}"}
    return f"{sign}{value}"


def month_text(year: int, month: int) -> str:
    return _("%(year)s-%(month)s") % {"year": year, "month": month}


def report_title(report: MonthlyReport) -> str:
    return _("%(district)s monthly report on the efficiency of government offices (%(month)s)") % {
        "district": report.district,
        "month": month_text(report.year, report.month),
    }


def figure_labels() -> dict[str, str]:
    return {
        "received": _("Received"),
        "accepted": _("Accepted"),
        "concluded": _("Concluded"),
        "closure": _("Closure rate"),
        "on_time": _("On-time rate"),
        "substantiation": _("Substantiation rate"),
        "satisfaction": _("Satisfaction rate"),
        "solution": _("Solution rate"),
        "overdue": _("Overdue now"),
        "supervised": _("Supervised"),
        "returned": _("Returned"),
        "redone": _("Redone"),
    }


def overview_sentences(report: MonthlyReport) -> list[str]:
    """The overview (一、总体情况) as sentences with the figures."""
    counts, rates = report.total.counts, report.rates
    change = report.received_change
    if change > 0:
        trend = _("%(count)s more than the previous month") % {"count": change}
    elif change < 0:
        trend = _("%(count)s fewer than the previous month") % {"count": -change}
    else:
        trend = _("the same as the previous month")
    sentences = [
        _(
            "In %(month)s, %(received)s complaints about the efficiency of government offices "
            "were received, %(trend)s; %(accepted)s were accepted and %(concluded)s concluded."
        )
        % {
            "month": month_text(report.year, report.month),
            "received": counts["received"],
            "trend": trend,
            "accepted": counts["accepted"],
            "concluded": counts["concluded"],
        },
        _(
            "The closure rate was %(closure)s, the on-time rate %(on_time)s, the substantiation "
            "rate %(substantiation)s, the satisfaction rate %(satisfaction)s and the solution "
            "rate %(solution)s."
        )
        % {code: rate_text(rates[code]) for code in RATE_CODES},
        _(
            "At the time of this report, cases overdue: %(overdue)s; under supervised "
            "handling: %(supervised)s; returned by a unit: %(returned)s; sent back for redo: "
            "%(redone)s."
        )
        % {code: counts[code] for code in ("overdue", "supervised", "returned", "redone")},
    ]
    top = report.top_units
    if top:
        names = _(", ").join(
            _("%(unit)s (%(count)s)") % {"unit": row.label, "count": row.counts["received"]}
            for row in top
        )
        sentences.append(
            _("The units that received the most cases were: %(units)s.") % {"units": names}
        )
    return sentences


def join_sentences(sentences: list[str]) -> str:
    """Chinese sentences follow each other without a space."""
    language = translation.get_language() or ""
    return ("" if language.startswith("zh") else " ").join(sentences)


def next_steps_text() -> str:
    return _(
        "Next month the office will continue to follow up on the overdue cases listed above, "
        "urge the units concerned to conclude them within the time limits, and strengthen the "
        "callbacks and the supervision of cases the complainants were not satisfied with."
    )


def unit_headers() -> list[str]:
    return [
        _("Handling unit"),
        _("Received"),
        _("Concluded"),
        _("Closure rate"),
        _("On-time rate"),
        _("Satisfaction rate"),
    ]


def unit_cells(row: StatRow) -> list[str]:
    rates = row.rates
    return [
        row.label,
        str(row.counts["received"]),
        str(row.counts["concluded"]),
        rate_text(rates["closure"]),
        rate_text(rates["on_time"]),
        rate_text(rates["satisfaction"]),
    ]


def category_headers() -> list[str]:
    return [
        _("Category"),
        _("Received"),
        _("Share"),
        _("Concluded"),
        _("Closure rate"),
        _("Satisfaction rate"),
    ]


def category_cells(row: StatRow, total: StatRow) -> list[str]:
    rates = row.rates
    return [
        row.label,
        str(row.counts["received"]),
        rate_text(Rate(row.counts["received"], total.counts["received"])),
        str(row.counts["concluded"]),
        rate_text(rates["closure"]),
        rate_text(rates["satisfaction"]),
    ]


def overdue_headers() -> list[str]:
    return [_("Register number"), _("Summary"), _("Handling unit"), _("Last day")]


def day_text(day: date) -> str:
    return _("%(year)s-%(month)s-%(day)s") % {"year": day.year, "month": day.month, "day": day.day}


# --- Word ------------------------------------------------------------------------------------


def monthly_report_docx(report: MonthlyReport, *, language: str | None = None) -> bytes:
    """The report as a .docx file (bytes), in the site's language unless told."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return _docx(report)


def _docx(report: MonthlyReport) -> bytes:
    doc = officedoc.official_document()
    title = report_title(report)
    officedoc.add_title(doc, title)

    officedoc.add_text(doc, _("1. Overall situation"), heading=True)
    officedoc.add_text(doc, join_sentences(overview_sentences(report)))

    officedoc.add_text(doc, _("2. Handling by unit"), heading=True)
    if report.units:
        officedoc.add_table(
            doc,
            unit_headers(),
            [unit_cells(row) for row in report.units],
            widths=[4, 2, 2, 2, 2, 2],
        )
    else:
        officedoc.add_text(doc, _("No case was dispatched to a unit this month."))

    officedoc.add_text(doc, _("3. Distribution by category"), heading=True)
    if report.categories:
        officedoc.add_table(
            doc,
            category_headers(),
            [category_cells(row, report.total) for row in report.categories],
            widths=[4, 2, 2, 2, 2, 2],
        )
    else:
        officedoc.add_text(doc, _("No case was received this month."))

    officedoc.add_text(doc, _("4. Overdue cases not yet concluded"), heading=True)
    if report.overdue:
        officedoc.add_table(
            doc,
            overdue_headers(),
            [[c.number, c.summary, c.unit or DASH, day_text(c.last_day)] for c in report.overdue],
            widths=[3, 6, 3, 3],
        )
    else:
        officedoc.add_text(doc, _("No case is overdue."))

    officedoc.add_text(doc, _("5. Next steps"), heading=True)
    officedoc.add_text(doc, next_steps_text())

    officedoc.page_numbers(doc.sections[0])
    doc.core_properties.title = title
    doc.core_properties.author = report.district
    return officedoc.to_bytes(doc)


# --- Excel -----------------------------------------------------------------------------------


def _rate_cell(rate: Rate):
    """A rate as a number (per cent), or "—"."""
    value = rate.value
    return DASH if value is None else float(value)


def monthly_report_xlsx(report: MonthlyReport, *, language: str | None = None) -> bytes:
    """The report as an .xlsx workbook (bytes): sheets 总体, 各单位, 类别, 超期件."""
    with translation.override(language or settings.LANGUAGE_CODE):
        return _xlsx(report)


def _sheet(workbook, title: str, headers: list[str], rows: list[list], widths: list[int]):
    sheet = workbook.create_sheet(title)
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in rows:
        sheet.append([safe_text(v) if isinstance(v, str) else v for v in values])
    for i, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + i)].width = width
    sheet.freeze_panes = "A2"
    return sheet


def _xlsx(report: MonthlyReport) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    labels = figure_labels()
    total, previous = report.total, report.previous
    rate_changes = report.rate_changes
    overall = []
    for code in ("received", "accepted", "concluded"):
        overall.append(
            [
                labels[code],
                total.counts[code],
                previous.counts[code],
                total.counts[code] - previous.counts[code],
            ]
        )
    for code in RATE_CODES:
        change = rate_changes[code]
        overall.append(
            [
                labels[code] + " (%)",
                _rate_cell(report.rates[code]),
                _rate_cell(report.previous_rates[code]),
                DASH if change is None else float(change),
            ]
        )
    for code in ("overdue", "supervised", "returned", "redone"):
        overall.append(
            [
                labels[code],
                total.counts[code],
                previous.counts[code],
                total.counts[code] - previous.counts[code],
            ]
        )
    _sheet(
        workbook,
        pgettext("report sheet", "Overall"),
        [
            _("Figure"),
            month_text(report.year, report.month),
            _("Previous month"),
            pgettext("monthly report", "Change"),
        ],
        overall,
        [22, 14, 14, 12],
    )

    figure_codes = (
        "received",
        "accepted",
        "concluded",
        *RATE_CODES,
        "overdue",
        "supervised",
        "returned",
        "redone",
    )
    figure_headers = [labels[c] + (" (%)" if c in RATE_CODES else "") for c in figure_codes]

    def figures(row: StatRow) -> list:
        rates = row.rates
        return [_rate_cell(rates[c]) if c in RATE_CODES else row.counts[c] for c in figure_codes]

    _sheet(
        workbook,
        pgettext("report sheet", "Units"),
        [_("Handling unit"), *figure_headers],
        [[row.label, *figures(row)] for row in report.units],
        [28] + [12] * len(figure_codes),
    )
    _sheet(
        workbook,
        pgettext("report sheet", "Categories"),
        [_("Category"), *figure_headers],
        [[row.label, *figures(row)] for row in report.categories],
        [28] + [12] * len(figure_codes),
    )
    _sheet(
        workbook,
        pgettext("report sheet", "Overdue cases"),
        overdue_headers(),
        [[c.number, c.summary, c.unit or DASH, c.last_day] for c in report.overdue],
        [18, 48, 22, 14],
    )
    for ws in workbook.worksheets[3:]:
        for (cell,) in ws.iter_rows(min_row=2, min_col=4, max_col=4):
            cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


#: The download formats: code → (writer, file extension, content type).
FORMATS = {
    "docx": (
        monthly_report_docx,
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xlsx": (
        monthly_report_xlsx,
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
}


def monthly_report_export(
    *, user, year: int, month: int, fmt: str, now: datetime | None = None
) -> bytes:
    """The report of the month as a Word or Excel file, audited ("cases.report.export")."""
    writer = FORMATS[fmt][0]
    content = writer(monthly_report(user=user, year=year, month=month, now=now))
    with transaction.atomic():
        audit_log(
            action="cases.report.export",
            actor=user,
            object_type="cases.report",
            object_id=f"{year:04d}-{month:02d}",
            data={"year": year, "month": month, "format": fmt},
        )
    return content
