"""The Open311 services: who may change the configuration and the clients, what they
validate, and the audit rows they leave."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from xiaoneng.audit.models import AuditEntry
from xiaoneng.cases.choices import Channel
from xiaoneng.cases.models import Case, Category
from xiaoneng.cases.services import CaseActionDenied, ComplainantData, case_register
from xiaoneng.open311 import services as o311
from xiaoneng.open311.models import ApiClient, Service
from xiaoneng.open311.selectors import client_authenticate, key_hash, receiving_unit_default
from xiaoneng.org.services import ConflictError

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona", ["clerk", "supervisor", "leader", "handler_a", "sysadmin"])
def test_only_the_director_configures(request, persona, director):
    actor = request.getfixturevalue(persona)
    category = Category.objects.get(code="SNB")
    with pytest.raises(o311.Open311Denied):
        o311.settings_update(actor=actor, jurisdiction_id="x.gov")
    with pytest.raises(o311.Open311Denied):
        o311.service_create(actor=actor, service_code="A", category=category, service_name="A")
    assert not Service.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="open311.").exists()


@pytest.mark.parametrize("persona", ["clerk", "director", "secadmin", "auditadmin"])
def test_only_the_system_administrator_issues_keys(request, persona, office):
    with pytest.raises(o311.Open311Denied):
        o311.client_create(actor=request.getfixturevalue(persona), name="12345热线", unit=office)
    assert not ApiClient.objects.exists()


def test_settings_are_versioned_and_audited(director):
    saved = o311.settings_update(actor=director, jurisdiction_id=" city.gov ", rate_limit_ip=30)
    assert (saved.jurisdiction_id, saved.rate_limit_ip, saved.version) == ("city.gov", 30, 2)
    with pytest.raises(ConflictError):
        o311.settings_update(actor=director, version=1, rate_limit_ip=10)
    with pytest.raises(ValidationError) as raised:
        o311.settings_update(actor=director, rate_limit_key=0)
    assert "rate_limit_key" in raised.value.error_dict
    row = AuditEntry.objects.get(action="open311.settings.update")
    assert row.data == {
        "changes": {"jurisdiction_id": ["", "city.gov"], "rate_limit_ip": ["60", "30"]}
    }


def test_service_codes_are_unique_ignoring_case_and_well_formed(director, cans):
    category = Category.objects.get(code="FWTD")
    with pytest.raises(ValidationError) as raised:
        o311.service_create(actor=director, service_code="001", category=category, service_name="x")
    assert list(raised.value.error_dict) == ["service_code"]
    with pytest.raises(ValidationError) as raised:
        o311.service_create(actor=director, service_code="a b", category=category, service_name="x")
    assert list(raised.value.error_dict) == ["service_code"]


def test_a_service_of_a_retired_category_cannot_be_offered(director):
    category = Category.objects.get(code="QT")
    Category.objects.filter(pk=category.pk).update(is_active=False)
    category.refresh_from_db()
    with pytest.raises(ValidationError) as raised:
        o311.service_create(actor=director, service_code="QT", category=category, service_name="x")
    assert list(raised.value.error_dict) == ["category"]
    hidden = o311.service_create(
        actor=director, service_code="QT", category=category, service_name="x", is_active=False
    )
    assert hidden.is_active is False


def test_service_changes_are_audited_with_the_differences(director, cans):
    o311.service_update(actor=director, service=cans, version=cans.version, type="batch")
    row = AuditEntry.objects.filter(action="open311.service.update").get()
    assert row.data == {"service_code": "001", "changes": {"type": ["realtime", "batch"]}}
    with pytest.raises(ConflictError):
        o311.service_update(actor=director, service=cans, version=cans.version, type="blackbox")


def test_attribute_rules(director, cans):
    def save(**values):
        base = {"code": "Q2", "description": "问题", "order": 2, "datatype": "string"}
        return o311.attribute_save(actor=director, service=cans, **(base | values))

    with pytest.raises(ValidationError) as raised:
        save(datatype="singlevaluelist", values=[])
    assert list(raised.value.error_dict) == ["values"]
    with pytest.raises(ValidationError) as raised:
        save(code="whishetn")
    assert list(raised.value.error_dict) == ["code"]
    with pytest.raises(ValidationError) as raised:
        save(order=1)
    assert list(raised.value.error_dict) == ["order"]
    with pytest.raises(ValidationError):
        save(
            datatype="multivaluelist", values=[{"key": "a", "name": "A"}, {"key": "a", "name": "B"}]
        )
    # Values of a non-list datatype are dropped; a question that asks nothing is not required.
    saved = save(values=[{"key": "a", "name": "A"}], variable=False, required=True)
    assert (saved.values, saved.required) == ([], False)
    o311.attribute_delete(actor=director, attribute=saved)
    assert [a.code for a in cans.attributes.all()] == ["WHISHETN"]
    assert list(
        AuditEntry.objects.filter(action__startswith="open311.attribute.")
        .order_by("position")
        .values_list("action", flat=True)
    ) == ["open311.attribute.create", "open311.attribute.create", "open311.attribute.delete"]


def test_a_new_client_gets_a_service_account_and_a_key_shown_once(sysadmin, office, clerk):
    issued = o311.client_create(actor=sysadmin, name=" 12345热线 ", unit=office, contact="市热线办")
    client = issued.client
    assert issued.key.startswith("o311_") and len(issued.key) == 48
    assert client.key_hash == key_hash(issued.key) and client.key_prefix == issued.key[:12]
    assert issued.key not in str(list(ApiClient.objects.values()))
    account = client.account
    assert (account.name, account.unit, account.roles) == (
        "12345热线 (Open311)",
        office,
        frozenset(),
    )
    assert account.username.startswith("open311-") and not account.has_usable_password()
    assert client_authenticate(key=issued.key) == client
    assert client_authenticate(key=issued.key + "x") is None
    assert list(AuditEntry.objects.order_by("position").values_list("action", "actor_name")) == [
        ("org.user.create", "冯系统"),
        ("open311.client.create", "冯系统"),
    ]
    assert issued.key not in str(list(AuditEntry.objects.values_list("data", flat=True)))
    with pytest.raises(ValidationError):
        o311.client_create(actor=sysadmin, name="12345热线", unit=office)


def test_revoking_deactivates_the_account_and_cannot_be_repeated(sysadmin, hotline):
    client = o311.client_revoke(actor=sysadmin, client=hotline.client)
    assert (client.is_active, client.account.is_active, client.revoked_by) == (
        False,
        False,
        sysadmin,
    )
    assert client_authenticate(key=hotline.key) is None
    with pytest.raises(ValidationError):
        o311.client_revoke(actor=sysadmin, client=client)
    assert AuditEntry.objects.filter(action="open311.client.revoke").count() == 1


def test_the_service_account_registers_api_cases_only(hotline, handler_a):
    category = Category.objects.get(code="SNB")
    values = {
        "category": category,
        "summary": "窗口推诿",
        "content": "窗口让我找别的部门。",
        "complainant": ComplainantData(anonymous=True),
    }
    with pytest.raises(CaseActionDenied):
        case_register(actor=hotline.client.account, channel=Channel.API, **values)
    with pytest.raises(CaseActionDenied):
        case_register(
            actor=hotline.client.account, channel=Channel.PHONE, service_account=True, **values
        )
    # An account holding a role is never a service account.
    with pytest.raises(CaseActionDenied):
        case_register(actor=handler_a, channel=Channel.API, service_account=True, **values)
    assert not Case.objects.exists()


def test_the_receiving_unit_is_the_intake_clerks_unit(clerk, office, handler_a):
    assert receiving_unit_default() == office
