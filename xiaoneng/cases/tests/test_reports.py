"""The monthly efficiency report (机关效能建设月报): its figures are the statistics of the month,
the Word and Excel files carry them (and never the complainant), and who may produce it."""

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from xiaoneng.audit.models import AuditEntry
from xiaoneng.cases.reports import (
    monthly_report,
    monthly_report_docx,
    monthly_report_xlsx,
    rate_text,
)
from xiaoneng.cases.statistics import case_statistics
from xiaoneng.cases.tests.test_statistics import NOW, at

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
MARCH = {"year": 2025, "month": 3}


# The ``march`` fixture (cases/tests/conftest.py): A1–A7, R1 and N1 registered in March 2025
# (A1–A7 for unit A), B1 for unit B, X1 in February, built through the services.


def _xml(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def _rows(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_figures_are_the_statistics_of_the_month(march, leader, unit_a, unit_b):
    report = monthly_report(user=leader, now=NOW, **MARCH)
    period = {"start": date(2025, 3, 1), "end": date(2025, 3, 31), "now": NOW}
    by_unit = case_statistics(user=leader, group_by="unit", **period)
    by_category = case_statistics(user=leader, group_by="category", **period)
    february = case_statistics(
        user=leader, group_by="unit", start=date(2025, 2, 1), end=date(2025, 2, 28), now=NOW
    )
    assert report.total.counts == by_unit.total.counts
    assert report.previous.counts == february.total.counts
    assert [(r.key, r.counts) for r in report.units] == [
        (r.key, r.counts) for r in by_unit.rows if r.counts["received"]
    ]
    assert [(r.key, r.counts) for r in report.categories] == [
        (r.key, r.counts) for r in by_category.rows if r.counts["received"]
    ]
    # By hand: ten cases in March, one in February; seven for unit A, one for unit B.
    counts = report.total.counts
    assert (counts["received"], report.previous.counts["received"]) == (10, 1)
    assert report.received_change == 9
    assert [(r.label, r.counts["received"]) for r in report.top_units] == [
        ("区人社局", 7),
        ("区财政局", 1),
    ]
    # Concluded: A1–A4 and B1 of the 8 dispatched; on time: A1, A2, A4 (extension), B1.
    assert {code: rate.value for code, rate in report.rates.items()} == {
        "closure": Decimal("62.5"),
        "on_time": Decimal("80.0"),
        "substantiation": Decimal("80.0"),
        "satisfaction": Decimal("50.0"),
        "solution": Decimal("25.0"),
    }
    # February's X1 is concluded (closure 100 %) with no callback (satisfaction "—").
    assert report.rate_changes["closure"] == Decimal("-37.5")
    assert report.rate_changes["satisfaction"] is None
    # The overdue list is the cases behind "overdue now": A4 (callback), A5, A7, R1.
    assert len(report.overdue) == counts["overdue"] == 4
    assert {c.number for c in report.overdue} == {march[k].number for k in ("A4", "A5", "A7", "R1")}
    units = {c.number: c.unit for c in report.overdue}
    assert units[march["A5"].number] == "区人社局"
    assert units[march["R1"].number] == ""  # not dispatched: no unit yet
    assert all(c.last_day < date(2025, 12, 1) for c in report.overdue)


def test_an_empty_month_shows_dashes(district, leader):
    report = monthly_report(user=leader, year=2024, month=1, now=NOW)
    assert report.total.counts["received"] == 0
    assert {code: rate_text(rate) for code, rate in report.rates.items()} == dict.fromkeys(
        ("closure", "on_time", "substantiation", "satisfaction", "solution"), "—"
    )
    assert (report.units, report.categories, report.overdue) == ([], [], [])
    xml = _xml(monthly_report_docx(report, language="en"))["word/document.xml"].decode()
    assert "The closure rate was —, the on-time rate —" in xml
    assert "No case is overdue." in xml
    book = load_workbook(io.BytesIO(monthly_report_xlsx(report, language="en")))
    overall = {row[0]: row[1:] for row in _rows(book["Overall"])}
    assert overall["Closure rate (%)"] == ["—", "—", "—"]
    assert overall["Received"] == [0, 0, 0]


def test_the_word_document(march, leader, district):
    report = monthly_report(user=leader, now=NOW, **MARCH)
    parts = _xml(monthly_report_docx(report, language="en"))
    xml = parts["word/document.xml"].decode()
    assert "天洲区 monthly report on the efficiency of government offices (2025-3)" in xml
    assert '<w:pgSz w:w="11906" w:h="16838"' in xml
    for attr in ('w:top="2098"', 'w:bottom="1984"', 'w:left="1587"', 'w:right="1474"'):
        assert attr in xml
    assert 'w:eastAsia="方正小标宋简体"' in xml and 'w:eastAsia="仿宋_GB2312"' in xml
    for text in (
        "1. Overall situation",
        "5. Next steps",
        "In 2025-3, 10 complaints about the efficiency of government offices were received, "
        "9 more than the previous month; 8 were accepted and 5 concluded. "
        "The closure rate was 62.5%",
        "At the time of this report, cases overdue: 4; under supervised handling: 1;",
        "区人社局 (7), 区财政局 (1)",
        "区人社局",
        "区财政局",
        march["A5"].number,
    ):
        assert text in xml, text
    footers = [v.decode() for k, v in parts.items() if "footer" in k]
    assert any("> PAGE <" in f and "— " in f for f in footers)
    # In the site's language (Chinese) the district comes from the org tree.
    assert "天洲区" in _xml(monthly_report_docx(report))["word/document.xml"].decode()


def test_the_workbook(march, leader, register):
    injected = register(now=at(2025, 3, 15, 9), summary='=HYPERLINK("http://x")')
    report = monthly_report(user=leader, now=NOW, **MARCH)
    book = load_workbook(io.BytesIO(monthly_report_xlsx(report, language="en")))
    assert book.sheetnames == ["Overall", "Units", "Categories", "Overdue cases"]
    overall = _rows(book["Overall"])
    assert overall[0] == ["Figure", "2025-3", "Previous month", "Change"]
    figures = {row[0]: row[1:] for row in overall[1:]}
    assert figures["Received"] == [11, 1, 10]
    assert figures["Closure rate (%)"] == [62.5, 100.0, -37.5]
    assert figures["Satisfaction rate (%)"] == [50.0, "—", "—"]
    units = _rows(book["Units"])
    assert units[0][:5] == [
        "Handling unit",
        "Received",
        "Accepted",
        "Concluded",
        "Closure rate (%)",
    ]
    assert [row[:5] for row in units[1:]] == [
        ["区财政局", 1, 1, 1, 100.0],
        ["区人社局", 7, 7, 4, 57.1],
    ]
    categories = _rows(book["Categories"])
    assert categories[0][0] == "Category"
    assert sum(row[1] for row in categories[1:]) == 11
    overdue = _rows(book["Overdue cases"])
    assert overdue[0] == ["Register number", "Summary", "Handling unit", "Last day"]
    assert len(overdue) == 1 + 5
    summaries = {row[0]: row[1] for row in overdue[1:]}
    assert summaries[injected.number] == '\'=HYPERLINK("http://x")'


def test_no_complainant_data_in_either_file(march, leader, complainant):
    report = monthly_report(user=leader, now=NOW, **MARCH)
    for content in (monthly_report_docx(report), monthly_report_xlsx(report)):
        for name, data in _xml(content).items():
            for secret in (
                complainant.name,
                complainant.phone,
                complainant.id_number,
                complainant.address,
            ):
                assert secret.encode() not in data, (name, secret)


def _urls():
    query = "?year=2025&month=3"
    return [
        reverse("cases:report_month") + query,
        reverse("cases:report_month_docx") + query,
        reverse("cases:report_month_xlsx") + query,
    ]


def test_anonymous_is_sent_to_log_in(client, district):
    for url in _urls():
        response = client.get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


@pytest.mark.parametrize("persona", ["handler_a", "inspector", "sysadmin", "unit_head_a"])
def test_others_get_404(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    for url in _urls():
        assert client.get(url).status_code == 404
    assert not AuditEntry.objects.filter(action="cases.report.export").exists()


def test_the_page_shows_the_figures_and_links_the_files(client, march, leader):
    client.force_login(leader)
    response = client.get(reverse("cases:report_month"), {"year": 2025, "month": 3}, **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "天洲区 monthly report on the efficiency of government offices (2025-3)" in html
    report = response.context["report"]
    assert report.total.counts["received"] == 10
    overall = {code: value for _label, value, _p, _c, code in response.context["overall"]}
    assert overall["received"] == 10
    assert overall["closure"] == "62.5%"
    assert overall["satisfaction"] == "50.0%"
    assert reverse("cases:report_month_docx") + "?year=2025&amp;month=3" in html
    assert reverse("cases:report_month_xlsx") + "?year=2025&amp;month=3" in html
    assert 'data-testid="report-units"' in html and "区人社局" in html


def test_the_page_defaults_to_the_previous_month_and_keeps_bad_input(client, leader):
    client.force_login(leader)
    response = client.get(reverse("cases:report_month"))
    assert response.status_code == 200
    assert response.context["report"] is not None
    response = client.get(reverse("cases:report_month"), {"year": "abc", "month": "13"}, **EN)
    assert response.status_code == 200
    assert response.context["report"] is None
    html = response.content.decode()
    assert 'data-testid="report-errors"' in html
    assert 'value="abc"' in html
    assert client.get(reverse("cases:report_month_docx"), {"year": "x"}).status_code == 404


@pytest.mark.parametrize(
    ("name", "fmt", "magic"),
    [("cases:report_month_docx", "docx", b"word/"), ("cases:report_month_xlsx", "xlsx", b"xl/")],
)
def test_downloads_are_audited(client, march, supervisor, name, fmt, magic):
    client.force_login(supervisor)
    response = client.get(reverse(name), {"year": 2025, "month": 3})
    assert response.status_code == 200
    assert f"monthly-report-2025-03.{fmt}" in response["Content-Disposition"]
    assert magic in response.content
    entry = AuditEntry.objects.get(action="cases.report.export")
    assert entry.actor == supervisor
    assert entry.data == {"year": 2025, "month": 3, "format": fmt}
