"""The public portal on a phone: a citizen files an anonymous complaint with a photo, keeps
the receipt, looks the case up, and once the office has approved the unit's reply (the
staff side is driven through the services) rates it. All of it through the portal's pages
at 390×844, as a phone shows them; the CAPTCHA is the real one, its answer known to the test
because the answer generator is replaced (``captcha_answer``)."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect

from xiaoneng.cases import services as s
from xiaoneng.cases.defaults import seed_categories
from xiaoneng.cases.models import Attachment, Callback, Case, Category
from xiaoneng.org.tests.factories import TEST_PASSWORD
from xiaoneng.portal.models import PublicRating

PHONE = {"width": 390, "height": 844}
ANSWER = "K7PXM"
SUMMARY = "社保窗口三次让我找别的部门"
CONTENT = "今年三月起去区人社局办理社保转移，窗口三次让我找别的部门，至今没有办成。"
REPLY = "经查属实，已对窗口人员批评教育，您的社保转移已于当日办结。"


@pytest.fixture
def categories(transactional_db):
    seed_categories(Category)
    return Category


@pytest.fixture
def captcha_answer(monkeypatch):
    monkeypatch.setattr("xiaoneng.portal.captcha.new_answer", lambda: ANSWER)
    return ANSWER


def photo_with_location() -> bytes:
    from PIL import Image

    image = Image.new("RGB", (640, 480), (190, 60, 40))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 10.0, 0.0)}
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def to_top(pg) -> None:
    pg.evaluate("window.scrollTo(0, 0)")


def test_a_citizen_files_follows_and_rates_a_complaint_on_a_phone(
    page,
    live_server,
    snap,
    snap_page,
    page_as,
    categories,
    captcha_answer,
    clerk,
    supervisor,
    handler_a,
    unit_a,
    unit_b,
):
    page.set_viewport_size(PHONE)
    portal = f"{live_server.url}/public/"
    # The portal's Content Security Policy must not block anything the pages use.
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    # 1. The home page, then the complaint form.
    page.goto(portal)
    expect(page.get_by_test_id("portal-home")).to_be_visible()
    snap("1-home")
    with page.expect_navigation():
        page.get_by_test_id("home-file").click()
    form = page.get_by_test_id("complaint-form")
    expect(form).to_be_visible()

    # 2. Anonymous: the personal fields disappear and only the portal reply is offered.
    form.locator("label[for='id_identity_1']").click()
    expect(form.locator("[data-named-only]")).to_be_hidden()
    expect(form.locator("select[name='reply_method'] option[value='phone']")).to_be_disabled()

    # 3. The unit is found by searching (HTMX narrows the list) and chosen.
    search = form.get_by_test_id("unit-search")
    expect(search).to_be_visible()
    search.fill("人社")
    unit_select = form.locator("select[name='subject_unit']")
    expect(unit_select.locator(f"option[value='{unit_b.pk}']")).to_have_count(0)
    unit_select.select_option(str(unit_a.pk))
    form.locator("select[name='category']").select_option(label="推诿扯皮")
    form.locator("input[name='summary']").fill(SUMMARY)
    form.locator("textarea[name='content']").fill(CONTENT)
    form.locator("input[name='place']").fill("区政务服务中心二楼")
    form.locator("input[name='attachments']").set_input_files(
        files=[{"name": "窗口.jpg", "mimeType": "image/jpeg", "buffer": photo_with_location()}]
    )
    # A new CAPTCHA image is drawn in place (HTMX), without sending the form.
    image = form.get_by_test_id("captcha-image")
    first_key = image.get_attribute("data-key")
    form.get_by_test_id("captcha-refresh").click()
    expect(form.get_by_test_id("captcha-image")).not_to_have_attribute("data-key", first_key)
    assert page.url.endswith("/public/complaints/new/")
    form.locator("input[name='captcha']").fill(ANSWER.lower())
    form.locator("input[name='pledge']").check()
    snap("2-form-filled")

    # 4. Sent: the receipt with the query code and the password, shown once.
    with page.expect_navigation():
        form.get_by_test_id("complaint-submit").click()
    receipt = page.get_by_test_id("receipt")
    expect(receipt).to_be_visible()
    expect(page.get_by_test_id("receipt-success")).to_be_visible()
    code = page.get_by_test_id("receipt-code").get_attribute("data-code")
    password = page.get_by_test_id("receipt-password").get_attribute("data-password")
    assert len(code) == 12 and len(password) == 10
    expect(page.get_by_test_id("receipt-download")).to_be_visible()
    expect(page.get_by_test_id("receipt-print")).to_be_visible()
    to_top(page)
    snap("3-receipt")

    case = Case.objects.get()
    assert (case.channel, case.status, case.complainant.anonymous) == ("web", "registered", True)
    attachment = Attachment.objects.get()
    from PIL import Image

    with attachment.file.open("rb") as stored, Image.open(stored) as image:
        assert 0x8825 not in image.getexif()

    # 5. The office and the unit work on it (through the services).
    s.case_accept(actor=clerk, case=case)
    s.case_dispatch(actor=supervisor, case=case, mode="transfer", lead=s.UnitPart(unit_a))
    assignment = case.assignments.get()
    s.assignment_sign(actor=handler_a, assignment=assignment)
    s.assignment_reply(
        actor=handler_a, assignment=assignment, reply_text=REPLY, finding="substantiated"
    )
    s.case_review(actor=supervisor, case=case, approve=True)

    # 6. The citizen looks the case up with the code and password of the receipt.
    page.goto(f"{portal}track/")
    lookup = page.get_by_test_id("lookup-form")
    lookup.locator("input[name='code']").fill(" ".join(code[i : i + 4] for i in range(0, 12, 4)))
    lookup.locator("input[name='password']").fill(password)
    with page.expect_navigation():
        page.get_by_test_id("lookup-submit").click()
    expect(page.get_by_test_id("case-status")).to_have_attribute("data-status", "callback")
    expect(page.get_by_test_id("case-reply-text")).to_have_text(REPLY)
    expect(
        page.get_by_test_id("case-timeline").locator("[data-code='case.dispatched']")
    ).to_be_visible()
    to_top(page)
    snap("4-case-replied")

    # 7. The reply is rated: very satisfied, solved, with a comment.
    rating = page.get_by_test_id("rating-form")
    rating.locator("label[for='id_rating_0']").click()
    rating.locator("label[for='id_solved_0']").click()
    rating.locator("textarea[name='comment']").fill("办事效率很高，谢谢。")
    with page.expect_navigation():
        rating.get_by_test_id("rating-submit").click()
    expect(page.get_by_test_id("portal-message")).to_be_visible()
    expect(page.get_by_test_id("rating-form")).to_have_count(0)
    expect(page.get_by_test_id("case-rating-given")).to_have_attribute(
        "data-rating", "very_satisfied"
    )
    to_top(page)
    snap("5-rated")

    stored = PublicRating.objects.get()
    assert (stored.rating, stored.solved, stored.comment) == (
        "very_satisfied",
        "solved",
        "办事效率很高，谢谢。",
    )
    callback = Callback.objects.get()
    assert (callback.satisfaction, callback.solved) == ("satisfied", "solved")
    assert Case.objects.get().satisfaction == "satisfied"

    # 8. The receipt is lost: the complainant calls; the clerk issues a new password on the
    # case page. The old one no longer opens the case, the new one does.
    desk = page_as(clerk, TEST_PASSWORD)
    desk.goto(f"{live_server.url}/cases/{case.pk}/")
    with desk.expect_navigation():
        desk.get_by_test_id("access-reissue-link").click()
    with desk.expect_navigation():
        desk.get_by_test_id("access-reissue-confirm").click()
    expect(desk.get_by_test_id("reissued-code")).to_have_text(code)
    new_password = desk.get_by_test_id("reissued-password").inner_text().strip()
    assert len(new_password) == 10 and new_password != password
    snap_page(desk, "6-new-password")
    for typed, opens in ((password, False), (new_password, True)):
        page.goto(f"{portal}track/")
        lookup = page.get_by_test_id("lookup-form")
        lookup.locator("input[name='code']").fill(code)
        lookup.locator("input[name='password']").fill(typed)
        with page.expect_navigation():
            page.get_by_test_id("lookup-submit").click()
        expect(page.get_by_test_id("case-status")).to_have_count(1 if opens else 0)
    assert violations == []


def test_a_blocked_network_is_told_so_and_keeps_everything_typed(
    page, live_server, page_as, snap, snap_page, categories, captcha_answer, clerk, password, unit_a
):
    # The office blocks the address on its screen in the back office.
    desk = page_as(clerk, password)
    desk.goto(f"{live_server.url}/public/manage/blocklist/")
    block = desk.get_by_test_id("block-form")
    block.locator("select[name='kind']").select_option("ip")
    block.locator("input[name='value']").fill("127.0.0.1")
    block.locator("input[name='reason']").fill("短时间内大量重复投诉")
    with desk.expect_navigation():
        desk.get_by_test_id("block-submit").click()
    expect(desk.get_by_test_id("block-rule")).to_have_attribute("data-value", "127.0.0.1")
    snap_page(desk, "1-blocklist")

    # A citizen on that network files a named complaint with a photo.
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/public/complaints/new/")
    form = page.get_by_test_id("complaint-form")
    form.locator("input[name='name']").fill("张三丰")
    form.locator("input[name='phone']").fill("13812345678")
    form.locator("select[name='category']").select_option(label="推诿扯皮")
    form.locator("input[name='summary']").fill(SUMMARY)
    form.locator("textarea[name='content']").fill(CONTENT)
    form.locator("select[name='reply_method']").select_option("sms")
    form.locator("input[name='attachments']").set_input_files(
        files=[{"name": "窗口.jpg", "mimeType": "image/jpeg", "buffer": photo_with_location()}]
    )
    form.locator("input[name='captcha']").fill(ANSWER)
    form.locator("input[name='pledge']").check()
    with page.expect_navigation():
        form.get_by_test_id("complaint-submit").click()

    # Refused with a message; everything typed is still there; the files must be chosen again.
    expect(page.get_by_test_id("form-errors")).to_be_visible()
    expect(page.get_by_test_id("files-dropped")).to_be_visible()
    form = page.get_by_test_id("complaint-form")
    expect(form.locator("input[name='name']")).to_have_value("张三丰")
    expect(form.locator("input[name='phone']")).to_have_value("13812345678")
    expect(form.locator("input[name='summary']")).to_have_value(SUMMARY)
    expect(form.locator("textarea[name='content']")).to_have_value(CONTENT)
    expect(form.locator("select[name='reply_method']")).to_have_value("sms")
    expect(form.locator("input[name='captcha']")).to_have_value("")
    to_top(page)
    snap("2-refused")
    assert Case.objects.count() == 0
