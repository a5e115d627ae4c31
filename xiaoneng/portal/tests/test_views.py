"""The portal's pages as a visitor uses them: every page answers, bad input of any kind
comes back as the form with a clear message and everything typed, the receipt shows the
password once, the case page shows only public facts, and the office's screens check roles."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation

from xiaoneng.cases import services as s
from xiaoneng.cases.models import Attachment, Case, CaseEvent
from xiaoneng.portal import services as ps
from xiaoneng.portal.choices import BlockKind
from xiaoneng.portal.models import BlockRule, PortalSettings, PublicAccess, PublicRating
from xiaoneng.portal.tests.conftest import ANSWER, TZ, photo_with_location
from xiaoneng.publicity.models import Bulletin

pytestmark = pytest.mark.django_db

FORM_URL = "/public/complaints/new/"
SUMMARY = "社保窗口三次让我找别的部门"
CONTENT = "今年三月起去区人社局办理社保转移，窗口三次让我找别的部门，至今没有办成。"


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


def open_form(client) -> tuple[str, str]:
    """GET the form; its one-time token and CAPTCHA key."""
    response = client.get(FORM_URL)
    assert response.status_code == 200
    html = response.content.decode()
    return hidden(html, "form_token"), hidden(html, "captcha_key")


@pytest.fixture
def form_data(category, unit_a, captcha_answer):
    def make(client, **overrides) -> dict:
        token, key = open_form(client)
        data = {
            "identity": "anonymous",
            "subject_unit": str(unit_a.pk),
            "category": str(category.pk),
            "summary": SUMMARY,
            "content": CONTENT,
            "reply_wanted": "on",
            "reply_method": "portal",
            "captcha": ANSWER,
            "captcha_key": key,
            "form_token": token,
            "pledge": "on",
        }
        data.update(overrides)
        return {k: v for k, v in data.items() if v is not None}

    return make


def receipt_code(response) -> str:
    return re.search(r'data-code="([A-Z0-9]+)"', response.content.decode()).group(1)


def receipt_password(response) -> str:
    return re.search(r'data-password="([A-Z0-9]+)"', response.content.decode()).group(1)


# --- every page ------------------------------------------------------------------------------

PAGES = [
    "/public/",
    FORM_URL,
    "/public/track/",
    "/public/rules/",
    "/public/bulletins/",
    "/public/statistics/",
    "/public/contact/",
]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_answers_a_visitor_in_the_portals_own_layout(client, url, clerk):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="portal-brand"' in html
    assert 'data-testid="main-nav"' not in html  # no staff navigation
    assert "vendor/bootstrap/bootstrap.min.css" in html and "//cdn" not in html
    assert response["Content-Security-Policy"].startswith("default-src 'self'")
    assert response["X-Frame-Options"] == "DENY"
    assert "geolocation=()" in response["Permissions-Policy"]


def test_a_signed_in_staff_member_sees_the_portal_without_the_staff_menu(client, clerk, password):
    client.force_login(clerk)
    html = client.get("/public/").content.decode()
    assert 'data-testid="main-nav"' not in html and "李受理" not in html


@pytest.mark.parametrize("url", ["/public/nothing-here/", "/public/bulletins/2025/99/"])
def test_unknown_pages_answer_with_the_portals_not_found_page(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert 'data-testid="portal-not-found"' in response.content.decode()
    assert "Content-Security-Policy" in response


def test_a_missing_slash_is_added_before_the_page_is_looked_up(client):
    assert client.get("/public/rules").url == "/public/rules/"
    assert client.get("/public/nothing").url == "/public/nothing/"


def test_the_pages_speak_english_when_asked(client):
    html = client.get("/public/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en"' in html and "File a complaint" in html


def test_the_staff_login_page_links_to_the_portal(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'data-testid="portal-link"' in html and 'href="/public/"' in html


# --- filing ----------------------------------------------------------------------------------


def test_the_form_files_the_complaint_and_shows_the_password_once(client, form_data):
    data = form_data(client)
    response = client.post(FORM_URL, data)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    code, password = receipt_code(response), receipt_password(response)
    access = PublicAccess.objects.get()
    assert access.code == code
    assert ps.access_verify(code=code, password=password, ip="198.51.100.1") == access
    html = response.content.decode()
    assert 'data-testid="receipt-download"' in html and "data:text/plain;charset=utf-8," in html
    assert "/public/t/" in html
    case = Case.objects.get()
    assert (case.channel, case.summary, case.content) == ("web", SUMMARY, CONTENT)
    # Sent again (a reload, a retried request): the same case, no password.
    again = client.post(FORM_URL, data)
    assert again.status_code == 200
    assert Case.objects.count() == 1
    assert receipt_code(again) == code
    again_html = again.content.decode()
    assert 'data-testid="receipt-replay"' in again_html
    assert password not in again_html and "data-password" not in again_html


def test_a_wrong_captcha_gives_the_form_back_with_everything_typed(client, form_data):
    data = form_data(client, captcha="WRONG", occurred_on="2025-03-01", place="区政务服务中心")
    with translation.override("en"):
        response = client.post(FORM_URL, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    html = response.content.decode()
    assert "The characters do not match the image." in html
    for value in (SUMMARY, CONTENT, "2025-03-01", "区政务服务中心"):
        assert value in html
    assert hidden(html, "captcha_key") != data["captcha_key"]
    assert hidden(html, "form_token") == data["form_token"]
    assert Case.objects.count() == 0


def test_files_must_be_chosen_again_and_the_form_says_so(client, form_data):
    data = form_data(client, summary="")
    data["attachments"] = SimpleUploadedFile("窗口.jpg", photo_with_location())
    response = client.post(FORM_URL, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="files-dropped"' in html
    assert 'data-testid="error-summary"' in html
    assert CONTENT in html
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"identity": "named"}, "name", "Give your name, or file anonymously."),
        (
            {"identity": "named", "name": "张三丰", "phone": "12345"},
            "phone",
            "Enter an 11-digit mobile number, or a landline number with its area code.",
        ),
        (
            {"reply_method": "phone"},
            "reply_method",
            "An anonymous complaint is answered on this portal only.",
        ),
        ({"content": "太慢"}, "content", None),
        ({"category": "999999"}, "category", None),
        ({"subject_unit": "abc"}, "subject_unit", None),
        ({"occurred_on": "2999-01-01"}, "occurred_on", "The date cannot lie in the future."),
        ({"occurred_on": "yesterday"}, "occurred_on", None),
        ({"pledge": None}, "pledge", "Confirm that what you report is true."),
        ({"summary": "x" * 101}, "summary", None),
    ],
)
def test_bad_input_gets_a_clear_message_on_its_field(client, form_data, overrides, field, message):
    data = form_data(client, **overrides)
    response = client.post(FORM_URL, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    html = response.content.decode()
    match = re.search(rf'data-testid="error-{field}">([^<]+)<', html)
    assert match, f"no error on {field}"
    if message:
        assert match.group(1) == message
    assert Case.objects.count() == 0


def test_a_bot_filling_the_hidden_field_is_refused(client, form_data):
    response = client.post(FORM_URL, form_data(client, website="http://spam.example"))
    assert response.status_code == 400
    assert Case.objects.count() == 0


def test_a_form_open_too_long_is_sent_again_with_a_new_token(client, form_data):
    data = form_data(client, form_token="tampered:token")
    response = client.post(FORM_URL, data, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "This form was open for too long." in html
    assert hidden(html, "form_token") != "tampered:token"
    assert SUMMARY in html
    assert Case.objects.count() == 0


def test_a_failed_csrf_check_keeps_what_was_typed(form_data):
    browser = Client(enforce_csrf_checks=True)
    data = form_data(browser)  # the GET sets the CSRF cookie; the POST lacks the token
    response = browser.post(FORM_URL, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    html = response.content.decode()
    assert "For your security the form could not be accepted" in html
    assert SUMMARY in html and CONTENT in html
    assert Case.objects.count() == 0
    # With the token the same browser files it.
    data["csrfmiddlewaretoken"] = browser.cookies["csrftoken"].value
    data["captcha_key"] = hidden(html, "captcha_key")
    assert browser.post(FORM_URL, data).status_code == 200
    assert Case.objects.count() == 1


def test_a_new_captcha_without_scripts_keeps_the_form(client, form_data):
    data = form_data(client, captcha="", refresh_captcha="1")
    response = client.post(FORM_URL, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="form-errors"' not in html
    assert SUMMARY in html and CONTENT in html
    assert hidden(html, "captcha_key") != data["captcha_key"]


def test_a_new_captcha_with_scripts(client, captcha_answer):
    _token, key = open_form(client)
    response = client.get("/public/captcha/", {"old": key}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="captcha-image"' in html and hidden(html, "captcha_key") != key


def test_a_file_over_the_budget_is_not_received_and_the_form_says_which(
    client, form_data, monkeypatch
):
    monkeypatch.setattr("xiaoneng.portal.http.MAX_FILE_BYTES", 1000)
    data = form_data(client)
    data["attachments"] = SimpleUploadedFile("大照片.jpg", photo_with_location() + b"\0" * 2000)
    response = client.post(FORM_URL, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    html = response.content.decode()
    assert "“大照片.jpg” was not received: a file may have at most" in html
    assert SUMMARY in html
    assert Case.objects.count() == 0


def test_the_unit_search_offers_matching_units(client, unit_a, unit_b, section_a):
    html = client.get("/public/units/", {"q": "人社"}, HTTP_HX_REQUEST="true").content.decode()
    assert unit_a.name in html and unit_b.name not in html and section_a.name not in html
    kept = client.get("/public/units/", {"q": "财政", "subject_unit": unit_a.pk}).content.decode()
    assert f'value="{unit_a.pk}" selected' in kept and unit_b.name in kept


# --- following a case ------------------------------------------------------------------------


@pytest.fixture
def filed(client, form_data):
    """A complaint filed through the form: (code, password)."""
    response = client.post(FORM_URL, form_data(client))
    return receipt_code(response), receipt_password(response)


def lookup(client, code, password):
    return client.post(
        "/public/track/", {"code": code, "password": password}, HTTP_ACCEPT_LANGUAGE="en"
    )


def test_the_code_and_password_open_the_case_page(filed):
    code, password = filed
    visitor = Client()
    assert visitor.get(f"/public/track/{code}/").url == f"/public/track/?code={code}"
    response = lookup(visitor, code.lower(), password)
    assert response.status_code == 302 and response.url == f"/public/track/{code}/"
    page = visitor.get(response.url, HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "no-store" in page["Cache-Control"]
    assert 'data-status="registered"' in html and SUMMARY in html
    assert 'data-stage="acceptance"' in html
    assert 'data-code="case.registered"' in html


def test_a_wrong_password_and_an_unknown_code_look_the_same(filed):
    code, _password = filed
    wrong = lookup(Client(), code, "AAAAAAAAAA")
    unknown = lookup(Client(), "ABCDEFGHJKMN", "AAAAAAAAAA")
    assert wrong.status_code == unknown.status_code == 400

    def message(response):
        html = response.content.decode()
        return re.search(r'data-testid="form-errors">\s*<div>([^<]+)<', html)[1]

    expected = (
        "The query code or password is wrong. Check both (they are on your receipt) and try again."
    )
    assert message(wrong) == message(unknown) == expected


def test_wrong_passwords_are_rate_limited(filed):
    code, password = filed
    visitor = Client()
    for _ in range(5):
        lookup(visitor, code, "AAAAAAAAAA")
    response = lookup(visitor, code, password)
    assert "Too many wrong attempts. Wait 15 minutes and try again." in response.content.decode()
    assert visitor.get(f"/public/track/{code}/").status_code == 302


def test_the_secret_link_opens_the_case_and_a_bad_one_says_so(client, form_data):
    html = client.post(FORM_URL, form_data(client)).content.decode()
    link = re.search(r'href="http://testserver(/public/t/[^"]+)"', html).group(1)
    visitor = Client()
    response = visitor.get(link)
    assert response.status_code == 302
    assert visitor.get(response.url).status_code == 200
    bad = Client().get("/public/t/not-a-token/", HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 404
    assert "This link is not valid." in bad.content.decode()


def test_closing_the_case_in_the_browser_ends_the_access(client, filed):
    code, password = filed
    lookup(client, code, password)
    response = client.post(f"/public/track/{code}/close/")
    assert response.status_code == 302
    assert client.get(f"/public/track/{code}/").status_code == 302


def test_the_case_page_shows_public_facts_only(
    client, filed, staff_reply, supervisor, handler_a, leader, director
):
    code, password = filed
    case = Case.objects.get()
    case = staff_reply(case, text="经查属实，已整改。")
    s.instruction_add(actor=leader, case=case, text="严肃处理相关人员")
    lookup(client, code, password)
    html = client.get(f"/public/track/{code}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "经查属实，已整改。" in html and 'data-status="callback"' in html
    assert 'data-testid="rating-form"' in html
    for secret in ("严肃处理相关人员", "查明推诿原因", "批评教育", handler_a.name, supervisor.name):
        assert secret not in html
    assert "天洲区人力资源和社会保障局" in html
    ps.portal_settings_update(actor=director, show_handler_names=True)
    shown = client.get(f"/public/track/{code}/").content.decode()
    assert handler_a.name in shown


def test_rating_the_reply_through_the_page(client, filed, staff_reply):
    code, password = filed
    staff_reply(Case.objects.get())
    lookup(client, code, password)
    response = client.post(
        f"/public/track/{code}/rating/",
        {"rating": "very_dissatisfied", "solved": "unsolved", "comment": "没有解决"},
    )
    assert response.status_code == 302
    assert PublicRating.objects.get().rating == "very_dissatisfied"
    html = client.get(f"/public/track/{code}/").content.decode()
    assert 'data-testid="rating-form"' not in html
    assert 'data-rating="very_dissatisfied"' in html
    again = client.post(
        f"/public/track/{code}/rating/", {"rating": "satisfied", "solved": "solved"}
    )
    assert again.status_code == 400
    assert PublicRating.objects.count() == 1


def test_a_rating_without_a_level_gets_a_message(client, filed, staff_reply):
    code, password = filed
    staff_reply(Case.objects.get())
    lookup(client, code, password)
    response = client.post(
        f"/public/track/{code}/rating/", {"solved": "solved"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "Choose how satisfied you are with the reply." in response.content.decode()


def test_adding_information_through_the_page(client, filed):
    code, password = filed
    lookup(client, code, password)
    response = client.post(
        f"/public/track/{code}/information/",
        {"text": "窗口工号 A07", "attachments": SimpleUploadedFile("a.jpg", photo_with_location())},
    )
    assert response.status_code == 302
    assert CaseEvent.objects.get(code="case.supplemented").data["text"] == "窗口工号 A07"
    assert Attachment.objects.count() == 1
    html = client.get(f"/public/track/{code}/").content.decode()
    assert "窗口工号 A07" in html
    empty = client.post(f"/public/track/{code}/information/", {"text": " "})
    assert empty.status_code == 400


def test_actions_on_a_case_not_open_in_the_browser_go_to_the_lookup(filed):
    code, _password = filed
    visitor = Client()
    for path in ("rating/", "information/"):
        response = visitor.post(f"/public/track/{code}/{path}", {"text": "x"})
        assert response.status_code == 302 and response.url.startswith("/public/track/?code=")
    assert not CaseEvent.objects.filter(code="case.supplemented").exists()


# --- public information ----------------------------------------------------------------------


def test_the_rules_show_the_limits_the_system_applies(client, director, category):
    s.time_limit_set(actor=director, stage="acceptance", amount=2, unit="working_days")
    s.time_limit_set(
        actor=director, stage="handling", amount=15, unit="working_days", category=category
    )
    html = client.get("/public/rules/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = re.search(r'<tr data-stage="acceptance">(.*?)</tr>', html, re.S).group(1)
    assert row.count("2 working days") == 3
    handling = re.search(r'<tr data-stage="handling">(.*?)</tr>', html, re.S).group(1)
    assert handling.count("30 working days") == 3
    exceptions = re.search(r'data-testid="rules-exceptions">(.*?)</ul>', html, re.S).group(1)
    assert exceptions.count("15 working days") == 3 and "推诿扯皮" in exceptions
    assert "60 working days" in html


def test_only_bulletins_published_on_the_portal_are_shown(client, director):
    now = timezone.now()

    def bulletin(title, seq, visibility, status="published"):
        return Bulletin.objects.create(
            title=title,
            body="第一段。\n\n第二段。",
            status=status,
            visibility=visibility,
            year=2025,
            seq=seq,
            number=f"效能通报〔2025〕第{seq}期",
            drafted_by=director,
            drafted_at=now,
            published_at=now if status == "published" else None,
        )

    bulletin("公开通报", 1, "public")
    bulletin("内部通报", 2, "internal")
    bulletin("待发布通报", 3, "public", status="approved")
    html = client.get("/public/bulletins/").content.decode()
    assert "公开通报" in html and "内部通报" not in html and "待发布通报" not in html
    detail = client.get("/public/bulletins/2025/1/")
    assert detail.status_code == 200 and "<p>第二段。</p>" in detail.content.decode()
    assert client.get("/public/bulletins/2025/2/").status_code == 404
    assert client.get("/public/bulletins/2025/3/").status_code == 404


def test_the_statistics_count_per_unit_without_any_case_detail(
    client, file_complaint, staff_reply, clock, unit_a
):
    clock.now = datetime(timezone.localdate().year - 1, 6, 2, 8, tzinfo=TZ)
    case = staff_reply(file_complaint().case)
    file_complaint()  # registered, not yet dispatched: no handling unit
    html = client.get("/public/statistics/", {"period": "last_year"}).content.decode()
    row = re.search(rf'<tr data-unit="{unit_a.pk}">(.*?)</tr>', html, re.S).group(1)
    figures = {
        name: " ".join(re.sub(r"<[^>]+>", " ", cell).split())
        for name, cell in re.findall(r'data-figure="(\w+)">(.*?)</td>', row, re.S)
    }
    assert figures == {
        "received": "1",
        "concluded": "1",
        "on_time": "100.0% (1/1)",
        "satisfaction": "—",
    }
    total = re.search(r'<tr class="fw-semibold" data-unit="total">(.*?)</tr>', html, re.S).group(1)
    assert re.search(r'data-figure="received">2<', total)
    assert SUMMARY not in html and case.number not in html


def test_the_contact_page_shows_the_offices_channels(client, director):
    ps.portal_settings_update(
        actor=director,
        hotline="0571-12345",
        address="天洲区行政中心 3 楼",
        address_en="3/F, Tianzhou Administrative Centre",
    )
    assert "天洲区行政中心 3 楼" in client.get("/public/contact/").content.decode()
    english = client.get("/public/contact/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "3/F, Tianzhou Administrative Centre" in english and 'href="tel:057112345"' in english


# --- the office's screens --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [(None, 302), ("handler_a", 404), ("leader", 404), ("sysadmin", 404), ("clerk", 200)],
)
def test_the_blocklist_screen_is_for_the_office(client, request, persona, status):
    if persona:
        client.force_login(request.getfixturevalue(persona))
    assert client.get("/public/manage/blocklist/").status_code == status
    response = client.post(
        "/public/manage/blocklist/",
        {"kind": BlockKind.IP, "value": "203.0.113.7", "reason": "刷单"},
    )
    if status == 200:
        assert response.status_code == 302
        assert list(BlockRule.objects.values_list("value", flat=True)) == ["203.0.113.7"]
    else:
        assert response.status_code == status
        assert not BlockRule.objects.exists()


def test_the_office_lifts_a_rule_on_its_screen(client, supervisor, clerk):
    rule = ps.block_create(actor=clerk, kind=BlockKind.KEYWORD, value="代写", reason="代写投诉")
    client.force_login(supervisor)
    assert "代写投诉" in client.get("/public/manage/blocklist/").content.decode()
    assert client.post(f"/public/manage/blocklist/{rule.pk}/lift/").status_code == 302
    rule.refresh_from_db()
    assert rule.lifted_by == supervisor
    assert "代写投诉" not in client.get("/public/manage/blocklist/").content.decode()
    assert "代写投诉" in client.get("/public/manage/blocklist/?all=1").content.decode()


def test_a_bad_rule_comes_back_with_a_message(client, clerk):
    client.force_login(clerk)
    response = client.post(
        "/public/manage/blocklist/",
        {"kind": BlockKind.IP, "value": "no address", "reason": "x"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "Enter an IP address" in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "status"),
    [(None, 302), ("clerk", 404), ("supervisor", 404), ("handler_a", 404), ("director", 200)],
)
def test_the_portal_settings_are_for_the_director(client, request, persona, status):
    if persona:
        client.force_login(request.getfixturevalue(persona))
    assert client.get("/public/manage/settings/").status_code == status
    response = client.post(
        "/public/manage/settings/", {"hotline": "12345", "version": "1", "show_handler_names": "on"}
    )
    settings = PortalSettings.objects.first()
    if status == 200:
        assert response.status_code == 302
        assert (settings.hotline, settings.show_handler_names) == ("12345", True)
    else:
        assert response.status_code == status
        assert settings is None or settings.hotline == ""


def test_a_stale_settings_form_conflicts(client, director):
    client.force_login(director)
    ps.portal_settings_update(actor=director, hotline="110")
    response = client.post("/public/manage/settings/", {"hotline": "12345", "version": "1"})
    assert response.status_code == 400
    assert PortalSettings.objects.get().hotline == "110"


def test_the_staff_menu_offers_the_portal_screens_by_role(client, clerk, director):
    client.force_login(clerk)
    html = client.get("/").content.decode()
    assert "/public/manage/blocklist/" in html and "/public/manage/settings/" not in html
    client.force_login(director)
    html = client.get("/").content.decode()
    assert "/public/manage/blocklist/" in html and "/public/manage/settings/" in html


def test_the_office_sees_what_the_complainant_did_on_the_portal(
    client, filed, staff_reply, clerk, form_data
):
    code, password = filed
    case = staff_reply(Case.objects.get())
    lookup(client, code, password)
    client.post(
        f"/public/track/{code}/information/",
        {
            "text": "补充：窗口工号 A07",
            "attachments": SimpleUploadedFile("a.jpg", photo_with_location()),
        },
    )
    client.post(
        f"/public/track/{code}/rating/", {"rating": "very_dissatisfied", "solved": "unsolved"}
    )
    office = Client()
    office.force_login(clerk)
    queue = office.get("/cases/queues/", {"queue": "to_accept"}).content.decode()
    assert case.number not in queue  # accepted by now; a new web case waits there:
    filed_again = Client()
    number = receipt_code(filed_again.post(FORM_URL, form_data(filed_again)))
    new_case = PublicAccess.objects.get(code=number).case
    queue = office.get("/cases/queues/", {"queue": "to_accept"}).content.decode()
    assert new_case.number in queue
    with translation.override("en"):
        html = office.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The complainant added information on the portal" in html
    assert "补充：窗口工号 A07" in html
    assert "The complainant rated the reply on the portal" in html
    assert "Very dissatisfied" in html
    assert "投诉人（门户网站）" in html


# --- a lost receipt --------------------------------------------------------------------------


def test_the_office_issues_a_new_password_for_a_lost_receipt(client, file_complaint, clerk, clock):
    from xiaoneng.audit.models import AuditEntry

    filing = file_complaint()
    for index in range(5):  # the complainant tried and locked the code
        with pytest.raises(ps.AccessDenied):
            ps.access_verify(
                code=filing.code, password="WRONGWRONG", ip=f"198.51.100.{index}", now=clock.now
            )
    client.force_login(clerk)
    case_page = client.get(f"/cases/{filing.case.pk}/").content.decode()
    url = f"/public/manage/cases/{filing.case.pk}/access/"
    assert url in case_page
    ask = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert b"The query code stays the same" in ask.content
    assert PublicAccess.objects.get().password_hash == filing.case.public_access.password_hash

    response = client.post(url, HTTP_ACCEPT_LANGUAGE="en")
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    password = re.search(r'data-testid="reissued-password">(\w+)<', page).group(1)
    token = re.search(r"/public/t/([\w-]+)/", page).group(1)
    assert filing.code in page and password != filing.password

    # The old password and link no longer open the case; the new ones do, at once.
    with pytest.raises(ps.AccessDenied):
        ps.access_verify(code=filing.code, password=filing.password, ip="192.0.2.1")
    with pytest.raises(ps.AccessDenied):
        ps.access_by_token(token=filing.token, ip="192.0.2.1")
    assert ps.access_verify(code=filing.code, password=password, ip="192.0.2.1").case == (
        filing.case
    )
    assert ps.access_by_token(token=token, ip="192.0.2.1").case == filing.case
    entry = AuditEntry.objects.get(action="portal.access.reissue")
    assert entry.actor == clerk
    assert password not in str(entry.data) and token not in str(entry.data)


@pytest.mark.parametrize("persona", ["handler_a", "leader", "sysadmin"])
def test_only_the_office_issues_a_new_password(client, request, file_complaint, persona):
    filing = file_complaint()
    before = PublicAccess.objects.get().password_hash
    client.force_login(request.getfixturevalue(persona))
    url = f"/public/manage/cases/{filing.case.pk}/access/"
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert PublicAccess.objects.get().password_hash == before


def test_a_case_not_filed_on_the_portal_has_no_password_to_reissue(client, clerk, category):
    case = s.case_register(
        actor=clerk,
        channel="phone",
        category=category,
        summary="电话投诉",
        content="内容",
        complainant=s.ComplainantData(anonymous=True),
    )
    client.force_login(clerk)
    url = f"/public/manage/cases/{case.pk}/access/"
    assert url not in client.get(f"/cases/{case.pk}/").content.decode()
    response = client.post(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert b"This case was not filed on the public portal" in response.content
    assert not PublicAccess.objects.exists()
