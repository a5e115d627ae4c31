"""Whatever a caller sends, the interface answers in the specification's format with a
deliberate status: never a 500, never an HTML page."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xiaoneng.open311 import services as o311

pytestmark = pytest.mark.django_db

TEXT = st.text(max_size=60)
GET_PARAMS = st.dictionaries(
    st.sampled_from(
        [
            "service_request_id",
            "service_code",
            "start_date",
            "end_date",
            "status",
            "jurisdiction_id",
            "api_key",
        ]
    ),
    TEXT,
)
POST_PARAMS = st.dictionaries(
    st.sampled_from(
        [
            "service_code",
            "lat",
            "long",
            "address_string",
            "address_id",
            "email",
            "first_name",
            "last_name",
            "phone",
            "description",
            "media_url",
            "device_id",
            "account_id",
            "attribute[WHISHETN]",
            "attribute[WHISHETN][]",
            "attribute[x]",
        ]
    ),
    TEXT,
)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _deliberate(response) -> None:
    assert response.status_code in {200, 400, 403, 404}, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    parsed = json.loads(response.content)
    if response.status_code != 200:
        assert all(set(e) == {"code", "description"} for e in parsed)


@pytest.fixture
def roomy(director):
    o311.settings_update(actor=director, rate_limit_ip=100000, rate_limit_key=100000)


@FUZZ
@given(params=GET_PARAMS)
def test_any_query_of_requests(client, cans, roomy, params):
    _deliberate(client.get("/open311/v2/requests.json?" + urlencode(params)))


@FUZZ
@given(params=POST_PARAMS)
def test_any_post_of_a_request(client, cans, hotline, roomy, params):
    response = client.post(
        "/open311/v2/requests.json",
        urlencode({"api_key": hotline.key, **params}),
        content_type="application/x-www-form-urlencoded",
    )
    _deliberate(response)
