"""Tokens and service accounts: created with their secret shown once and stored hashed,
revoked by whom the rules allow, audited; a system token acts as its service account."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.utils import timezone

from xiaoneng.api.choices import TokenKind
from xiaoneng.api.models import ApiToken, ServiceAccount
from xiaoneng.api.services import (
    MAX_ACTIVE_TOKENS,
    TokenActionDenied,
    service_account_create,
    service_account_set_active,
    token_create,
    token_revoke,
)
from xiaoneng.audit.models import AuditEntry
from xiaoneng.cases.models import Case
from xiaoneng.org.choices import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def hotline(sysadmin, office):
    return service_account_create(
        actor=sysadmin,
        username="hotline-12345",
        name="12345热线平台",
        unit=office,
        roles=[Role.INTAKE_CLERK],
        description="市民热线转办接口",
    )


def test_a_personal_token_is_stored_hashed_and_audited(clerk):
    now = timezone.now()
    token, secret = token_create(actor=clerk, name="报表脚本", expires_in_days=90, now=now)
    assert secret.startswith("xn_") and len(secret) == 46
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {token.digest, token.prefix, token.name}
    assert token.prefix == secret[:10]
    assert (token.kind, token.user, token.created_by) == (TokenKind.PERSONAL, clerk, clerk)
    assert token.expires_at == now + timedelta(days=90)
    entry = AuditEntry.objects.get(action="api.token.create")
    assert entry.actor == clerk
    assert entry.data == {
        "kind": "personal",
        "prefix": token.prefix,
        "name": "报表脚本",
        "acts_as": "clerk",
        "expires_at": entry.data["expires_at"],
    }
    assert secret not in str(entry.data)


@pytest.mark.parametrize("days", [None, 0, 7, 1000])
def test_a_personal_token_must_expire_within_a_year(clerk, days):
    with pytest.raises(ValidationError) as error:
        token_create(actor=clerk, name="x", expires_in_days=days)
    assert list(error.value.error_dict) == ["expires_in_days"]
    assert not ApiToken.objects.exists()


def test_an_account_holds_a_limited_number_of_valid_tokens(clerk, secadmin):
    tokens = [token_create(actor=clerk, name=f"t{i}", expires_in_days=30)[0] for i in range(10)]
    assert len(tokens) == MAX_ACTIVE_TOKENS
    with pytest.raises(ValidationError) as error:
        token_create(actor=clerk, name="one too many", expires_in_days=30)
    assert error.value.code == "too_many_tokens"
    token_revoke(actor=clerk, token=tokens[0])
    token_create(actor=clerk, name="in its place", expires_in_days=30)


def test_who_may_revoke_which_token(clerk, supervisor, sysadmin, secadmin, hotline):
    personal, _ = token_create(actor=clerk, name="mine", expires_in_days=30)
    system, _ = token_create(
        actor=sysadmin, name="bridge", expires_in_days=None, service_account=hotline
    )
    assert system.expires_at is None
    for actor, token in ((supervisor, personal), (sysadmin, personal), (clerk, system)):
        with pytest.raises(TokenActionDenied):
            token_revoke(actor=actor, token=token)
    token_revoke(actor=clerk, token=personal)
    token_revoke(actor=sysadmin, token=system)
    personal.refresh_from_db()
    assert personal.revoked_by == clerk
    with pytest.raises(ValidationError):
        token_revoke(actor=secadmin, token=personal)
    assert AuditEntry.objects.filter(action="api.token.revoke").count() == 2


def test_the_security_administrator_revokes_any_token(secadmin, clerk, sysadmin, hotline):
    personal, _ = token_create(actor=clerk, name="mine", expires_in_days=30)
    system, _ = token_create(actor=sysadmin, name="b", expires_in_days=365, service_account=hotline)
    token_revoke(actor=secadmin, token=personal)
    token_revoke(actor=secadmin, token=system)
    assert ApiToken.objects.filter(revoked_by=secadmin).count() == 2


def test_a_service_account_has_roles_but_no_password(hotline, office, password):
    user = hotline.user
    assert (user.username, user.unit, user.roles) == ("hotline-12345", office, {"intake_clerk"})
    assert not user.has_usable_password()
    assert authenticate(username="hotline-12345", password=password) is None
    assert AuditEntry.objects.filter(action="api.service_account.create").count() == 1
    assert AuditEntry.objects.filter(action="org.user.create").count() == 1


@pytest.mark.parametrize(
    ("roles", "field"), [([], "roles"), ([Role.INTAKE_CLERK, Role.AUDIT_ADMIN], "roles")]
)
def test_a_service_account_holds_business_roles_only(sysadmin, office, roles, field):
    with pytest.raises(ValidationError) as error:
        service_account_create(actor=sysadmin, username="x", name="x", unit=office, roles=roles)
    assert list(error.value.error_dict) == [field]
    assert not ServiceAccount.objects.exists()


@pytest.mark.parametrize("persona", ["clerk", "secadmin", "director"])
def test_only_the_system_administrator_manages_service_accounts(request, persona, office, hotline):
    actor = request.getfixturevalue(persona)
    with pytest.raises(TokenActionDenied):
        service_account_create(
            actor=actor, username="y", name="y", unit=office, roles=[Role.LEADER]
        )
    with pytest.raises(TokenActionDenied):
        token_create(actor=actor, name="t", expires_in_days=365, service_account=hotline)
    with pytest.raises(TokenActionDenied):
        service_account_set_active(actor=actor, account=hotline, active=False)


def test_a_system_token_acts_as_its_service_account(as_user, sysadmin, hotline, api, unit_a):
    _token, secret = token_create(
        actor=sysadmin, name="热线对接", expires_in_days=365, service_account=hotline
    )
    me = api.get("/me", token=secret).json()
    assert (me["username"], me["service_account"], me["token"]["kind"]) == (
        "hotline-12345",
        True,
        "system",
    )
    response = api.post(
        "/cases",
        {
            "category": "TWCP",
            "summary": "热线转来的投诉",
            "content": "市民来电反映窗口推诿。",
            "complainant": {"name": "王五", "phone": "13900000000"},
        },
        token=secret,
    )
    assert response.status_code == 201
    assert Case.objects.get().registered_by == hotline.user
    # Deactivated, its tokens stop working; reactivated, they work again.
    service_account_set_active(actor=sysadmin, account=hotline, active=False)
    assert api.get("/me", token=secret).json()["code"] == "account_inactive"
    service_account_set_active(actor=sysadmin, account=hotline, active=True)
    assert api.get("/me", token=secret).status_code == 200


def test_a_service_account_cannot_make_itself_a_token(hotline):
    with pytest.raises(TokenActionDenied):
        token_create(actor=hotline.user, name="self", expires_in_days=30)


def test_expired_bookkeeping_is_purged(clerk):
    from django.core.management import call_command

    from xiaoneng.api.models import IdempotencyRecord, RateWindow
    from xiaoneng.api.services import idempotency_reserve, rate_limit_hit

    token, _secret = token_create(actor=clerk, name="t", expires_in_days=30)
    now = timezone.now()
    for key, at in (("new", now), ("old", now - timedelta(days=2))):
        idempotency_reserve(token=token, key=key, fingerprint="f", method="POST", path="/", now=at)
    assert IdempotencyRecord.objects.count() == 2
    rate_limit_hit(token=token, now=now - timedelta(minutes=5))
    RateWindow.objects.create(token=token, window=now, count=1)
    call_command("api_purge")
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    assert RateWindow.objects.count() == 1
