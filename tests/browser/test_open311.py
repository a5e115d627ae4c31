"""The Open311 interface in a real browser: the office director offers a service with a
question, the system administrator registers the 12345 hotline and copies its key once, and a
request the hotline files through the interface reaches the intake clerk as an API case."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from xiaoneng.cases.defaults import seed_categories
from xiaoneng.cases.models import Case, Category


@pytest.fixture
def categories(transactional_db):
    """The live server's tests empty every table afterwards; put the categories back."""
    seed_categories(Category)


def test_set_up_issue_a_key_and_file_a_request(
    live_server, page_as, snap_page, categories, password, director, sysadmin, clerk, office
):
    # 1. The director offers 推诿扯皮 as service TWCP-1 and adds the question of its definition.
    desk = page_as(director, password)
    desk.goto(f"{live_server.url}/")
    with desk.expect_navigation():
        desk.get_by_test_id("main-nav").locator('a[href="/open311/v2/manage/"]').click()
    with desk.expect_navigation():
        desk.get_by_test_id("open311-services").locator(
            'a[href="/open311/v2/manage/services/new/"]'
        ).click()
    form = desk.get_by_test_id("service-form")
    form.locator("input[name='service_code']").fill("TWCP-1")
    form.locator("select[name='category']").select_option(label="推诿扯皮")
    form.locator("input[name='service_name']").fill("推诿扯皮")
    form.locator("textarea[name='service_notice']").fill("3个工作日内决定是否受理")
    with desk.expect_navigation():
        form.locator("button[type='submit']").click()
    question = desk.get_by_test_id("attribute-form")
    question.locator("input[name='code']").fill("WINDOW")
    question.locator("input[name='description']").fill("哪个窗口？")
    question.locator("select[name='datatype']").select_option("singlevaluelist")
    question.locator("input[name='required']").check()
    question.locator("textarea[name='values']").fill("1=一号窗口\n2=二号窗口")
    with desk.expect_navigation():
        question.locator("button[type='submit']").click()
    expect(desk.get_by_test_id("attribute-row")).to_have_count(1)
    expect(desk.get_by_test_id("attribute-row")).to_contain_text("哪个窗口？")
    snap_page(desk, "1-service")

    # 2. The system administrator registers the hotline and copies the key shown once.
    admin = page_as(sysadmin, password)
    admin.goto(f"{live_server.url}/open311/v2/manage/")
    expect(admin.get_by_test_id("service-row")).to_contain_text("TWCP-1")
    with admin.expect_navigation():
        admin.get_by_test_id("open311-clients").locator(
            'a[href="/open311/v2/manage/clients/new/"]'
        ).click()
    form = admin.get_by_test_id("client-form")
    form.locator("input[name='name']").fill("12345热线")
    expect(form.locator("select[name='unit']")).to_have_value(str(office.pk))
    with admin.expect_navigation():
        form.locator("button[type='submit']").click()
    key = admin.get_by_test_id("api-key").input_value()
    assert key.startswith("o311_")
    snap_page(admin, "2-key")
    admin.goto(f"{live_server.url}/open311/v2/manage/")
    expect(admin.get_by_test_id("client-row")).to_contain_text("12345热线")
    assert key not in admin.content()

    # 3. The hotline files a request through the interface.
    data = urlencode(
        {
            "api_key": key,
            "service_code": "TWCP-1",
            "address_string": "天洲区政务服务中心二楼",
            "description": "办理社保转移，窗口三次让我找别的部门。",
            "last_name": "张",
            "first_name": "三丰",
            "phone": "13812345678",
            "attribute[WINDOW]": "2",
        }
    ).encode()
    call = urllib.request.Request(f"{live_server.url}/open311/v2/requests.json", data=data)
    with urllib.request.urlopen(call) as response:  # noqa: S310 - the local live server
        answer = json.loads(response.read())
    number = Case.objects.get().number
    notice = "3个工作日内决定是否受理"
    assert answer == [{"service_request_id": number, "service_notice": notice, "account_id": None}]

    # 4. The intake clerk finds it among the cases to accept, registered by the hotline.
    intake = page_as(clerk, password)
    intake.goto(f"{live_server.url}/cases/queues/?queue=to_accept")
    row = intake.get_by_test_id("queue-cases").locator(f"[data-number='{number}']")
    with intake.expect_navigation():
        row.get_by_role("link", name=number).click()
    expect(intake.get_by_test_id("case-number")).to_have_text(number)
    expect(intake.locator("main")).to_contain_text("12345热线 (Open311)")
    expect(intake.locator("main")).to_contain_text("哪个窗口？：二号窗口")
    snap_page(intake, "3-case")
