"""The ledger's Excel export: exactly the filtered rows, the office's columns, no formula
injection, no complainant identity, audited."""

import io
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from openpyxl import load_workbook

from xiaoneng.audit.models import AuditEntry
from xiaoneng.cases import services as s
from xiaoneng.cases.exports import safe_text
from xiaoneng.cases.models import LedgerExport

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
URL = "/cases/ledger/export.xlsx"
HEADERS = [
    "Register number",
    "Registered",
    "Channel",
    "Category",
    "Urgency",
    "Summary",
    "Units complained about",
    "Handling units",
    "Status",
    "Finding",
    "Callback satisfaction",
    "Solved",
    "Closed out",
    "Overdue",
    "Times returned",
    "Times redone",
]


def at(*args):
    return datetime(*args, tzinfo=TZ)


def login(user, password) -> Client:
    client = Client()
    assert client.login(username=user.username, password=password)
    return client


def content(response) -> bytes:
    return b"".join(response.streaming_content)


def sheet_rows(data: bytes) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(data))
    return list(workbook.active.iter_rows(values_only=True))


def sheet_xml(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return b"".join(archive.read(name) for name in archive.namelist())


@pytest.fixture
def exported(register, clerk, supervisor, unit_a, unit_b):
    """Three cases: one at unit A with a formula for a summary, one dispatched to unit B, one
    anonymous and left registered."""
    formula = register(
        now=at(2025, 9, 1, 9), summary='=HYPERLINK("http://evil.example","点我")', channel="visit"
    )
    s.case_accept(actor=clerk, case=formula, now=at(2025, 9, 1, 10))
    s.case_dispatch(
        actor=supervisor,
        case=formula,
        mode="transfer",
        lead=s.UnitPart(unit_a),
        now=at(2025, 9, 1, 11),
    )
    other = register(
        now=at(2025, 9, 2, 9),
        summary="道路坑洼",
        complainant=s.ComplainantData(name="李四", phone="13900001111"),
        subject_units=[unit_b],
    )
    s.case_accept(actor=clerk, case=other, now=at(2025, 9, 2, 10))
    s.case_dispatch(
        actor=supervisor,
        case=other,
        mode="transfer",
        lead=s.UnitPart(unit_b),
        now=at(2025, 9, 2, 11),
    )
    anonymous = register(
        now=at(2025, 9, 3, 9),
        summary="+86 热线打不通",
        complainant=s.ComplainantData(anonymous=True),
        subject_units=[],
    )
    return formula, other, anonymous


def test_safe_text():
    assert safe_text("=1+2") == "'=1+2"
    assert safe_text("@SUM(A1)") == "'@SUM(A1)"
    assert safe_text("-3") == "'-3"
    assert safe_text("\tx") == "'\tx"
    assert safe_text("推诿=扯皮") == "推诿=扯皮"


def test_export_has_exactly_the_filtered_rows_in_the_office_layout(
    exported, supervisor, password, unit_a
):
    formula, _other, _anonymous = exported
    response = login(supervisor, password).get(URL, {"channel": "visit"}, **EN)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    rows = sheet_rows(content(response))
    assert list(rows[0]) == HEADERS
    assert len(rows) == 2
    row = rows[1]
    assert row[0] == formula.number
    assert row[1] == datetime(2025, 9, 1, 9)
    assert row[2:5] == ("Visit", "推诿扯皮", "Normal")
    # The formula comes back as text, not as a formula.
    assert row[5] == '\'=HYPERLINK("http://evil.example","点我")'
    assert row[6:9] == (
        unit_a.short_name or unit_a.name,
        unit_a.short_name or unit_a.name,
        "Dispatched",
    )
    # The acceptance deadline was met; signing for it (due three working days on) was not.
    assert row[13] == "Yes"
    assert row[14:] == (0, 0)


def test_formula_cells_are_stored_as_strings(exported, supervisor, password):
    data = content(login(supervisor, password).get(URL))
    workbook = load_workbook(io.BytesIO(data))
    summaries = [cell for (cell,) in workbook.active.iter_rows(min_col=6, max_col=6, min_row=2)]
    assert {cell.data_type for cell in summaries} == {"s"}
    assert not any(str(cell.value).startswith(("=", "+")) for cell in summaries)
    assert b"<f>" not in sheet_xml(data)


def test_export_of_all_rows_in_ledger_order(exported, supervisor, password):
    rows = sheet_rows(content(login(supervisor, password).get(URL, {"sort": "number"})))
    assert [row[0] for row in rows[1:]] == [case.number for case in exported]


def test_unit_roles_export_only_their_cases_and_no_identity(exported, liaison_a, password):
    formula, other, _anonymous = exported
    data = content(login(liaison_a, password).get(URL))
    rows = sheet_rows(data)
    assert [row[0] for row in rows[1:]] == [formula.number]
    xml = sheet_xml(data)
    for text in ("张三丰", "张*", "13812345678", "138****5678", "330102199001011234", "李四"):
        assert text.encode() not in xml
    assert other.number.encode() not in xml


def test_every_export_is_audited_with_filters_and_row_count(exported, supervisor, password):
    login(supervisor, password).get(URL, {"channel": "visit", "page": "2", "bogus": "x"})
    entry = AuditEntry.objects.get(action="cases.ledger.export")
    assert entry.actor == supervisor
    assert entry.data == {"filters": {"channel": "visit"}, "rows": 1}


@pytest.mark.parametrize("persona", ["handler_b", "inspector", "auditadmin"])
def test_export_is_refused_outside_the_ledger_roles(request, persona, password, exported):
    user = request.getfixturevalue(persona)
    assert login(user, password).get(URL).status_code == 404
    assert not AuditEntry.objects.filter(action="cases.ledger.export").exists()


def test_export_streams_in_chunks(register, supervisor, password, django_assert_max_num_queries):
    from xiaoneng.cases.exports import ledger_workbook
    from xiaoneng.cases.ledger import ledger_cases

    for index in range(7):
        register(summary="批量", content="内容", now=at(2025, 1, 6, 9) + timedelta(minutes=index))
    cases = ledger_cases(user=supervisor, filters={"sort": "number"})
    with django_assert_max_num_queries(20):
        out, count = ledger_workbook(cases, chunk_size=3)
    assert count == 7
    assert len(sheet_rows(out.read())) == 8


# --- large exports, written by the background worker ---------------------------------------

EXPORTS = "/cases/ledger/exports/"


@pytest.fixture
def background(settings, tmp_path):
    """Exports of more than two rows go to the worker, which runs each task at once."""
    settings.XIAONENG_EXPORT_INLINE_ROWS = 2
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def start(client, query: str, capture) -> object:
    with capture(execute=True):
        response = client.post(EXPORTS, {"query": query}, **EN)
    assert response.status_code == 302
    return response


def test_a_large_export_is_written_in_the_background_and_downloaded(
    background, exported, supervisor, password, django_capture_on_commit_callbacks
):
    client = login(supervisor, password)
    offer = client.get(URL, {"sort": "number"}, **EN)
    # Three rows: more than the limit, so no file yet but a page offering the worker.
    assert offer["Content-Type"].startswith("text/html")
    assert b'data-testid="export-start"' in offer.content
    assert b'name="query" value="sort=number"' in offer.content
    assert not AuditEntry.objects.filter(action="cases.ledger.export").exists()

    start(client, "sort=number&channel=", django_capture_on_commit_callbacks)
    export = LedgerExport.objects.get()
    assert (export.status, export.rows, export.total) == ("done", 3, 3)
    page = client.get(EXPORTS, **EN).content.decode()
    assert "Ready" in page and f"/cases/ledger/exports/{export.pk}/file/" in page
    assert "The whole ledger" in page  # no filter but the sort

    response = client.get(f"/cases/ledger/exports/{export.pk}/file/")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = sheet_rows(content(response))
    assert list(rows[0]) == HEADERS
    assert [row[0] for row in rows[1:]] == [case.number for case in exported]
    written = AuditEntry.objects.get(action="cases.ledger.export")
    assert written.actor == supervisor
    assert written.data == {"filters": {"sort": "number"}, "rows": 3, "background": True}
    assert AuditEntry.objects.filter(
        action="cases.ledger.export_download", actor=supervisor, object_id=str(export.pk)
    ).exists()


def test_the_filters_are_described_and_kept(
    background, settings, exported, supervisor, password, django_capture_on_commit_callbacks
):
    settings.XIAONENG_EXPORT_INLINE_ROWS = 0  # every export goes to the worker
    client = login(supervisor, password)
    start(client, "channel=visit&status=dispatched", django_capture_on_commit_callbacks)
    export = LedgerExport.objects.get()
    assert export.rows == 1
    assert export.filters == {"channel": "visit", "status": "dispatched"}
    page = client.get(EXPORTS, **EN).content.decode()
    assert "Channel: Visit; Status: Dispatched" in page
    assert "/cases/ledger/?channel=visit&amp;status=dispatched" in page


def test_a_unit_role_s_background_export_holds_only_its_cases(
    background, settings, exported, liaison_a, password, django_capture_on_commit_callbacks
):
    formula, other, _anonymous = exported
    settings.XIAONENG_EXPORT_INLINE_ROWS = 0
    client = login(liaison_a, password)
    start(client, "", django_capture_on_commit_callbacks)
    export = LedgerExport.objects.get()
    data = content(client.get(f"/cases/ledger/exports/{export.pk}/file/"))
    assert [row[0] for row in sheet_rows(data)[1:]] == [formula.number]
    assert other.number.encode() not in sheet_xml(data)


def test_only_the_requester_sees_and_downloads_an_export(
    background, exported, supervisor, director, password, django_capture_on_commit_callbacks
):
    start(login(supervisor, password), "sort=number", django_capture_on_commit_callbacks)
    export = LedgerExport.objects.get()
    other = login(director, password)
    assert other.get(f"/cases/ledger/exports/{export.pk}/file/").status_code == 404
    assert other.get(f"/cases/ledger/exports/{export.pk}/").status_code == 404
    assert b'data-testid="exports-empty"' in other.get(EXPORTS).content
    assert not AuditEntry.objects.filter(action="cases.ledger.export_download").exists()


def test_a_requester_who_lost_the_ledger_role_gets_no_file(
    background, exported, supervisor, password
):
    from xiaoneng.cases.exports import ledger_export_request, ledger_export_run

    export = ledger_export_request(user=supervisor, query="", filters={})
    supervisor.role_assignments.all().delete()
    supervisor.refresh_from_db()
    export = ledger_export_run(export=export)
    assert export.status == "failed" and not export.file
    assert "PermissionDenied" in export.error
    assert not AuditEntry.objects.filter(action="cases.ledger.export").exists()


def test_a_repeated_task_writes_the_export_once(background, exported, supervisor):
    from xiaoneng.cases.exports import ledger_export_request, ledger_export_run

    export = ledger_export_request(user=supervisor, query="", filters={})
    first = ledger_export_run(export=export)
    again = ledger_export_run(export=export.pk)
    assert (first.file.name, first.status) == (again.file.name, "done")
    assert AuditEntry.objects.filter(action="cases.ledger.export").count() == 1


def test_a_person_waits_for_two_exports_before_a_third(background, exported, supervisor, password):
    client = login(supervisor, password)
    for _ in range(2):  # queued (the commit never comes inside the test): still waiting
        client.post(EXPORTS, {"query": "sort=number"})
    response = client.post(EXPORTS, {"query": "sort=number"}, follow=True, **EN)
    assert "You have 2 exports under way" in response.content.decode()
    assert LedgerExport.objects.count() == 2
    assert response.content.decode().count('data-status="queued"') == 2
    assert b'hx-trigger="every 2s"' in response.content


def test_exports_expire_with_their_files(background, exported, supervisor, password):
    from xiaoneng.cases.exports import (
        EXPORT_RETENTION,
        ledger_export_request,
        ledger_export_run,
        ledger_exports_prune,
    )

    old = ledger_export_run(export=ledger_export_request(user=supervisor, query="", filters={}))
    path = old.file.path
    LedgerExport.objects.filter(pk=old.pk).update(
        requested_at=old.requested_at - EXPORT_RETENTION - timedelta(minutes=1)
    )
    client = login(supervisor, password)
    assert client.get(f"/cases/ledger/exports/{old.pk}/file/").status_code == 404
    assert ledger_exports_prune() == 1
    assert not LedgerExport.objects.exists()
    assert not Path(path).exists()


def test_the_exports_page_is_for_ledger_readers_only(background, handler_b, password):
    client = login(handler_b, password)
    assert client.get(EXPORTS).status_code == 404
    assert client.post(EXPORTS, {"query": ""}).status_code == 404
    assert not LedgerExport.objects.exists()
