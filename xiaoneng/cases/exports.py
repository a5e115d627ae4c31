"""The ledger's Excel export: exactly the filtered cases, in the office's column layout,
written with openpyxl's write-only workbook to a temporary file while the cases are read in
chunks, so memory stays flat whatever the number of rows. No column carries the
complainant's identity, for any role. Every export is audited.

Up to ``XIAONENG_EXPORT_INLINE_ROWS`` rows the file is written while the reader waits; a
larger export is a ``LedgerExport`` that the background worker writes (with its progress)
and that only its requester can download, for ``EXPORT_RETENTION``."""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from typing import IO

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from xiaoneng.audit.services import audit_log
from xiaoneng.cases.choices import ExportStatus
from xiaoneng.cases.ledger import LEDGER_ROLES, export_iter, ledger_cases
from xiaoneng.cases.models import Case, LedgerExport
from xiaoneng.workdays.calendar import CALENDAR_TZ

logger = logging.getLogger(__name__)

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

    def __call__(self, row: dict, name: str) -> str:
        value = row[name]
        return self.labels[name].get(value, value or "")


def case_export_row(row: dict, labels: _Labels | None = None) -> list:
    """One ledger row (from ``ledger.export_iter``) in the office's column layout."""
    label = labels or _Labels()
    return [
        row["number"],
        _local(row["registered_at"]),
        label(row, "channel"),
        row["category__name"],
        label(row, "urgency"),
        row["summary"],
        "、".join(row["subject_units"]),
        "、".join(row["handling_units"]),
        label(row, "status"),
        label(row, "finding"),
        label(row, "satisfaction"),
        label(row, "solved"),
        _local(row["closed_at"]),
        label.yes if row["was_overdue"] else label.no,
        row["return_count"],
        row["redo_count"],
    ]


def _cells(sheet, values: list) -> list:
    """The row's cells: texts made safe (``safe_text``, so none reads as a formula), times
    with the office's format; other values as they are."""
    cells = []
    for value in values:
        if isinstance(value, str):
            value = safe_text(value)
        elif isinstance(value, dt.datetime):
            value = WriteOnlyCell(sheet, value=value)
            value.number_format = "yyyy-mm-dd hh:mm"
        cells.append(value)
    return cells


def ledger_workbook(
    cases: QuerySet[Case], *, chunk_size: int = CHUNK_SIZE, progress=None
) -> tuple[IO, int]:
    """The cases written to an .xlsx in a temporary file (rewound; deleted when closed) and
    the number of rows written; ``progress(rows)`` is called after every chunk."""
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
        sheet.append(_cells(sheet, case_export_row(case, labels)))
        count += 1
        if progress and count % chunk_size == 0:
            progress(count)
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


# --- exports written by the background worker ---------------------------------------------

#: How long a written export can be downloaded; older ones are deleted with their files.
EXPORT_RETENTION = dt.timedelta(days=7)
#: Exports one person may have waiting or being written at a time.
ACTIVE_EXPORTS_PER_USER = 2


def export_inline_rows() -> int:
    """The largest export written while the reader waits."""
    return settings.XIAONENG_EXPORT_INLINE_ROWS


def export_fits_inline(cases: QuerySet[Case]) -> bool:
    """Whether ``cases`` are few enough to be written while the reader waits (a count
    stopped at the limit, cheap on any number of cases)."""
    limit = export_inline_rows()
    return cases.order_by()[: limit + 1].count() <= limit


def ledger_export_request(
    *, user, query: str, filters: dict, description: str = ""
) -> LedgerExport:
    """Queue an export of the ledger filtered by ``query`` (the ledger's query string; the
    cases are selected when the worker writes it, in the requester's scope at that time)."""
    from xiaoneng.cases.tasks import write_ledger_export

    now = timezone.now()
    with transaction.atomic():
        active = LedgerExport.objects.filter(
            requested_by=user,
            status__in=(ExportStatus.QUEUED, ExportStatus.RUNNING),
            requested_at__gte=now - EXPORT_RETENTION,
        )
        if active.count() >= ACTIVE_EXPORTS_PER_USER:
            raise ValidationError(
                _("You have %(count)d exports under way; wait until one of them is ready.")
                % {"count": ACTIVE_EXPORTS_PER_USER},
                code="busy",
            )
        export = LedgerExport.objects.create(
            requested_by=user,
            requested_at=now,
            query=query,
            filters=filters,
            description=description,
        )
        transaction.on_commit(lambda: write_ledger_export.enqueue(export.pk))
    return export


