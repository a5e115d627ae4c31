"""The staff screens: the office director sets the interface up, the system administrator
issues and revokes keys; everyone else gets a 404."""

from __future__ import annotations

import re

import pytest

from xiaoneng.audit.models import AuditEntry
from xiaoneng.cases.models import Category
from xiaoneng.open311.models import ApiClient, Open311Settings, Service
from xiaoneng.open311.selectors import client_authenticate, settings_get

pytestmark = pytest.mark.django_db

SETTINGS_FORM = {
    "jurisdiction_id": "tianzhou.gov.cn",
    "accepting_requests": "on",
    "requests_public": "on",
    "contact": "xnb@tianzhou.gov.cn",
    "key_service": "向区效能办申请",
    "endpoint_url": "https://xiaoneng.tianzhou.gov.cn/open311/v2",
    "endpoint_type": "production",
    "rate_limit_key": "100",
    "rate_limit_ip": "30",
}


def _service_form(**changes):
    return {
        "service_code": "TWCP-1",
        "category": Category.objects.get(code="TWCP").pk,
        "service_name": "推诿扯皮",
        "description": "办事时被几个部门来回推",
        "type": "realtime",
        "keywords": "推诿, 扯皮",
        "group": "效能投诉",
        "service_notice": "3个工作日内决定是否受理",
        "order": "1",
        "is_active": "on",
    } | changes


def _posts(service_pk=0, client_pk=0):
    return [
        ("/open311/v2/manage/settings/", SETTINGS_FORM),
        ("/open311/v2/manage/services/new/", _service_form()),
        (f"/open311/v2/manage/services/{service_pk}/attributes/", {"code": "Q"}),
        ("/open311/v2/manage/clients/new/", {"name": "x"}),
        (f"/open311/v2/manage/clients/{client_pk}/revoke/", {}),
        (f"/open311/v2/manage/clients/{client_pk}/rotate-key/", {}),
    ]


@pytest.mark.parametrize(
    "persona", ["clerk", "supervisor", "leader", "handler_a", "secadmin", "auditadmin"]
)
def test_other_roles_get_404_and_change_nothing(client, request, persona, cans, hotline):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/open311/v2/manage/").status_code == 404
    before = AuditEntry.objects.count()
    for url, data in _posts(cans.pk, hotline.client.pk):
        assert client.post(url, data).status_code == 404, url
    assert AuditEntry.objects.count() == before
    assert client_authenticate(key=hotline.key) == hotline.client


