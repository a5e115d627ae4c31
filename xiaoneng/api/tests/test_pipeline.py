"""What every call goes through: tokens, the rate limit, body limits, idempotency of POSTs,
and errors that are always JSON with a stable code and a translated message."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from xiaoneng.api.models import ApiToken, IdempotencyRecord, RateWindow
from xiaoneng.api.services import idempotency_reserve, token_revoke
from xiaoneng.cases.models import Case
from xiaoneng.org.services import user_set_active

pytestmark = pytest.mark.django_db

NEW_CASE = {
    "category": "TWCP",
    "summary": "窗口推诿",
    "content": "反映窗口人员推诿。",
    "complainant": {"name": "张三丰", "phone": "13812345678"},
}


# --- tokens --------------------------------------------------------------------------------------


def test_a_valid_token_acts_as_its_account(as_user, clerk):
    response = as_user(clerk).get("/me")
    assert response.status_code == 200
    body = response.json()
    assert (body["username"], body["roles"], body["service_account"]) == (
        "clerk",
        ["intake_clerk"],
        False,
    )
    assert body["token"]["kind"] == "personal"
    assert body["token"]["prefix"].startswith("xn_")
    assert response["X-RateLimit-Limit"] == "10000"


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Bearer xn_" + "A" * 43, "invalid_token"),
        ("Bearer something-else", "invalid_token"),
        ("Basic dXNlcjpwYXNz", "invalid_token"),
    ],
)
def test_an_unknown_token_is_refused(api, clerk, header, code):
    response = api.client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["code"] == code


def test_a_revoked_expired_or_deactivated_token_stops_working(
    token_of, api, clerk, sysadmin, secadmin
):
    secret = token_of(clerk)
    token = ApiToken.objects.get(user=clerk)
    assert api.get("/me", token=secret).status_code == 200

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api.get("/me", token=secret).json()["code"] == "token_expired"

    ApiToken.objects.filter(pk=token.pk).update(expires_at=None)
    user_set_active(actor=sysadmin, user=clerk, active=False)
    assert api.get("/me", token=secret).json()["code"] == "account_inactive"

    user_set_active(actor=sysadmin, user=clerk, active=True)
    token_revoke(actor=secadmin, token=token)
    response = api.get("/me", token=secret, language="en")
    assert response.status_code == 401
    assert response.json() == {"code": "token_revoked", "message": "The token has been revoked."}


def test_the_last_use_of_a_token_is_recorded(as_user, clerk):
    client = as_user(clerk)
    client.client.get("/api/v1/me", headers=client.headers(), REMOTE_ADDR="10.1.2.3")
    token = ApiToken.objects.get(user=clerk)
    assert token.last_used_ip == "10.1.2.3"
    assert timezone.now() - token.last_used_at < timedelta(minutes=1)


# --- rate limit ----------------------------------------------------------------------------------


def test_a_token_over_its_rate_limit_gets_429_with_retry_after(as_user, clerk, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    client = as_user(clerk, language="en")
    assert [client.get("/me").status_code for _ in range(3)] == [200, 200, 200]
    response = client.get("/me")
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["X-RateLimit-Remaining"] == "0"
    # The counter is per token: another token of the same person has its own.
    other = as_user(clerk)
    assert other.get("/me").status_code == 200
    assert RateWindow.objects.count() == 2


def test_the_rate_limit_counts_every_call_including_refused_posts(as_user, clerk, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    client = as_user(clerk)
    assert client.post("/cases", {}, key="").status_code == 400  # no key: still counted
    assert client.get("/me").status_code == 200
    assert client.post("/cases", NEW_CASE).status_code == 429
    assert Case.objects.count() == 0


# --- body limits ---------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read(
    as_user, clerk, settings, unit_a
):
    settings.API_MAX_BODY_BYTES = 1000
    client = as_user(clerk, language="en")
    big = {**NEW_CASE, "content": "推诿" * 400}
    response = client.post("/cases", big)
    assert response.status_code == 413
    assert response.json() == {
        "code": "payload_too_large",
        "message": "The request body is larger than the limit of 1000\xa0bytes.",
    }
    assert Case.objects.count() == 0


def test_an_upload_over_the_attachment_limit_is_refused(as_user, clerk, handling, settings):
    settings.XIAONENG_ATTACHMENT_MAX_BYTES = 10
    response = as_user(clerk).upload(
        f"/cases/{handling.pk}/attachments",
        {"file": SimpleUploadedFile("a.txt", b"x" * 2 * 1024 * 1024), "kind": "evidence"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_django_refusing_a_large_body_is_a_json_413(as_user, clerk, settings):
    settings.API_MAX_BODY_BYTES = 10**9
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = as_user(clerk).post("/cases", {**NEW_CASE, "content": "长" * 200})
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


# --- idempotency ---------------------------------------------------------------------------------


def test_a_post_without_an_idempotency_key_is_refused(as_user, clerk, unit_a):
    response = as_user(clerk, language="en").post("/cases", NEW_CASE, key="")
    assert response.status_code == 400
    assert response.json() == {
        "code": "idempotency_key_missing",
        "message": "Send an Idempotency-Key header with every POST request, e.g. a new UUID.",
    }
    assert Case.objects.count() == 0


def test_a_replay_returns_the_stored_answer_and_registers_once(as_user, clerk, unit_a):
    client = as_user(clerk)
    first = client.post("/cases", NEW_CASE, key="hotline-call-0001")
    # The same request again, its JSON written differently: the first answer, not a 2nd case.
    again = client.post(
        "/cases", raw=json.dumps(NEW_CASE, indent=4, sort_keys=True), key="hotline-call-0001"
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Case.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(as_user, clerk, unit_a):
    client = as_user(clerk, language="en")
    assert client.post("/cases", NEW_CASE, key="k-1").status_code == 201
    response = client.post("/cases", {**NEW_CASE, "summary": "另一件"}, key="k-1")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


def test_keys_belong_to_one_token(as_user, clerk, unit_a):
    assert as_user(clerk).post("/cases", NEW_CASE, key="shared").status_code == 201
    assert as_user(clerk).post("/cases", NEW_CASE, key="shared").status_code == 201
    assert Case.objects.count() == 2


def test_a_refusal_is_replayed_too(as_user, clerk, handling):
    client = as_user(clerk)
    first = client.post(f"/cases/{handling.pk}/accept", {}, key="accept-1")
    assert first.status_code == 409
    again = client.post(f"/cases/{handling.pk}/accept", {}, key="accept-1")
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"


def test_a_request_still_running_under_the_key_gets_409(as_user, clerk, unit_a):
    client = as_user(clerk, language="en")
    token = ApiToken.objects.get(user=clerk)
    body = json.dumps(NEW_CASE)
    from django.test import RequestFactory

    from xiaoneng.api.pipeline import request_fingerprint

    probe = RequestFactory().post("/api/v1/cases", body, content_type="application/json")
    idempotency_reserve(
        token=token,
        key="busy",
        fingerprint=request_fingerprint(probe),
        method="POST",
        path="/api/v1/cases",
    )
    response = client.post("/cases", raw=body, key="busy")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_use"
    assert response["Retry-After"] == "1"
    # A request interrupted five minutes ago no longer blocks its key.
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(minutes=6))
    assert client.post("/cases", raw=body, key="busy").status_code == 201


def test_a_server_error_rolls_back_and_frees_the_key(as_user, clerk, unit_a, monkeypatch):
    client = as_user(clerk, language="en")

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("xiaoneng.api.serializers.case_detail", broken)
    response = client.post("/cases", NEW_CASE, key="retry-me")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
    assert Case.objects.count() == 0  # the registration was rolled back with the answer
    assert not IdempotencyRecord.objects.exists()
    monkeypatch.undo()
    assert client.post("/cases", NEW_CASE, key="retry-me").status_code == 201


# --- errors --------------------------------------------------------------------------------------


def test_validation_errors_name_the_fields_in_the_requests_language(as_user, clerk, unit_a):
    body = {
        "category": "NOPE",
        "summary": "",
        "content": "x",
        "urgency": "soon",
        "complainant": {"name": "张三", "unexpected": 1},
    }
    response = as_user(clerk).post("/cases", body, language="en")
    assert response.status_code == 422
    assert response.json() == {
        "code": "validation_error",
        "message": "The request is not valid; see the fields.",
        "fields": {
            "urgency": ["Choose one of: 'normal', 'urgent' or 'very_urgent'."],
            "summary": ["Ensure this value has at least 1 characters."],
            "complainant.unexpected": ["This field is not accepted here."],
        },
    }


def test_a_service_refusal_names_its_field(as_user, clerk, unit_a):
    body = {**NEW_CASE, "complainant": {"anonymous": False}}
    response = as_user(clerk).post("/cases", body)
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["complainant.name"]
    unknown = as_user(clerk).post("/cases", {**NEW_CASE, "subject_units": ["NO-SUCH"]})
    assert unknown.status_code == 422
    assert list(unknown.json()["fields"]) == ["subject_units"]


def test_null_characters_are_refused_like_on_the_screens(as_user, clerk, unit_a):
    response = as_user(clerk).post("/cases", {**NEW_CASE, "summary": "a\x00b"}, language="en")
    assert response.status_code == 422
    assert response.json()["fields"] == {"summary": ["Null characters are not allowed."]}


def test_a_body_that_is_not_json_is_a_400(as_user, clerk):
    response = as_user(clerk).post("/cases", raw="{not json", language="en")
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_json", "message": "The body is not valid JSON."}


def test_a_stale_version_is_a_conflict(as_user, clerk, registered):
    response = as_user(clerk).post(
        f"/cases/{registered.pk}/accept", {"version": registered.version + 5}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    registered.refresh_from_db()
    assert registered.status == "registered"


def test_unknown_paths_and_methods_answer_json(as_user, clerk):
    client = as_user(clerk, language="en")
    missing = client.get("/no-such-thing")
    assert missing.status_code == 404
    assert missing.json() == {"code": "not_found", "message": "There is no such API endpoint."}
    assert client.get("/cases/abc").status_code == 422
    wrong = client.client.delete("/api/v1/cases", headers=client.headers())
    assert wrong.status_code == 405
    assert wrong.json()["code"] == "method_not_allowed"
    assert wrong["Allow"] == "GET, POST"


def test_messages_follow_accept_language(as_user, supervisor, registered):
    client = as_user(supervisor)
    chinese = client.post(f"/cases/{registered.pk}/resume")
    english = client.post(f"/cases/{registered.pk}/resume", language="en")
    assert chinese.json()["code"] == english.json()["code"] == "invalid_transition"
    assert chinese.json()["message"] == "案件处于“已登记”状态时不能进行此操作。"
    assert (
        english.json()["message"] == "This action is not possible while the case is “Registered”."
    )


def test_an_upload_replayed_under_its_key_attaches_once(as_user, clerk, handling):
    client = as_user(clerk)

    def upload():
        return client.upload(
            f"/cases/{handling.pk}/attachments",
            {"file": SimpleUploadedFile("补充.txt", "补充材料\n".encode()), "kind": "evidence"},
            key="upload-1",
        )

    first, again = upload(), upload()
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert handling.attachments.filter(kind="evidence").count() == 1


def test_a_browser_session_and_csrf_play_no_part(token_of, clerk, unit_a):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)  # a session cookie does not authenticate the API…
    assert client.get("/api/v1/me").status_code == 401
    response = client.post(  # …and a token needs no CSRF token
        "/api/v1/cases",
        json.dumps(NEW_CASE),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token_of(clerk)}", "Idempotency-Key": "csrf-1"},
    )
    assert response.status_code == 201


def test_a_malformed_upload_is_a_400(as_user, clerk, handling):
    client = as_user(clerk)
    response = client.client.post(
        f"/api/v1/cases/{handling.pk}/attachments",
        b"--broken\r\nnot a multipart body",
        content_type="multipart/form-data; boundary=",
        headers=client.headers(key="broken-1"),
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_body"
