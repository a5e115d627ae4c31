"""Fixtures of the Open311 tests: the specification's own example service (``001`` "Cans left
out 24x7" with the ``WHISHETN`` question of its service definition example), an office that
runs the interface for the jurisdiction ``city.gov``, and the 12345 hotline as an API client.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from defusedxml import ElementTree

from xiaoneng.cases.defaults import seed_categories
from xiaoneng.cases.models import Category
from xiaoneng.open311 import services as o311
from xiaoneng.open311.models import Service

JURISDICTION = "city.gov"


@pytest.fixture(autouse=True)
def _default_categories(request):
    """The categories a transactional test elsewhere may have emptied (see cases' conftest)."""
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if not uses_db:
        return
    request.getfixturevalue(
        "transactional_db" if "transactional_db" in request.fixturenames else "db"
    )
    if not Category.objects.exists():
        seed_categories(Category)


@pytest.fixture
def office_settings(director):
    return o311.settings_update(
        actor=director,
        jurisdiction_id=JURISDICTION,
        contact="You can email or call for assistance api@yourcity.net +1 (555) 555-5555",
        key_service="You can request a key here: http://api.yourcity.net/api_key/request",
        endpoint_url="https://xiaoneng.example.gov.cn/open311/v2",
    )


@pytest.fixture
def cans(director, office_settings):
    """The specification's example service and the question of its definition example."""
    service = o311.service_create(
        actor=director,
        service_code="001",
        category=Category.objects.get(code="SNB"),
        service_name="Cans left out 24x7",
        description=(
            "Garbage or recycling cans that have been left out for more than 24 hours after "
            "collection. Violators will be cited."
        ),
        keywords="lorem, ipsum, dolor",
        group="sanitation",
        service_notice="效能办将在3个工作日内决定是否受理。",
    )
    o311.attribute_save(
        actor=director,
        service=service,
        code="WHISHETN",
        description="What is the ticket/tag/DL number?",
        order=1,
        datatype="singlevaluelist",
        required=True,
        values=[{"key": "123", "name": "Ford"}, {"key": "124", "name": "Chrysler"}],
    )
    return Service.objects.get(pk=service.pk)


@pytest.fixture
def hotline(sysadmin, office, clerk):
    """The 12345 hotline's client and its key."""
    return o311.client_create(actor=sysadmin, name="12345热线", unit=office)


@pytest.fixture
def other_app(sysadmin, office):
    return o311.client_create(actor=sysadmin, name="随手拍", unit=office)


#: The specification's POST example, with its complainant (renamed to a Chinese one whose
#: bytes are easy to look for in the answers).
SPEC_POST = {
    "jurisdiction_id": JURISDICTION,
    "service_code": "001",
    "lat": "37.76524078",
    "long": "-122.4212043",
    "address_string": "1234 5th street",
    "email": "smit333@sfgov.edu",
    "device_id": "tt222111",
    "account_id": "123456",
    "first_name": "三丰",
    "last_name": "张",
    "phone": "13812345678",
    "description": "A large sinkhole is destroying the street",
    "media_url": "http://city.gov/media/123.jpg",
    "attribute[WHISHETN]": "123",
}
NAME, PHONE, EMAIL = "张三丰", "13812345678", "smit333@sfgov.edu"


def file_request(client, key: str | None, fmt: str = "json", headers=None, **changes):
    """POST the specification's example, form-encoded, with ``changes`` (None drops one)."""
    data = {**SPEC_POST, "api_key": key, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(
        f"/open311/v2/requests.{fmt}",
        urlencode(data, doseq=True),
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )


def body(response):
    """The answer parsed: JSON as it is, XML as an ElementTree element."""
    if response["Content-Type"].startswith("text/xml"):
        return ElementTree.fromstring(response.content)
    return json.loads(response.content)


def errors(response) -> list[dict]:
    """The errors of an answer in either format, as [{code, description}]."""
    parsed = body(response)
    if isinstance(parsed, list):
        return parsed
    assert parsed.tag == "errors"
    return [
        {"code": int(e.findtext("code")), "description": e.findtext("description")}
        for e in parsed.findall("error")
    ]
