"""API access in a real browser: the intake clerk creates a personal token on the token
screen, copies it (shown once), files a case with it through the REST API, and reads the
interactive documentation; then revokes the token, and the API refuses it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect

from xiaoneng.cases.defaults import seed_categories
from xiaoneng.cases.models import Case, Category


@pytest.fixture
def categories(transactional_db):
    """The live server's tests empty every table afterwards; put the categories back."""
    seed_categories(Category)


def _api(live_server, method: str, path: str, token: str, body: dict | None = None):
    request = urllib.request.Request(
        f"{live_server.url}/api/v1{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": uuid.uuid4().hex,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - test server
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_create_a_token_file_a_case_read_the_docs_and_revoke(
    live_server, page_as, snap_page, categories, password, clerk, unit_a
):
    desk = page_as(clerk, password)
    desk.goto(f"{live_server.url}/")
    with desk.expect_navigation():
        desk.get_by_test_id("main-nav").locator('a[href="/api/tokens/"]').click()
    form = desk.get_by_test_id("token-form")
    form.locator("input[name='name']").fill("12345热线对接测试")
    form.locator("select[name='expires_in_days']").select_option("30")
    with desk.expect_navigation():
        desk.get_by_test_id("token-create").click()
    secret = desk.get_by_test_id("new-token-value").input_value()
    assert secret.startswith("xn_")
    expect(desk.get_by_test_id("token-row")).to_have_count(1)
    expect(desk.get_by_test_id("token-state")).to_have_attribute("data-state", "valid")
    snap_page(desk, "1-token-created")

    status, case = _api(
        live_server,
        "POST",
        "/cases",
        secret,
        {
            "channel": "phone",
            "category": "TWCP",
            "summary": "窗口推诿",
            "content": "市民来电反映窗口人员推诿。",
            "subject_units": ["TZ-RSJ"],
            "complainant": {"name": "王五", "phone": "13900000000"},
        },
    )
    assert status == 201, case
    assert case["number"] == Case.objects.get().number

    desk.goto(f"{live_server.url}/api/v1/docs")
    expect(desk.locator("#swagger-ui .opblock-summary-path").first).to_be_visible()
    expect(desk.locator("#swagger-ui")).to_contain_text("/api/v1/cases/{case_id}/accept")
    snap_page(desk, "2-docs")

    desk.goto(f"{live_server.url}/api/tokens/")
    desk.once("dialog", lambda dialog: dialog.accept())
    with desk.expect_navigation():
        desk.get_by_test_id("token-revoke").click()
    expect(desk.get_by_test_id("token-state")).to_have_attribute("data-state", "revoked")
    status, error = _api(live_server, "GET", "/me", secret)
    assert (status, error["code"]) == (401, "token_revoked")
    snap_page(desk, "3-revoked")