def test_anonymous_is_sent_to_login(client, db):
    response = client.get("/open311/v2/manage/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = client.post("/open311/v2/manage/clients/new/", {"name": "x"})
    assert response.status_code == 302 and not ApiClient.objects.exists()


def test_the_director_configures_but_does_not_issue_keys(client, director, cans, hotline):
    client.force_login(director)
    page = client.get("/open311/v2/manage/").content.decode()
    assert 'href="/open311/v2/manage/settings/"' in page
    assert "12345热线" in page and "/manage/clients/new/" not in page
    assert client.get("/open311/v2/manage/clients/new/").status_code == 404
    assert client.post(f"/open311/v2/manage/clients/{hotline.client.pk}/revoke/").status_code == 404


def test_the_system_administrator_issues_keys_but_does_not_configure(client, sysadmin, cans):
    client.force_login(sysadmin)
    page = client.get("/open311/v2/manage/").content.decode()
    assert "/manage/clients/new/" in page and "/manage/settings/" not in page
    assert client.get("/open311/v2/manage/settings/").status_code == 404
    assert client.get(f"/open311/v2/manage/services/{cans.pk}/").status_code == 404


def test_the_menu_shows_the_screen_to_the_two_roles(client, director, sysadmin, clerk):
    for user, shown in ((director, True), (sysadmin, True), (clerk, False)):
        client.force_login(user)
        home = client.get("/").content.decode()
        assert ('href="/open311/v2/manage/"' in home) is shown


def test_the_director_saves_the_settings_and_a_stale_form_is_refused(client, director):
    client.force_login(director)
    assert client.get("/open311/v2/manage/settings/").status_code == 200
    response = client.post("/open311/v2/manage/settings/", {**SETTINGS_FORM, "version": 1})
    assert response.status_code == 302
    current = settings_get()
    assert (current.jurisdiction_id, current.rate_limit_ip, current.version) == (
        "tianzhou.gov.cn",
        30,
        2,
    )
    stale = client.post(
        "/open311/v2/manage/settings/", {**SETTINGS_FORM, "rate_limit_ip": "5", "version": 1}
    )
    assert stale.status_code == 400 and 'data-testid="form-errors"' in stale.content.decode()
    bad = client.post(
        "/open311/v2/manage/settings/", {**SETTINGS_FORM, "rate_limit_ip": "0", "version": 2}
    )
    assert bad.status_code == 400
    assert Open311Settings.objects.get().rate_limit_ip == 30


def test_the_director_adds_a_service_and_its_questions(client, director):
    client.force_login(director)
    assert client.get("/open311/v2/manage/services/new/").status_code == 200
    response = client.post("/open311/v2/manage/services/new/", _service_form())
    service = Service.objects.get()
    assert response["Location"] == f"/open311/v2/manage/services/{service.pk}/"
    duplicate = client.post(
        "/open311/v2/manage/services/new/", _service_form(service_code="twcp-1")
    )
    assert duplicate.status_code == 400 and Service.objects.count() == 1

    url = f"/open311/v2/manage/services/{service.pk}/attributes/"
    question = {
        "code": "WINDOW",
        "description": "哪个窗口？",
        "order": "1",
        "datatype": "singlevaluelist",
        "variable": "on",
        "required": "on",
        "values": "1=一号窗口\n2=二号窗口\n",
    }
    assert client.post(url, question).status_code == 302
    attribute = service.attributes.get()
    assert attribute.values == [{"key": "1", "name": "一号窗口"}, {"key": "2", "name": "二号窗口"}]
    twice = client.post(url, {**question, "code": "W2", "order": "2", "values": "1=a\n1=b"})
    assert twice.status_code == 400
    empty = client.post(url, {**question, "code": "W2", "order": "2", "values": ""})
    assert empty.status_code == 400 and service.attributes.count() == 1

    edit = f"/open311/v2/manage/services/{service.pk}/attributes/{attribute.pk}/"
    assert client.get(edit).status_code == 200
    assert client.post(edit, {**question, "description": "哪个窗口办的？"}).status_code == 302
    attribute.refresh_from_db()
    assert attribute.description == "哪个窗口办的？"

    page = client.get(f"/open311/v2/manage/services/{service.pk}/")
    assert "哪个窗口办的？" in page.content.decode()
    changed = client.post(
        f"/open311/v2/manage/services/{service.pk}/",
        _service_form(service_name="推诿扯皮、来回踢皮球", version=service.version),
    )
    assert changed.status_code == 302
    service.refresh_from_db()
    assert (service.service_code, service.service_name) == ("TWCP-1", "推诿扯皮、来回踢皮球")

    assert client.post(edit + "delete/").status_code == 302
    assert not service.attributes.exists()


def test_a_stale_service_form_is_refused(client, director, cans):
    client.force_login(director)
    response = client.post(
        f"/open311/v2/manage/services/{cans.pk}/",
        _service_form(service_code="001", version=cans.version - 1),
    )
    assert response.status_code == 400
    assert 'data-testid="form-errors"' in response.content.decode()


def test_the_system_administrator_registers_a_client_and_sees_the_key_once(
    client, sysadmin, office, clerk
):
    client.force_login(sysadmin)
    form = client.get("/open311/v2/manage/clients/new/")
    assert f'<option value="{office.pk}" selected>' in form.content.decode()
    response = client.post(
        "/open311/v2/manage/clients/new/",
        {"name": "12345热线", "contact": "市热线办 王工", "unit": office.pk},
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = re.search(r'value="(o311_[^"]+)"', response.content.decode())[1]
    new = ApiClient.objects.get()
    assert client_authenticate(key=key) == new
    overview = client.get("/open311/v2/manage/").content.decode()
    assert key not in overview and new.key_prefix in overview

    rotated = client.post(f"/open311/v2/manage/clients/{new.pk}/rotate-key/")
    new_key = re.search(r'value="(o311_[^"]+)"', rotated.content.decode())[1]
    assert client_authenticate(key=key) is None
    assert client_authenticate(key=new_key) == new

    assert client.post(f"/open311/v2/manage/clients/{new.pk}/revoke/").status_code == 302
    assert client_authenticate(key=new_key) is None
    again = client.post(f"/open311/v2/manage/clients/{new.pk}/revoke/", follow=True)
    assert again.status_code == 200
    assert AuditEntry.objects.filter(action="open311.client.revoke").count() == 1


def test_a_duplicate_client_name_is_refused(client, sysadmin, office, hotline):
    client.force_login(sysadmin)
    response = client.post(
        "/open311/v2/manage/clients/new/", {"name": "12345热线", "unit": office.pk}
    )
    assert response.status_code == 400
    assert ApiClient.objects.count() == 1


def test_unknown_records_are_404(client, director, sysadmin, cans):
    client.force_login(director)
    assert client.get("/open311/v2/manage/services/999/").status_code == 404
    assert client.get(f"/open311/v2/manage/services/{cans.pk}/attributes/999/").status_code == 404
    client.force_login(sysadmin)
    assert client.post("/open311/v2/manage/clients/999/revoke/").status_code == 404
    assert client.post("/open311/v2/manage/clients/999/rotate-key/").status_code == 404