def _export_cases(export: LedgerExport) -> QuerySet[Case]:
    """The cases of an export, selected as its requester may see them now."""
    from xiaoneng.cases.forms.ledger import LedgerFilterForm

    user = export.requested_by
    if not (user.is_active and user.has_role(*LEDGER_ROLES)):
        raise PermissionDenied("The requester may no longer read the ledger.")
    filters = LedgerFilterForm(QueryDict(export.query)).filters()
    return ledger_cases(user=user, filters=filters)


def ledger_export_run(*, export: LedgerExport | int) -> LedgerExport:
    """Write a queued export (the background task's work): counts the rows, writes the file
    with its progress, audits it like an export written at once. Runs once per export: a
    repeated delivery of the task finds it no longer queued. Expired exports are pruned
    afterwards."""
    pk = export.pk if isinstance(export, LedgerExport) else export
    started = LedgerExport.objects.filter(pk=pk, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=timezone.now()
    )
    export = LedgerExport.objects.select_related("requested_by").get(pk=pk)
    if not started:
        return export
    try:
        cases = _export_cases(export)
        LedgerExport.objects.filter(pk=pk).update(total=cases.count())

        def progress(rows: int) -> None:
            LedgerExport.objects.filter(pk=pk).update(rows=rows)

        out, count = ledger_workbook(cases, progress=progress)
        with out:
            export.file.save("ledger.xlsx", File(out), save=False)
        with transaction.atomic():
            LedgerExport.objects.filter(pk=pk).update(
                status=ExportStatus.DONE,
                rows=count,
                file=export.file.name,
                size=export.file.size,
                finished_at=timezone.now(),
            )
            audit_log(
                action="cases.ledger.export",
                actor=export.requested_by,
                object_type="cases.ledgerexport",
                object_id=str(pk),
                data={"filters": export.filters, "rows": count, "background": True},
            )
    except Exception as exc:
        logger.exception("Ledger export %s failed", pk)
        if export.file:
            export.file.delete(save=False)
        LedgerExport.objects.filter(pk=pk).update(
            status=ExportStatus.FAILED,
            file="",
            finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
    ledger_exports_prune()
    export.refresh_from_db()
    return export


def ledger_exports_prune(*, now: dt.datetime | None = None) -> int:
    """Delete the exports older than ``EXPORT_RETENTION`` and their files; returns how many."""
    cutoff = (now or timezone.now()) - EXPORT_RETENTION
    expired = list(LedgerExport.objects.filter(requested_at__lt=cutoff))
    for export in expired:
        if export.file:
            export.file.storage.delete(export.file.name)
    LedgerExport.objects.filter(pk__in=[e.pk for e in expired]).delete()
    return len(expired)


def ledger_export_list(*, user) -> QuerySet[LedgerExport]:
    """The user's own exports that have not expired, newest first."""
    cutoff = timezone.now() - EXPORT_RETENTION
    return LedgerExport.objects.filter(requested_by=user, requested_at__gte=cutoff)


def ledger_export_download(*, user, pk: int) -> tuple[IO, str]:
    """The written file of the user's own export ``pk`` and its download name, audited;
    ``LedgerExport.DoesNotExist`` for anyone else's, an unfinished or an expired one."""
    cutoff = timezone.now() - EXPORT_RETENTION
    export = LedgerExport.objects.get(
        pk=pk, requested_by=user, status=ExportStatus.DONE, requested_at__gte=cutoff
    )
    try:
        handle = export.file.open("rb")
    except FileNotFoundError:
        raise LedgerExport.DoesNotExist from None
    with transaction.atomic():
        audit_log(
            action="cases.ledger.export_download",
            actor=user,
            object_type="cases.ledgerexport",
            object_id=str(pk),
            data={"rows": export.rows},
        )
    local = timezone.localtime(export.requested_at, CALENDAR_TZ)
    return handle, f"ledger-{local:%Y%m%d-%H%M}.xlsx"
