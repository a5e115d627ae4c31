"""Who may do what through the interface: the permission matrix of the API key (none, bad,
revoked, good) for filing and reading, and the office's switches."""

from __future__ import annotations

import pytest

from xiaoneng.cases.models import Case
from xiaoneng.open311 import services as o311
from xiaoneng.org.choices import Role
from xiaoneng.org.models import RoleAssignment
from xiaoneng.org.services import user_reset_password, user_set_active

from .conftest import body, errors, file_request

pytestmark = pytest.mark.django_db
EN = {"Accept-Language": "en"}


@pytest.fixture
def revoked(sysadmin, other_app):
    o311.client_revoke(actor=sysadmin, client=other_app.client)
    return other_app


def _key(name, hotline, revoked):
    return {"none": None, "bad": "o311_not-a-key", "revoked": revoked.key, "good": hotline.key}[
        name
    ]


@pytest.mark.parametrize(
    ("key", "status", "description"),
    [
        ("none", 403, "Filing a request needs an api_key."),
        ("bad", 403, "The api_key is not valid."),
        ("revoked", 403, "The api_key is not valid."),
        ("good", 200, None),
    ],
)
def test_filing_needs_a_valid_key(client, cans, hotline, revoked, key, status, description):
    response = file_request(client, _key(key, hotline, revoked), headers=EN)
    assert response.status_code == status
    if description:
        assert errors(response) == [{"code": 403, "description": description}]
        assert not Case.objects.exists()
    else:
        assert Case.objects.get().registered_by == hotline.client.account


@pytest.mark.parametrize(
    ("key", "status"), [("none", 200), ("bad", 403), ("revoked", 403), ("good", 200)]
)
@pytest.mark.parametrize(
    "path", ["discovery.json", "services.json", "services/001.xml", "requests.json"]
)
def test_reading_with_each_kind_of_key(client, cans, hotline, revoked, key, status, path):
    params = {"api_key": _key(key, hotline, revoked)} if key != "none" else {}
    response = client.get(f"/open311/v2/{path}", params)
    assert response.status_code == status


def test_when_reading_is_not_public_requests_need_a_key(client, cans, hotline, director):
    file_request(client, hotline.key)
    o311.settings_update(actor=director, requests_public=False)
    number = Case.objects.get().number
    token = Case.objects.get().open311_request.token
    for path in ("requests.json", f"requests/{number}.json", f"tokens/{token}.json"):
        response = client.get(f"/open311/v2/{path}", headers=EN)
        assert errors(response) == [
            {"code": 403, "description": "Reading requests needs an api_key."}
        ]
        assert client.get(f"/open311/v2/{path}", {"api_key": hotline.key}).status_code == 200
    # Services and discovery stay open.
    assert client.get("/open311/v2/services.json").status_code == 200


def test_when_the_office_stops_taking_requests(client, cans, hotline, director):
    o311.settings_update(actor=director, accepting_requests=False)
    response = file_request(client, hotline.key, headers=EN)
    assert errors(response) == [
        {
            "code": 403,
            "description": "The office does not take new requests through this interface at "
            "present.",
        }
    ]
    assert not Case.objects.exists()


def test_a_renewed_key_replaces_the_old_one(client, cans, hotline, sysadmin):
    renewed = o311.client_rotate_key(actor=sysadmin, client=hotline.client)
    assert file_request(client, hotline.key).status_code == 403
    assert file_request(client, renewed.key).status_code == 200


def test_a_revoked_client_gets_a_working_key_again_by_renewal(client, cans, revoked, sysadmin):
    renewed = o311.client_rotate_key(actor=sysadmin, client=revoked.client)
    assert renewed.client.is_active and renewed.client.account.is_active
    assert file_request(client, renewed.key).status_code == 200


@pytest.mark.parametrize("change", ["role", "password", "deactivated"])
def test_a_service_account_turned_into_something_else_stops_the_key(
    client, cans, hotline, sysadmin, change
):
    """Whoever gives the service account a role or a password, or deactivates it on the
    accounts screen, switches the key off: it never acts with more than it was issued for."""
    account = hotline.client.account
    if change == "role":
        RoleAssignment.objects.create(user=account, role=Role.INTAKE_CLERK)
    elif change == "password":
        user_reset_password(actor=None, user=account, password="Xn-service-Pass#2026")
    else:
        user_set_active(actor=sysadmin, user=account, active=False)
    assert file_request(client, hotline.key).status_code == 403
    assert not Case.objects.exists()


def test_the_key_touches_last_used(client, cans, hotline):
    assert hotline.client.last_used_at is None
    client.get("/open311/v2/services.json", {"api_key": hotline.key})
    hotline.client.refresh_from_db()
    assert hotline.client.last_used_at is not None


def test_another_client_reads_the_request_without_its_details(client, cans, hotline, other_app):
    file_request(client, hotline.key)
    (record,) = body(client.get("/open311/v2/requests.json", {"api_key": other_app.key}))
    assert (record["description"], record["address"], record["lat"], record["media_url"]) == (
        None,
        None,
        None,
        None,
    )
