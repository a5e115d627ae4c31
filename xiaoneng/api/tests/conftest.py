"""Fixtures of the API tests: a client that speaks to /api/v1/ with a token, tokens of the
named personas, and a case of unit A in each stage of its life."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from xiaoneng.api.services import token_create
from xiaoneng.cases import services as s
from xiaoneng.cases.attachments import attachment_add
from xiaoneng.cases.defaults import seed_categories
from xiaoneng.cases.models import Category

BASE = "/api/v1"


@pytest.fixture(autouse=True)
def _categories(request):
    """The migration seeds the categories; a transactional test on the same worker empties
    them. Put them back for the tests that use the database."""
    names = set(request.fixturenames)
    if not {"db", "transactional_db"} & names:
        return
    request.getfixturevalue("transactional_db" if "transactional_db" in names else "db")
    if not Category.objects.exists():
        seed_categories(Category)


@pytest.fixture(autouse=True)
def _generous_rate_limit(settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 10_000


class ApiClient:
    """Calls /api/v1/ with a bearer token; every POST gets a fresh Idempotency-Key unless one
    is given. Answers are Django test responses; ``.json()`` reads the body."""

    def __init__(self, token: str | None = None, *, language: str | None = None):
        self.client = Client()
        self.token = token
        self.language = language

    def headers(self, token=..., key=None, language=None) -> dict:
        token = self.token if token is ... else token
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if key is not None:
            headers["Idempotency-Key"] = key
        if language or self.language:
            headers["Accept-Language"] = language or self.language
        return headers

    def get(self, path: str, params: dict | None = None, *, token=..., language=None):
        return self.client.get(
            BASE + path, params or {}, headers=self.headers(token, language=language)
        )

    def post(self, path: str, body=None, *, token=..., key=None, language=None, raw=None):
        key = uuid.uuid4().hex if key is None else key
        data = raw if raw is not None else json.dumps({} if body is None else body)
        return self.client.post(
            BASE + path,
            data,
            content_type="application/json",
            headers=self.headers(token, key=key or None, language=language),
        )

    def upload(self, path: str, data: dict, *, token=..., key=None):
        return self.client.post(
            BASE + path,
            data,
            headers=self.headers(token, key=key or uuid.uuid4().hex),
        )


@pytest.fixture
def api():
    return ApiClient()


@pytest.fixture
def token_of(db):
    """The secret of a new personal token of ``user``."""

    def make(user) -> str:
        _token, secret = token_create(
            actor=user, name=f"tests of {user.username}", expires_in_days=30
        )
        return secret

    return make


@pytest.fixture
def as_user(token_of):
    """An ApiClient acting with a new personal token of ``user``."""

    def make(user, **kwargs) -> ApiClient:
        return ApiClient(token_of(user), **kwargs)

    return make


@pytest.fixture
def category(db):
    return Category.objects.get(code="TWCP")


@pytest.fixture
def registered(clerk, category, unit_a):
    """A case registered by the intake clerk about unit A."""
    return s.case_register(
        actor=clerk,
        channel="phone",
        category=category,
        summary="办理社保转移被多次推诿",
        content="今年三月起去区人社局办理社保转移，窗口三次让我找别的部门。",
        complainant=s.ComplainantData(
            name="张三丰",
            phone="13812345678",
            id_number="330102199001011234",
            address="天洲区青石镇幸福路8号",
        ),
        subject_units=[unit_a],
    )


@pytest.fixture
def handling(registered, clerk, supervisor, liaison_a, handler_a, unit_a):
    """The case accepted, transferred to unit A and signed for, handler A handling it; a
    plain-text file attached by the office."""
    s.case_accept(actor=clerk, case=registered)
    s.case_dispatch(actor=supervisor, case=registered, mode="transfer", lead=s.UnitPart(unit_a))
    part = registered.assignments.get()
    s.assignment_sign(actor=liaison_a, assignment=part, handler=handler_a)
    attachment_add(
        actor=clerk,
        case=registered,
        file=SimpleUploadedFile("记录.txt", "通话记录：窗口推诿。\n".encode()),
        kind="original",
    )
    registered.refresh_from_db()
    return registered
