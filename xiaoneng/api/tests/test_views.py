"""The staff screens of API access and the interactive documentation: who may open them,
and what they do."""

from __future__ import annotations

import pytest
from django.test import Client

from xiaoneng.api.models import ApiToken, ServiceAccount
from xiaoneng.api.services import service_account_create, token_create
from xiaoneng.audit.models import AuditEntry
from xiaoneng.org.choices import Role

pytestmark = pytest.mark.django_db

PERSONAS = [
    "clerk",
    "supervisor",
    "director",
    "leader",
    "liaison_a",
    "handler_a",
    "unit_head_a",
    "handler_b",
    "inspector",
    "sysadmin",
    "secadmin",
    "auditadmin",
]


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def hotline(sysadmin, office):
    return service_account_create(
        actor=sysadmin, username="hotline", name="12345热线", unit=office, roles=[Role.INTAKE_CLERK]
    )


@pytest.mark.parametrize(
    "url",
    ["/api/tokens/", "/api/tokens/all/", "/api/service-accounts/", "/api/v1/docs"],
)
def test_anonymous_visitors_are_sent_to_sign_in(db, url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_staff_role_manages_its_own_personal_tokens(request, persona):
    user = request.getfixturevalue(persona)
    client = _signed_in(user)
    page = client.get("/api/tokens/")
    assert page.status_code == 200
    assert 'data-testid="token-form"' in page.content.decode()
    response = client.post("/api/tokens/", {"name": "我的脚本", "expires_in_days": "30"})
    assert response.status_code == 302
    token = ApiToken.objects.get(user=user)
    shown = client.get("/api/tokens/").content.decode()
    secret = shown.split('id="new-token-value" value="')[1].split('"')[0]
    assert secret.startswith(token.prefix)
    assert token.digest != secret
    # Shown once: the next visit no longer has it.
    assert secret not in client.get("/api/tokens/").content.decode()


def test_a_token_form_with_errors_comes_back(handler_a):
    response = _signed_in(handler_a).post("/api/tokens/", {"name": "", "expires_in_days": "7"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "expires_in_days"}
    assert not ApiToken.objects.exists()


def test_a_person_revokes_their_own_token_but_not_another_persons(handler_a, handler_b):
    mine, _ = token_create(actor=handler_a, name="mine", expires_in_days=30)
    theirs, _ = token_create(actor=handler_b, name="theirs", expires_in_days=30)
    client = _signed_in(handler_a)
    assert client.post(f"/api/tokens/{theirs.pk}/revoke/").status_code == 404
    response = client.post(f"/api/tokens/{mine.pk}/revoke/", {"next": "https://evil.example/"})
    assert response["Location"] == "/api/tokens/"
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_by == handler_a and theirs.revoked_at is None
    assert client.get(f"/api/tokens/{mine.pk}/revoke/").status_code == 405


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "sysadmin"])
def test_only_the_system_administrator_opens_the_service_accounts(request, persona, hotline):
    client = _signed_in(request.getfixturevalue(persona))
    assert client.get("/api/service-accounts/").status_code == 404
    assert client.get(f"/api/service-accounts/{hotline.pk}/").status_code == 404
    response = client.post(f"/api/service-accounts/{hotline.pk}/active/", {"active": "0"})
    assert response.status_code == 404
    hotline.user.refresh_from_db()
    assert hotline.user.is_active


def test_the_system_administrator_creates_an_account_and_its_token(sysadmin, unit_a):
    client = _signed_in(sysadmin)
    response = client.post(
        "/api/service-accounts/",
        {
            "username": "rsj-business",
            "name": "人社局业务系统",
            "unit": str(unit_a.pk),
            "roles": [Role.UNIT_LIAISON, Role.HANDLER],
            "description": "人社局办件系统",
        },
    )
    account = ServiceAccount.objects.get()
    assert response["Location"] == f"/api/service-accounts/{account.pk}/"
    assert account.user.roles == {"unit_liaison", "handler"}
    response = client.post(
        f"/api/service-accounts/{account.pk}/", {"name": "办件同步", "expires_in_days": "never"}
    )
    assert response.status_code == 302
    token = ApiToken.objects.get()
    assert (token.kind, token.user, token.expires_at) == ("system", account.user, None)
    page = client.get(f"/api/service-accounts/{account.pk}/").content.decode()
    assert 'data-testid="new-token-value"' in page
    client.post(f"/api/service-accounts/{account.pk}/active/", {"active": "0"})
    account.user.refresh_from_db()
    assert not account.user.is_active


def test_an_administrator_role_cannot_be_given_to_a_service_account(sysadmin, office):
    response = _signed_in(sysadmin).post(
        "/api/service-accounts/",
        {"username": "x", "name": "x", "unit": str(office.pk), "roles": [Role.AUDIT_ADMIN]},
    )
    assert response.status_code == 200
    assert "roles" in response.context["form"].errors
    assert not ServiceAccount.objects.exists()


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "secadmin"])
def test_only_the_security_administrator_sees_every_token(request, persona):
    assert _signed_in(request.getfixturevalue(persona)).get("/api/tokens/all/").status_code == 404


def test_the_security_administrator_finds_and_revokes_a_leaked_token(secadmin, clerk, handler_a):
    leaked, _ = token_create(actor=clerk, name="泄露的脚本", expires_in_days=30)
    token_create(actor=handler_a, name="其他", expires_in_days=30)
    client = _signed_in(secadmin)
    page = client.get("/api/tokens/all/", {"q": "泄露"}).content.decode()
    assert page.count('data-testid="token-row"') == 1
    assert leaked.prefix in page
    response = client.post(
        f"/api/tokens/{leaked.pk}/revoke/", {"next": "/api/tokens/all/?q=%E6%B3%84%E9%9C%B2"}
    )
    assert response["Location"] == "/api/tokens/all/?q=%E6%B3%84%E9%9C%B2"
    leaked.refresh_from_db()
    assert leaked.revoked_by == secadmin
    assert AuditEntry.objects.filter(action="api.token.revoke", actor=secadmin).count() == 1


def test_signed_in_staff_read_the_interactive_documentation(handler_a):
    client = _signed_in(handler_a)
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="swagger-ui"' in html
    assert "/api/docs-assets/swagger-ui-bundle.js" in html
    assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "Xiaoneng API"
    asset = client.get("/api/docs-assets/swagger-ui.css")
    assert asset.status_code == 200 and asset["Content-Type"] == "text/css"
    assert client.get("/api/docs-assets/swagger-ui.css.map").status_code == 404
    assert Client().get("/api/docs-assets/swagger-ui.css").status_code == 302


def test_the_menu_shows_api_tokens_to_everyone_and_service_accounts_to_the_sysadmin(
    handler_a, sysadmin
):
    from xiaoneng.core.navigation import nav_for

    assert [i["url"] for i in nav_for(handler_a) if i["url"].startswith("/api/")] == [
        "/api/tokens/"
    ]
    assert [i["url"] for i in nav_for(sysadmin) if i["url"].startswith("/api/")] == [
        "/api/service-accounts/",
        "/api/tokens/",
    ]
