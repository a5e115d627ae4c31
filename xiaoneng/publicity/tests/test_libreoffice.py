"""The office's documents open in LibreOffice: the typical-case bulletin (Word), the monthly
report (Word and Excel) and the ledger (Excel) are converted to PDF with ``libreoffice
--headless --convert-to pdf`` and the PDF's text shows what the reader expects, and never the
complainant. Needs LibreOffice and poppler's pdftotext (``.ci/run`` installs both and sets
``XN_REQUIRE_OFFICE=1``, so that CI fails rather than skips without them)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from xiaoneng.cases.exports import ledger_workbook
from xiaoneng.cases.ledger import ledger_cases
from xiaoneng.cases.reports import monthly_report_export
from xiaoneng.publicity.docx import bulletin_docx

from .conftest import COMPLAINANT_ID, COMPLAINANT_NAME, COMPLAINANT_PHONE, at
from .test_services import approved

SOFFICE = shutil.which("libreoffice") or shutil.which("soffice")
PDFTOTEXT = shutil.which("pdftotext")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not (SOFFICE and PDFTOTEXT) and not os.environ.get("XN_REQUIRE_OFFICE"),
        reason="LibreOffice and pdftotext (poppler-utils) are not installed",
    ),
]


def pdf_text(tmp_path: Path, name: str, content: bytes) -> str:
    """``content`` saved as ``name``, converted to PDF by LibreOffice; the PDF's text without
    white space (Chinese text comes out with spaces between the characters of a line)."""
    assert SOFFICE and PDFTOTEXT, "LibreOffice and pdftotext are required (XN_REQUIRE_OFFICE)"
    source = tmp_path / name
    source.write_bytes(content)
    profile = tmp_path / "lo-profile"
    done = subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    pdf = source.with_suffix(".pdf")
    assert done.returncode == 0 and pdf.exists(), done.stdout + done.stderr
    text = subprocess.run(
        [PDFTOTEXT, str(pdf), "-"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    return re.sub(r"\s+", "", text)


def assert_no_complainant(text: str) -> None:
    for value in (COMPLAINANT_NAME, COMPLAINANT_PHONE, COMPLAINANT_ID):
        assert value not in text


def test_the_bulletin_opens_in_libreoffice(tmp_path, closed_case, clerk, director):
    from xiaoneng.publicity import services as s

    bulletin = s.bulletin_draft(actor=clerk, cases=[closed_case()])
    bulletin = approved(bulletin, clerk=clerk, director=director, now=at(2026, 3, 5, 10))
    text = pdf_text(tmp_path, "bulletin.docx", bulletin_docx(bulletin))
    assert "效能通报〔2026〕第1期" in text
    assert re.sub(r"\s+", "", bulletin.title) in text
    assert "推行窗口首问负责制" in text  # the measures taken, from the case
    assert "天洲区效能办" in text
    assert "—1—" in text  # the page number in the footer
    assert_no_complainant(text)


def test_the_monthly_report_opens_in_libreoffice(tmp_path, closed_case, director):
    closed_case(day=1)
    closed_case(summary="窗口排长队无人管", person_name="郑某某", day=2)
    word = pdf_text(
        tmp_path,
        "report.docx",
        monthly_report_export(user=director, year=2025, month=9, fmt="docx"),
    )
    assert "2025年9月" in word
    assert "区人社局" in word
    assert_no_complainant(word)
    sheet = pdf_text(
        tmp_path,
        "report.xlsx",
        monthly_report_export(user=director, year=2025, month=9, fmt="xlsx"),
    )
    assert "区人社局" in sheet
    assert_no_complainant(sheet)


def test_the_ledger_export_opens_in_libreoffice(tmp_path, closed_case, supervisor):
    first = closed_case(day=1)
    second = closed_case(summary="窗口排长队无人管", person_name="郑某某", day=2)
    out, count = ledger_workbook(ledger_cases(user=supervisor, filters={"sort": "number"}))
    with out:
        text = pdf_text(tmp_path, "ledger.xlsx", out.read())
    assert count == 2
    assert "登记编号" in text and "被投诉单位" in text  # the office's column headings
    assert first.number in text and second.number in text
    assert "窗口排长队无人管" in text
    assert_no_complainant(text)
