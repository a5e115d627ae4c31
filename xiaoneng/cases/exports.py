"""The ledger's Excel export: exactly the filtered cases, in the office's column layout,
written with openpyxl's write-only workbook to a temporary file while the cases are read in
chunks, so memory stays flat whatever the number of rows. No column carries the
complainant's identity, for any role. Every export is audited."""

from __future__ import annotations

import datetime as dt
import tempfile
from typing import IO

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from xiaoneng.audit.services import audit_log
from xiaoneng.cases.ledger import export_iter
from xiaoneng.cases.models import Case
from xiaoneng.workdays.calendar import CALENDAR_TZ

CHUNK_SIZE = 2000

#: A text starting with one of these would be read as a formula by a spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """A text cell that no spreadsheet evaluates: a leading apostrophe before a formula
    character (OWASP's advice against CSV/formula injection)."""
    value = value or ""
    if value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _headers() -> list[str]:
    # The office's layout: 登记编号, 登记时间, 来源渠道, 类别, 紧急程度, 摘要, 被投诉单位,
    # 承办单位, 状态, 调查结论, 回访满意度, 是否解决, 办结时间, 是否超期, 退单次数, 重办次数.
    return [
        pgettext("ledger column", "Register number"),
        pgettext("ledger column", "Registered"),
        pgettext("ledger column", "Channel"),
        pgettext("ledger column", "Category"),
        pgettext("ledger column", "Urgency"),
        pgettext("ledger column", "Summary"),
        pgettext("ledger column", "Units complained about"),
        pgettext("ledger column", "Handling units"),
        pgettext("ledger column", "Status"),
        pgettext("ledger column", "Finding"),
        pgettext("ledger column", "Callback satisfaction"),
        pgettext("ledger column", "Solved"),
        pgettext("ledger column", "Closed out"),
        pgettext("ledger column", "Overdue"),
        pgettext("ledger column", "Times returned"),
        pgettext("ledger column", "Times redone"),
    ]


def _local(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return timezone.localtime(value, CALENDAR_TZ).replace(tzinfo=None, microsecond=0)


def _units(units) -> str:
    return "、".join(u.short_name or u.name for u in units)


class _Labels:
    """The display labels of the choice fields, translated once per export rather than once
    per cell (a ledger export may hold a hundred thousand rows)."""

    FIELDS = ("channel", "urgency", "status", "finding", "satisfaction", "solved")

    def __init__(self):
        self.labels = {
            name: {value: str(label) for value, label in Case._meta.get_field(name).flatchoices}
            for name in self.FIELDS
        }
        self.yes, self.no = _("Yes"), _("No")

    def __call__(self, case: Case, name: str) -> str:
        value = getattr(case, name)
        return self.labels[name].get(value, value or "")


def case_export_row(case: Case, labels: _Labels | None = None) -> list:
    label = labels or _Labels()
    return [
        case.number,
        _local(case.registered_at),
        label(case, "channel"),
        case.category.name,
        label(case, "urgency"),
        case.summary,
        _units(case.subject_units.all()),
        _units(a.unit for a in case.current_assignments),
        label(case, "status"),
        label(case, "finding"),
        label(case, "satisfaction"),
        label(case, "solved"),
        _local(case.closed_at),
        label.yes if case.was_overdue else label.no,
        case.return_count,
        case.redo_count,
    ]


def _cell(sheet, value):
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=safe_text(value))
        cell.data_type = "s"
        return cell
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, dt.datetime):
        cell.number_format = "yyyy-mm-dd hh:mm"
    return cell


def ledger_workbook(cases: QuerySet[Case], *, chunk_size: int = CHUNK_SIZE) -> tuple[IO, int]:
    """The cases written to an .xlsx in a temporary file (rewound; deleted when closed) and
    the number of rows written."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Ledger"))
    widths = (16, 17, 12, 14, 10, 40, 22, 22, 14, 14, 16, 12, 17, 10, 10, 10)
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    header = []
    for title in _headers():
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    count = 0
    labels = _Labels()
    for case in export_iter(cases, chunk_size=chunk_size):
        sheet.append([_cell(sheet, value) for value in case_export_row(case, labels)])
        count += 1
    # Closed by the caller (FileResponse closes it once sent).
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    workbook.save(out)
    out.seek(0)
    return out, count


def ledger_export(*, user, cases: QuerySet[Case], filters: dict) -> tuple[IO, int]:
    """Export the ledger's filtered ``cases`` and audit it (the filters and the row count)."""
    out, count = ledger_workbook(cases)
    with transaction.atomic():
        audit_log(
            action="cases.ledger.export",
            actor=user,
            object_type="cases.case",
            data={"filters": filters, "rows": count},
        )
    return out, count
