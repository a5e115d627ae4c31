"""Bad input answers in the specification's error format — an array of {code, description}
(``<errors><error>`` in XML) — with the right HTTP status, never a 500 or an HTML page."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from xiaoneng.cases.models import Case
from xiaoneng.open311 import ratelimit
from xiaoneng.open311 import services as o311
from xiaoneng.open311.api import MAX_BODY_BYTES

from .conftest import JURISDICTION, body, errors, file_request

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _only(response, status: int) -> str:
    """The single error's description, after checking the status and the shape."""
    assert response.status_code == status, response.content
    (error,) = errors(response)
    assert error["code"] == status
    return error["description"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_jurisdiction_is_404(client, cans, fmt):
    response = client.get(f"/open311/v2/services.{fmt}", {"jurisdiction_id": "nyc.gov"}, **EN)
    assert _only(response, 404) == "jurisdiction_id nyc.gov was not found."
    content_type = "text/xml" if fmt == "xml" else "application/json"
    assert response["Content-Type"] == f"{content_type}; charset=utf-8"


def test_an_xml_error_is_the_specification_example_shape(client, db):
    response = client.get("/open311/v2/services/NOPE.xml", **EN)
    assert response.status_code == 404
    assert response.content == (
        b'<?xml version="1.0" encoding="utf-8"?>\n<errors><error><code>404</code>'
        b"<description>service_code NOPE was not found.</description></error></errors>"
    )


def test_the_configured_jurisdiction_and_none_are_accepted(client, cans):
    assert (
        client.get("/open311/v2/services.json", {"jurisdiction_id": JURISDICTION}).status_code
        == 200
    )
    assert client.get("/open311/v2/services.json").status_code == 200


def test_unknown_resources_are_404_in_the_format_asked(client, db):
    assert _only(client.get("/open311/v2/requests/XN-2026-999999.json", **EN), 404) == (
        "Request XN-2026-999999 was not found."
    )
    assert _only(client.get("/open311/v2/tokens/abcdef.xml", **EN), 404) == (
        "Token abcdef was not found."
    )
    for path in ("/open311/v2/", "/open311/v2/requests.html", "/open311/v2/a/b/c.json"):
        response = client.get(path, **EN)
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert _only(response, 404).startswith("There is no such resource.")
    assert body(client.get("/open311/v2/nothing.xml")).tag == "errors"


def test_a_method_the_resource_does_not_answer_is_405(client, cans):
    response = client.post("/open311/v2/services.json", {}, **EN)
    assert _only(response, 405) == "This resource does not answer POST."
    assert response["Allow"] == "GET, HEAD"
    response = client.delete("/open311/v2/requests.xml")
    assert response.status_code == 405 and body(response).tag == "errors"
    assert response["Allow"] == "GET, POST, HEAD"


def test_a_body_above_the_limit_is_413(client, cans, hotline):
    response = client.post(
        "/open311/v2/requests.json",
        "description=" + "x" * MAX_BODY_BYTES,
        content_type="application/x-www-form-urlencoded",
        **EN,
    )
    assert _only(response, 413) == "The request body is too large: at most 64 KB."
    assert not Case.objects.exists()


def test_a_body_that_is_not_form_encoded_is_400(client, cans, hotline):
    response = client.post(
        "/open311/v2/requests.json",
        '{"service_code": "001"}',
        content_type="application/json",
        **EN,
    )
    assert _only(response, 400) == (
        "Send the parameters form-encoded (application/x-www-form-urlencoded)."
    )


def test_every_problem_of_a_post_is_reported_at_once(client, cans, hotline):
    response = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": hotline.key,
            "service_code": "001",
            "lat": "north",
            "email": "not-an-address",
            "media_url": "ftp://city.gov/x.jpg",
            "phone": "call me",
            "attribute[WHISHETN]": "999",
            "attribute[COLOUR]": "red",
        },
        **EN,
    )
    assert response.status_code == 400
    assert errors(response) == [
        {"code": 400, "description": d}
        for d in [
            "lat: Give a number between -90 and 90 (WGS84 degrees).",
            "lat: Give the location: lat and long, or address_string, or address_id.",
            "phone: Give a phone number (digits, spaces, + - and brackets).",
            "email: Give a valid e-mail address.",
            "media_url: Give an http or https address.",
            "attribute[COLOUR]: This service has no such attribute.",
            "attribute[WHISHETN]: Choose from the keys the service definition lists.",
        ]
    ]
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("changes", "description"),
    [
        ({"service_code": None}, "service_code: Name the service (service_code)."),
        ({"service_code": "999"}, "service_code: No service has this code."),
        ({"attribute[WHISHETN]": None}, "attribute[WHISHETN]: This attribute is required."),
        ({"long": None}, "long: Give both lat and long."),
        ({"lat": "91"}, "lat: Give a number between -90 and 90 (WGS84 degrees)."),
        ({"description": "x" * 4001}, "description: Keep this within 4000 characters."),
        ({"first_name": "a\x00b"}, "first_name: This contains characters that are not allowed."),
        (
            {"address_string": "line\nbreak"},
            "address_string: This contains characters that are not allowed.",
        ),
        (
            {"first_name": None, "last_name": None, "phone": None},
            "email: Send the complainant's name or phone number with the e-mail address, or "
            "send none of them for an anonymous request.",
        ),
    ],
)
def test_a_bad_post_parameter_is_400_and_files_nothing(client, cans, hotline, changes, description):
    response = file_request(client, hotline.key, headers={"Accept-Language": "en"}, **changes)
    assert _only(response, 400) == description
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"status": "pending"}, "status: Give open, closed or both."),
        (
            {"start_date": "yesterday"},
            "start_date: Give a date and time in W3C format, e.g. 2026-03-02T09:30:00+08:00.",
        ),
        (
            {"start_date": "2010-01-01", "end_date": "2010-06-01"},
            "start_date and end_date may span at most 90 days.",
        ),
        (
            {"start_date": "2010-06-01", "end_date": "2010-05-01"},
            "end_date must not be before start_date.",
        ),
        (
            {"service_request_id": "XN-2026-000001;DROP"},
            "service_request_id: Give at most 100 values separated by commas.",
        ),
        ({"service_code": "a\x00"}, "service_code: This contains characters that are not allowed."),
        ({"api_key": "\x00"}, "api_key: This contains characters that are not allowed."),
    ],
)
def test_a_bad_get_parameter_is_400(client, cans, params, description):
    assert _only(client.get("/open311/v2/requests.json", params, **EN), 400) == description


