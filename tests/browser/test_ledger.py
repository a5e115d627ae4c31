"""The ledger's Excel export in a real browser: a small export downloads at once; a large one
is offered to the background worker, appears under "My exports" with its progress, turns
ready without a reload when the worker has written it, and downloads with exactly the
filtered rows."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from xiaoneng.cases import services as cs
from xiaoneng.cases.defaults import seed_categories
from xiaoneng.cases.exports import ledger_export_run
from xiaoneng.cases.models import Category, LedgerExport

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def cases(transactional_db, clerk):
    seed_categories(Category)
    category = Category.objects.get(code="TWCP")
    start = datetime(2025, 9, 1, 9, tzinfo=TZ)
    return [
        cs.case_register(
            actor=clerk,
            channel=channel,
            category=category,
            summary=f"第{n}件：窗口推诿",
            content="办事窗口多次推诿。",
            complainant=cs.ComplainantData(name="张三", phone="13800000000"),
            now=start + timedelta(days=n),
        )
        for n, channel in enumerate(["phone", "visit", "phone"])
    ]


def sheet_numbers(path) -> list[str]:
    with open(path, "rb") as handle:
        rows = list(load_workbook(io.BytesIO(handle.read())).active.iter_rows(values_only=True))
    return [row[0] for row in rows[1:]]


def test_a_large_export_goes_to_the_worker_and_downloads_when_ready(
    page, live_server, login, snap, cases, supervisor, password, settings, tmp_path
):
    settings.XIAONENG_EXPORT_INLINE_ROWS = 2
    settings.MEDIA_ROOT = tmp_path / "media"
    login(page, live_server, supervisor, password)

    # Two phone cases: small enough, the file comes at once.
    page.goto(f"{live_server.url}/cases/ledger/?channel=phone&sort=number")
    with page.expect_download() as small:
        page.get_by_test_id("ledger-export").click()
    assert sheet_numbers(small.value.path()) == [cases[0].number, cases[2].number]

    # All three: offered to the background worker.
    page.goto(f"{live_server.url}/cases/ledger/?sort=number")
    with page.expect_navigation():
        page.get_by_test_id("ledger-export").click()
    expect(page.get_by_test_id("export-confirm")).to_contain_text("2")
    snap("1-offer")
    with page.expect_navigation():
        page.get_by_test_id("export-start").click()
    row = page.get_by_test_id("export-row")
    expect(row).to_have_attribute("data-status", "queued")
    expect(row).to_contain_text("全部台账")
    snap("2-waiting")

    # The worker writes it; the row turns ready by itself (polled), with its download.
    ledger_export_run(export=LedgerExport.objects.get())
    expect(row).to_have_attribute("data-status", "done", timeout=10_000)
    snap("3-ready")
    with page.expect_download() as large:
        row.get_by_test_id("export-download").click()
    assert sheet_numbers(large.value.path()) == [case.number for case in cases]
