"""The GeoReport v2 endpoints against the specification's own examples, in JSON and XML."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from xiaoneng.audit.models import AuditEntry
from xiaoneng.cases.models import Case
from xiaoneng.open311 import services as o311
from xiaoneng.open311.models import ServiceRequest
from xiaoneng.open311.services import RequestInput

from .conftest import JURISDICTION, SPEC_POST, body, file_request

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


# --- discovery ------------------------------------------------------------------------------


def test_discovery_json(client, office_settings):
    response = client.get("/open311/v2/discovery.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    changeset = office_settings.changed_at.astimezone(TZ).isoformat(timespec="seconds")
    assert body(response) == {
        "changeset": changeset,
        "contact": "You can email or call for assistance api@yourcity.net +1 (555) 555-5555",
        "key_service": "You can request a key here: http://api.yourcity.net/api_key/request",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": "https://xiaoneng.example.gov.cn/open311/v2",
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def test_discovery_xml(client, office_settings):
    response = client.get("/open311/v2/discovery.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = body(response)
    assert root.tag == "discovery"
    assert [child.tag for child in root] == ["changeset", "contact", "key_service", "endpoints"]
    endpoint = root.find("endpoints/endpoint")
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint.findtext("type") == "production"
    assert [f.text for f in endpoint.findall("formats/format")] == [
        "text/xml",
        "application/json",
    ]


def test_discovery_without_configured_address_gives_the_address_called(client, db):
    response = client.get("/open311/v2/discovery.json")
    assert body(response)["endpoints"][0]["url"] == "http://testserver/open311/v2"
    assert body(response)["changeset"] is None


# --- services and their definitions --------------------------------------------------------


def test_services_json_is_the_specification_example(client, cans):
    response = client.get("/open311/v2/services.json", {"jurisdiction_id": JURISDICTION})
    assert response.status_code == 200
    assert body(response) == [
        {
            "service_code": "001",
            "service_name": "Cans left out 24x7",
            "description": "Garbage or recycling cans that have been left out for more than 24 "
            "hours after collection. Violators will be cited.",
            "metadata": True,
            "type": "realtime",
            "keywords": "lorem, ipsum, dolor",
            "group": "sanitation",
        }
    ]


def test_services_xml_is_the_specification_example(client, cans, director):
    o311.service_update(actor=director, service=cans, is_active=True)
    response = client.get("/open311/v2/services.xml")
    root = body(response)
    assert root.tag == "services"
    service = root.find("service")
    assert [(child.tag, child.text) for child in service] == [
        ("service_code", "001"),
        ("service_name", "Cans left out 24x7"),
        (
            "description",
            "Garbage or recycling cans that have been left out for more than 24 hours after "
            "collection. Violators will be cited.",
        ),
        ("metadata", "true"),
        ("type", "realtime"),
        ("keywords", "lorem, ipsum, dolor"),
        ("group", "sanitation"),
    ]


def test_a_service_without_questions_needs_no_definition_and_inactive_ones_are_hidden(
    client, cans, director
):
    from xiaoneng.cases.models import Category

    o311.service_create(
        actor=director,
        service_code="FWTD-1",
        category=Category.objects.get(code="FWTD"),
        service_name="窗口服务态度差",
        order=5,
    )
    o311.service_update(actor=director, service=cans, is_active=False)
    listed = body(client.get("/open311/v2/services.json"))
    assert [(s["service_code"], s["metadata"], s["description"]) for s in listed] == [
        ("FWTD-1", False, None)
    ]
    assert client.get("/open311/v2/services/001.json").status_code == 404


def test_service_definition_json_is_the_specification_example(client, cans):
    response = client.get("/open311/v2/services/001.json", {"jurisdiction_id": JURISDICTION})
    assert response.status_code == 200
    assert body(response) == {
        "service_code": "001",
        "attributes": [
            {
                "variable": True,
                "code": "WHISHETN",
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": None,
                "order": 1,
                "description": "What is the ticket/tag/DL number?",
                "values": [{"key": "123", "name": "Ford"}, {"key": "124", "name": "Chrysler"}],
            }
        ],
    }


def test_service_definition_xml_is_the_specification_example(client, cans):
    root = body(client.get("/open311/v2/services/001.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "001"
    attribute = root.find("attributes/attribute")
    assert [child.tag for child in attribute] == [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    ]
    assert attribute.findtext("variable") == "true"
    assert attribute.findtext("datatype_description") == ""  # an empty element
    assert [(v.findtext("key"), v.findtext("name")) for v in attribute.findall("values/value")] == [
        ("123", "Ford"),
        ("124", "Chrysler"),
    ]


def test_a_text_question_has_no_values(client, cans, director):
    o311.attribute_save(
        actor=director,
        service=cans,
        code="WHERE",
        description="Where exactly?",
        order=2,
        datatype="text",
        datatype_description="Street and house number",
    )
    second = body(client.get("/open311/v2/services/001.json"))["attributes"][1]
    assert second == {
        "variable": True,
        "code": "WHERE",
        "datatype": "text",
        "required": False,
        "datatype_description": "Street and house number",
        "order": 2,
        "description": "Where exactly?",
    }


# --- POST requests ---------------------------------------------------------------------------


def test_post_request_json_returns_the_service_request_id(client, cans, hotline):
    response = file_request(client, hotline.key)
    assert response.status_code == 200, response.content
    filed = ServiceRequest.objects.select_related("case").get()
    assert body(response) == [
        {
            "service_request_id": filed.case.number,
            "service_notice": "效能办将在3个工作日内决定是否受理。",
            "account_id": "123456",
        }
    ]


def test_post_request_xml(client, cans, hotline):
    response = file_request(client, hotline.key, fmt="xml")
    assert response.status_code == 200
    root = body(response)
    assert root.tag == "service_requests"
    request = root.find("request")
    assert [child.tag for child in request] == [
        "service_request_id",
        "service_notice",
        "account_id",
    ]
    assert request.findtext("service_request_id") == Case.objects.get().number


def test_a_posted_request_becomes_an_api_case_registered_by_the_client(client, cans, hotline):
    file_request(client, hotline.key)
    case = Case.objects.select_related("complainant", "registered_by", "category").get()
    assert (case.channel, case.status, case.category.code) == ("api", "registered", "SNB")
    assert case.registered_by == hotline.client.account
    assert case.summary == "A large sinkhole is destroying the street"
    assert case.content == (
        "A large sinkhole is destroying the street\n\n"
        "What is the ticket/tag/DL number?: Ford\n\n"
        "http://city.gov/media/123.jpg"
    )
    assert case.place == "1234 5th street"
    person = case.complainant
    assert (person.anonymous, person.name, person.phone, person.email) == (
        False,
        "张三丰",
        "13812345678",
        "smit333@sfgov.edu",
    )
    filed = case.open311_request
    assert (str(filed.latitude), str(filed.longitude)) == ("37.765241", "-122.421204")
    assert (filed.device_id, filed.account_id, filed.attributes) == (
        "tt222111",
        "123456",
        {"WHISHETN": "123"},
    )
    register_row = AuditEntry.objects.get(action="cases.case.register")
    assert register_row.actor == hotline.client.account
    assert register_row.actor_name == "12345热线 (Open311)"
    assert register_row.unit_name == "天洲区效能办"
    filed_row = AuditEntry.objects.get(action="open311.request.create")
    assert filed_row.data == {
        "number": case.number,
        "client": hotline.client.pk,
        "client_name": "12345热线",
        "service_code": "001",
    }


def test_a_batch_service_returns_a_token_that_gives_the_request_id(client, cans, hotline, director):
    o311.service_update(actor=director, service=cans, type="batch")
    answer = body(file_request(client, hotline.key))[0]
    assert set(answer) == {"token", "service_notice", "account_id"}
    filed = ServiceRequest.objects.select_related("case").get()
    assert answer["token"] == filed.token

    response = client.get(f"/open311/v2/tokens/{filed.token}.json")
    assert response.status_code == 200
    assert body(response) == [{"service_request_id": filed.case.number, "token": filed.token}]
    root = body(client.get(f"/open311/v2/tokens/{filed.token}.xml"))
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id") == filed.case.number
    assert root.findtext("request/token") == filed.token


def test_a_blackbox_service_returns_no_id(client, cans, hotline, director):
    o311.service_update(actor=director, service=cans, type="blackbox")
    assert body(file_request(client, hotline.key)) == [
        {"service_notice": "效能办将在3个工作日内决定是否受理。", "account_id": "123456"}
    ]


def test_an_anonymous_request_with_a_multivalue_answer_sent_multipart(
    client, cans, hotline, director
):
    o311.attribute_save(
        actor=director,
        service=cans,
        code="KINDS",
        description="哪些垃圾？",
        order=2,
        datatype="multivaluelist",
        values=[{"key": "g", "name": "生活垃圾"}, {"key": "r", "name": "可回收物"}],
    )
    data = {
        "api_key": hotline.key,
        "service_code": "001",
        "address_string": "青石镇幸福路",
        "description": "垃圾桶三天没人收",
        "attribute[WHISHETN]": "124",
        "attribute[KINDS][]": ["g", "r", "g"],
    }
    response = client.post("/open311/v2/requests.json", data)  # multipart/form-data
    assert response.status_code == 200, response.content
    case = Case.objects.select_related("complainant").get()
    assert case.complainant.anonymous is True
    assert case.open311_request.attributes == {"WHISHETN": "124", "KINDS": ["g", "r"]}
    assert case.content == (
        "垃圾桶三天没人收\n\n"
        "What is the ticket/tag/DL number?: Chrysler\n"
        "哪些垃圾？：生活垃圾, 可回收物"
    )


# --- GET requests -----------------------------------------------------------------------------


def _filed_at(hotline, moment, attributes=None, **changes):
    data = RequestInput(
        **{
            k: v
            for k, v in {**SPEC_POST, **changes}.items()
            if k in RequestInput.__dataclass_fields__
        },
        attributes={"WHISHETN": ["123"]} if attributes is None else attributes,
    )
    return o311.service_request_create(client=hotline.client, data=data, now=moment)


def test_get_requests_is_the_specification_example(client, cans, hotline):
    filed = _filed_at(hotline, datetime(2010, 5, 30, 10, 0, tzinfo=TZ))
    response = client.get(
        "/open311/v2/requests.json",
        {
            "api_key": hotline.key,
            "jurisdiction_id": JURISDICTION,
            "start_date": "2010-05-24T00:00:00Z",
            "end_date": "2010-06-24T00:00:00Z",
            "status": "open",
        },
    )
    assert response.status_code == 200
    (record,) = body(response)
    assert list(record) == [
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    ]
    deadline = filed.case.deadlines.get().due_at.astimezone(TZ).isoformat()
    assert record | {"status_notes": None} == {
        "service_request_id": filed.case.number,
        "status": "open",
        "status_notes": None,
        "service_name": "Cans left out 24x7",
        "service_code": "001",
        "description": "A large sinkhole is destroying the street",
        "agency_responsible": "天洲区效能办",
        "service_notice": "效能办将在3个工作日内决定是否受理。",
        "requested_datetime": "2010-05-30T10:00:00+08:00",
        "updated_datetime": "2010-05-30T10:00:00+08:00",
        "expected_datetime": deadline,
        "address": "1234 5th street",
        "address_id": None,
        "zipcode": None,
        "lat": 37.765241,
        "long": -122.421204,
        "media_url": "http://city.gov/media/123.jpg",
    }
    assert record["status_notes"]  # the label of the registration, in the reader's language


def test_get_requests_xml(client, cans, hotline):
    filed = _filed_at(hotline, datetime(2010, 5, 30, 10, 0, tzinfo=TZ))
    response = client.get(
        "/open311/v2/requests.xml",
        {
            "api_key": hotline.key,
            "start_date": "2010-05-24T00:00:00Z",
            "end_date": "2010-06-24T00:00:00Z",
            "status": "open",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    root = body(response)
    assert root.tag == "service_requests"
    request = root.find("request")
    assert request.findtext("service_request_id") == filed.case.number
    assert request.findtext("status") == "open"
    assert request.findtext("status_notes") == "Complaint received"
    assert request.findtext("requested_datetime") == "2010-05-30T10:00:00+08:00"
    assert request.findtext("lat") == "37.765241"
    assert request.findtext("long") == "-122.421204"
    assert request.findtext("zipcode") == ""


def test_get_requests_filters(client, cans, hotline, clerk, director):
    from xiaoneng.cases.models import Category
    from xiaoneng.cases.services import case_reject

    other = o311.service_create(
        actor=director,
        service_code="FWTD-1",
        category=Category.objects.get(code="FWTD"),
        service_name="窗口服务态度差",
    )
    may = _filed_at(hotline, datetime(2010, 5, 25, 9, tzinfo=TZ))
    june = _filed_at(hotline, datetime(2010, 6, 10, 9, tzinfo=TZ))
    july = _filed_at(
        hotline, datetime(2010, 7, 1, 9, tzinfo=TZ), {}, service_code=other.service_code
    )
    case_reject(
        actor=clerk,
        case=june.case,
        reason="不属于效能投诉",
        now=datetime(2010, 6, 11, 9, tzinfo=TZ),
    )

    def numbers(**params):
        response = client.get("/open311/v2/requests.json", params)
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in body(response)]

    window = {"start_date": "2010-05-24T00:00:00Z", "end_date": "2010-07-24T00:00:00Z"}
    assert numbers(**window) == [july.case.number, june.case.number, may.case.number]
    assert numbers(**window, status="open") == [july.case.number, may.case.number]
    assert numbers(**window, status="closed") == [june.case.number]
    assert numbers(**window, status="open,closed") == [
        july.case.number,
        june.case.number,
        may.case.number,
    ]
    assert numbers(**window, service_code="001") == [june.case.number, may.case.number]
    assert numbers(**window, service_code="001,FWTD-1", status="open") == [
        july.case.number,
        may.case.number,
    ]
    # Only start_date: 90 days from it; only end_date: 90 days up to it.
    assert numbers(start_date="2010-06-01") == [july.case.number, june.case.number]
    assert numbers(end_date="2010-06-30T23:59:59+08:00") == [june.case.number, may.case.number]
    # No dates: the last 90 days, in which nothing was filed.
    assert numbers() == []
    # service_request_id wins over every other parameter.
    assert numbers(
        service_request_id=f"{may.case.number},{july.case.number},XN-1999-000001",
        status="closed",
        start_date="2020-01-01",
    ) == [july.case.number, may.case.number]


def test_get_one_request_json_and_xml(client, cans, hotline):
    filed = _filed_at(hotline, datetime(2010, 5, 30, 10, 0, tzinfo=TZ))
    response = client.get(f"/open311/v2/requests/{filed.case.number}.json")
    assert response.status_code == 200
    (record,) = body(response)
    assert record["service_request_id"] == filed.case.number
    root = body(client.get(f"/open311/v2/requests/{filed.case.number}.xml"))
    assert root.tag == "service_requests"
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [
        filed.case.number
    ]