def test_the_rate_limit_answers_429_with_retry_after(client, cans, hotline, director, monkeypatch):
    o311.settings_update(actor=director, rate_limit_ip=2, rate_limit_key=3)
    monkeypatch.setattr(ratelimit, "_now", lambda: datetime(2026, 3, 2, 9, 30, 20, tzinfo=TZ))
    for _ in range(2):
        response = client.get("/open311/v2/services.json")
        assert response.status_code == 200
    assert response["X-RateLimit-Limit"] == "2" and response["X-RateLimit-Remaining"] == "0"
    refused = client.get("/open311/v2/services.xml", **EN)
    assert _only(refused, 429) == (
        "Too many requests: at most 2 a minute. Try again in 40 seconds."
    )
    assert refused["Retry-After"] == "40"
    # The key has its own allowance, also for a POST.
    assert file_request(client, hotline.key).status_code == 200
    for _ in range(2):
        assert client.get("/open311/v2/services.json", {"api_key": hotline.key}).status_code == 200
    assert file_request(client, hotline.key).status_code == 429
    assert Case.objects.count() == 1
    # The next minute starts afresh.
    monkeypatch.setattr(ratelimit, "_now", lambda: datetime(2026, 3, 2, 9, 31, 0, tzinfo=TZ))
    assert client.get("/open311/v2/services.json").status_code == 200


def test_bad_keys_count_against_the_address(client, cans, director, monkeypatch):
    o311.settings_update(actor=director, rate_limit_ip=2)
    monkeypatch.setattr(ratelimit, "_now", lambda: datetime(2026, 3, 2, 9, 30, 0, tzinfo=TZ))
    for _ in range(2):
        assert client.get("/open311/v2/services.json", {"api_key": "guess"}).status_code == 403
    assert client.get("/open311/v2/services.json", {"api_key": "guess"}).status_code == 429


def test_an_unexpected_failure_is_a_500_in_the_specification_format(client, cans, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("xiaoneng.open311.api.sel.service_list", broken)
    response = client.get("/open311/v2/services.xml", **EN)
    assert _only(response, 500).startswith("The request could not be processed.")


def test_errors_are_translated_for_the_caller(client, db):
    zh = client.get("/open311/v2/services.json", {"jurisdiction_id": "nyc.gov"})
    en = client.get("/open311/v2/services.json", {"jurisdiction_id": "nyc.gov"}, **EN)
    assert errors(zh)[0]["code"] == errors(en)[0]["code"] == 404
    assert zh["Content-Language"] == "zh-hans" and en["Content-Language"] == "en"


def test_requests_filed_long_ago_are_found_by_number(client, cans, hotline):
    from xiaoneng.open311.services import RequestInput

    filed = o311.service_request_create(
        client=hotline.client,
        data=RequestInput(
            service_code="001", address_string="青石镇", attributes={"WHISHETN": ["123"]}
        ),
        now=datetime(2010, 1, 4, 9, tzinfo=TZ),
    )
    found = body(client.get("/open311/v2/requests.json", {"service_request_id": filed.case.number}))
    assert [r["service_request_id"] for r in found] == [filed.case.number]
