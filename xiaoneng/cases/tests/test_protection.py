"""Protection of complainants, end to end (SPEC §1 "Complainant protection"; issue 5).

A case with a named complainant goes the whole way (registration with the complaint letter,
dispatch, a return refused, the reminder chain, signing, supervision, a leader's instruction,
progress, an extension, the reply signed off by the unit head, review, accountability,
callback, close-out and a typical-case bulletin), with its notifications and e-mails. Then
every persona outside the office signs in and fetches every URL of the staff site: each
route of the URL resolver, filled with the case's ids where it takes one, plain and as an
HTMX fragment, the exports unzipped, the action forms posted empty. No response, stored
notification or e-mail holds the complainant's name, phone, ID number or address, in any
encoding. The office sees the identity only through the audited reveal and the original
materials; the units get the redacted copy instead of the original.

A route with parameters that the test does not know fails ``test_every_route_is_covered``:
say how to fill it (``FILL``) or why it concerns no case (``NOT_ABOUT_CASES``).

The REST API is walked the same way from its OpenAPI schema (``api_requests``): every GET,
its path filled with the ids of the case (``API_FILL``), the case list with the ledger's
filters, as each persona with a personal token of its own; a GET the test cannot fill fails
``test_every_api_get_is_covered``. The office reads the identity through the API only from
``POST /cases/{id}/identity``, audited on every call, a repeated one included. A second case
of the same complainant, filed through Open311 by the 12345 hotline and answered, is read
back through every Open311 route (``test_every_open311_route_is_covered``) in JSON and XML,
without a key, with the hotline's key and with another client's key.
"""

from __future__ import annotations

import functools
import html
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import quote, quote_plus, unquote_plus
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import translation

from xiaoneng.api.api import api as rest_api
from xiaoneng.api.endpoints.common import CASE_ROLES
from xiaoneng.api.models import IdempotencyRecord
from xiaoneng.api.services import token_create
from xiaoneng.audit.models import AuditEntry
from xiaoneng.cases import attachments as att
from xiaoneng.cases import services as s
from xiaoneng.cases.escalation import deadlines_escalate
from xiaoneng.cases.exports import ledger_export_request, ledger_export_run
from xiaoneng.cases.models import Assignment, Attachment, Case, CaseEvent, LedgerExport
from xiaoneng.cases.protection import Identity, identity_in_file, scrub_identity
from xiaoneng.cases.selectors import OFFICE_QUEUES, UNIT_QUEUES
from xiaoneng.cases.tests.test_attachments import JPEG, PDF, docx
from xiaoneng.cases.views.actions import ACTIONS, ASSIGNMENT, CASE, EXTENSION, RETURN
from xiaoneng.notifications.messages import render_notification
from xiaoneng.notifications.models import Notification
from xiaoneng.open311 import services as o311
from xiaoneng.open311.models import ServiceRequest
from xiaoneng.publicity import services as ps

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")

NAME = "慕容雪晴"
PHONE = "13987654321"
ID_NUMBER = "51010419880808661X"
ADDRESS = "天洲区银杏路乙29号"
EMAIL = "murong.xueqing@example.cn"
#: What must never reach anyone outside the office.
IDENTITY = {"name": NAME, "phone": PHONE, "id_number": ID_NUMBER, "address": ADDRESS}
MASKED_PHONE = "139****4321"

#: The complaint as the clerk typed it from the letter: the identity in the complaint's words.
CONTENT = (
    f"我是{NAME}，电话 139 8765 4321，身份证号{ID_NUMBER.lower()}，住{ADDRESS}。"
    "三月初到区人社局办理社保转移，窗口三次让我找别的部门。"
)
LETTER = (
    f"投诉信\n投诉人：{NAME}\n电话：{PHONE}\n身份证号：{ID_NUMBER}\n住址：{ADDRESS}\n"
    "区人社局窗口三次推诿，请效能办督促。\n"
).encode()
REDACTED = (
    "投诉信（已遮挡）\n投诉人：慕***\n电话：139****4321\n区人社局窗口三次推诿，请效能办督促。\n"
).encode()
#: The complaint the 12345 hotline files through Open311, and the reply the office approved.
FILED_WORDS = "到区人社局窗口办理居住证，工作人员拒不受理也不说明理由。"
FILED = f"我是{NAME}，电话{PHONE}。{FILED_WORDS}"
FILED_MASKED = f"我是慕***，电话{MASKED_PHONE}。{FILED_WORDS}"
FILED_REPLY = "已约谈窗口负责人，居住证已于次日办结，并向投诉人说明情况。"

OFFICE = ("clerk", "supervisor", "director")
#: Every role that is not an office role (SPEC §1: liaison, handler, unit head, leader,
#: inspector, the three administrators), and a handler of another unit.
OUTSIDERS = (
    "liaison_a",
    "handler_a",
    "unit_head_a",
    "leader",
    "inspector",
    "sysadmin",
    "secadmin",
    "auditadmin",
    "handler_b",
)
UNIT_A = ("liaison_a", "handler_a", "unit_head_a")
#: Who sees the case at all (cases.selectors.case_visible_q).
SEES_CASE = {*OFFICE, *UNIT_A, "leader"}


def at(day: int, hour: int) -> datetime:
    return datetime(2025, 3, day, hour, tzinfo=TZ)


# --- finding the identity in bytes ----------------------------------------------------------


def _spaced(value: str) -> re.Pattern:
    """``value`` with spaces, hyphens or dots between its characters, not inside a longer
    number."""
    body = r"[\s\-.]?".join(re.escape(c) for c in value)
    return re.compile(r"(?<!\d)" + body + r"(?!\d)", re.IGNORECASE)


SPACED = {"phone": _spaced(PHONE), "id_number": _spaced(ID_NUMBER)}


def _encodings(value: str) -> set[str]:
    """``value`` as it may appear in a response: as is, URL-encoded, JSON- and HTML-escaped."""
    forms = {value, value.lower(), quote(value), quote(value).lower(), quote_plus(value)}
    escaped = json.dumps(value)[1:-1]
    forms |= {escaped, escaped.lower(), escaped.upper().replace("\\U", "\\u")}
    forms.add("".join(f"&#{ord(c)};" for c in value))
    forms.add("".join(f"&#x{ord(c):x};" for c in value))
    return forms


ENCODINGS = {label: _encodings(value) for label, value in IDENTITY.items()}


def _texts(body: bytes) -> list[str]:
    """Every text a reader could get from ``body``: the bytes decoded (also URL- and
    HTML-unescaped) and, for a ZIP (XLSX, DOCX), each member, also without its XML tags
    (Word splits a sentence into runs)."""
    decoded = body.decode("utf-8", "replace")
    texts = [decoded, unquote_plus(decoded), html.unescape(decoded)]
    if body.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            for name in archive.namelist():
                member = archive.read(name).decode("utf-8", "replace")
                texts += [member, re.sub(r"<[^>]+>", "", member)]
    return texts


def leaks(body: bytes | str) -> list[str]:
    """Which identity values ``body`` holds, in any of the forms above."""
    if isinstance(body, str):
        body = body.encode()
    found = set()
    for text in _texts(body):
        for label, forms in ENCODINGS.items():
            if any(form in text for form in forms):
                found.add(label)
        for label, pattern in SPACED.items():
            if pattern.search(text):
                found.add(label)
    return sorted(found)


def test_the_detector_finds_the_identity_in_every_form():
    assert leaks(f"<td>{NAME}</td>") == ["name"]
    assert leaks("?q=" + quote(ADDRESS)) == ["address"]
    assert leaks(json.dumps({"p": NAME})) == ["name"]
    assert leaks("tel: 139-8765-4321") == ["phone"]
    assert leaks(ID_NUMBER.lower()) == ["id_number"]
    assert leaks(docx(extra={"word/x.xml": "<w:t>慕容</w:t><w:t>雪晴</w:t>"})) == ["name"]
    assert leaks("".join(f"&#{ord(c)};" for c in ADDRESS)) == ["address"]
    assert leaks(f"{MASKED_PHONE} 慕*** 51**************1X 天洲区***") == []


# --- the case, the whole way ----------------------------------------------------------------


@dataclass
class World:
    case: Case
    assignment: object
    case_return: object
    extension: object
    bulletin: object
    letter: Attachment
    photo: Attachment
    redacted: Attachment
    released: Attachment
    evidence: Attachment
    #: The same complainant's complaint filed through Open311 by the 12345 hotline, answered.
    filed: ServiceRequest
    #: The Open311 API keys: the hotline's (``filer``) and another client's (``other``).
    open311_keys: dict
    people: dict = field(default_factory=dict)

    @property
    def cases(self) -> tuple[Case, Case]:
        return (self.case, self.filed.case)


def upload(name: str, content: bytes):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def people(request):
    names = (*OFFICE, *OUTSIDERS)
    people = {name: request.getfixturevalue(name) for name in names}
    for user in people.values():
        user.email = f"{user.username}@example.gov.cn"
        user.save(update_fields=["email"])
    return people


def file_through_open311(p: dict, office, unit_a, category) -> tuple[ServiceRequest, dict]:
    """The 12345 hotline files the complainant's complaint through Open311; the office
    hands it to unit A, whose reply it approves."""
    o311.settings_update(actor=p["director"], rate_limit_key=100_000, rate_limit_ip=100_000)
    service = o311.service_create(
        actor=p["director"], service_code="TWCP-1", category=category, service_name="推诿扯皮"
    )
    hotline = o311.client_create(actor=p["sysadmin"], name="12345热线", unit=office)
    other = o311.client_create(actor=p["sysadmin"], name="随手拍", unit=office)
    filed = o311.service_request_create(
        client=hotline.client,
        data=o311.RequestInput(
            service_code=service.service_code,
            description=FILED,
            address_string="天洲区政务服务中心二楼",
            last_name=NAME[:2],
            first_name=NAME[2:],
            phone=PHONE,
            email=EMAIL,
        ),
        now=at(24, 9),
    )
    case = filed.case
    s.case_accept(actor=p["clerk"], case=case, now=at(24, 10))
    s.case_dispatch(
        actor=p["supervisor"], case=case, mode="transfer", lead=s.UnitPart(unit_a), now=at(24, 11)
    )
    part = case.assignments.get()
    s.assignment_sign(actor=p["liaison_a"], assignment=part, handler=p["handler_a"], now=at(24, 14))
    s.assignment_reply(
        actor=p["handler_a"],
        assignment=part,
        reply_text=FILED_REPLY,
        finding="substantiated",
        measures="窗口一次性告知",
        now=at(25, 9),
    )
    s.assignment_head_decide(actor=p["unit_head_a"], assignment=part, approve=True, now=at(25, 10))
    s.case_review(actor=p["supervisor"], case=case, approve=True, now=at(25, 11))
    filed.refresh_from_db()
    return filed, {"filer": hotline.key, "other": other.key}


@pytest.fixture
def world(
    settings, media, people, register, office, unit_a, django_capture_on_commit_callbacks
) -> World:
    settings.NOTIFICATIONS_EMAIL = True
    settings.API_RATE_LIMIT_PER_MINUTE = 100_000  # every persona walks the whole API
    p = people
    with django_capture_on_commit_callbacks(execute=True):
        case = register(
            complainant=s.ComplainantData(
                name=NAME, phone=PHONE, id_number=ID_NUMBER, address=ADDRESS, email=EMAIL
            ),
            content=CONTENT,
            now=at(3, 9),
        )
        letter = att.attachment_add(
            actor=p["clerk"], case=case, file=upload("投诉信.txt", LETTER), kind="original"
        )
        photo = att.attachment_add(
            actor=p["clerk"], case=case, file=upload("现场照片.jpg", JPEG), kind="original"
        )
        redacted = att.attachment_add_redacted(
            actor=p["clerk"], attachment=letter, file=upload("投诉信-遮挡.txt", REDACTED)
        )
        released = att.attachment_add(
            actor=p["clerk"],
            case=case,
            file=upload("办理要求.pdf", PDF),
            kind="evidence",
            releasable=True,
        )
        s.case_accept(actor=p["clerk"], case=case, now=at(3, 10))
        s.case_settings_update(actor=p["director"], unit_head_approval=True)
        s.case_dispatch(
            actor=p["supervisor"],
            case=case,
            mode="transfer",
            lead=s.UnitPart(unit_a, "查明窗口推诿原因"),
            now=at(3, 11),
        )
        assignment = case.assignments.get()
        case_return = s.assignment_return(
            actor=p["liaison_a"], assignment=assignment, reason="社保转移不属本局窗口", now=at(4, 9)
        )
        s.case_return_rule(
            actor=p["supervisor"],
            case_return=case_return,
            ruling="insist",
            note="属区人社局职责",
            now=at(4, 10),
        )
        deadlines_escalate(now=at(14, 8))  # the signing deadline has passed: reminder chain
        s.assignment_sign(
            actor=p["liaison_a"], assignment=assignment, handler=p["handler_a"], now=at(14, 10)
        )
        s.case_supervise(
            actor=p["supervisor"], case=case, level="key", text="五日内报告办理情况", now=at(14, 11)
        )
        s.instruction_add(actor=p["leader"], case=case, text="请从严查处", now=at(14, 12))
        s.assignment_progress(
            actor=p["handler_a"], assignment=assignment, note="已约谈窗口负责人", now=at(17, 9)
        )
        extension = s.extension_request(
            actor=p["handler_a"],
            assignment=assignment,
            amount=3,
            reason="需调取监控",
            now=at(17, 10),
        )
        s.extension_decide(
            actor=p["director"], request=extension, approve=True, note="同意", now=at(17, 11)
        )
        evidence = att.attachment_add(
            actor=p["handler_a"],
            case=case,
            file=upload("整改报告.docx", docx()),
            kind="evidence",
            assignment=assignment,
            now=at(18, 9),
        )
        s.assignment_reply(
            actor=p["handler_a"],
            assignment=assignment,
            reply_text="已批评教育窗口人员并办结社保转移",
            finding="substantiated",
            measures="窗口首问负责制",
            now=at(18, 10),
        )
        s.assignment_head_decide(
            actor=p["unit_head_a"], assignment=assignment, approve=True, now=at(18, 11)
        )
        s.case_review(actor=p["supervisor"], case=case, approve=True, now=at(19, 9))
        s.accountability_record(
            actor=p["supervisor"],
            case=case,
            kind="circulated",
            unit=unit_a,
            person_name="吴某某",
            decided_on=date(2025, 3, 19),
            now=at(19, 10),
        )
        s.case_callback(
            actor=p["clerk"],
            case=case,
            satisfaction="satisfied",
            solved="solved",
            note=f"电话回访{NAME}（{PHONE}），本人表示满意。",
            now=at(20, 9),
        )
        s.case_close_out(actor=p["supervisor"], case=case, now=at(20, 10))
        bulletin = ps.bulletin_draft(actor=p["clerk"], cases=[case], now=at(21, 9))
        ps.bulletin_submit(actor=p["clerk"], bulletin=bulletin, now=at(21, 10))
        ps.bulletin_approve(actor=p["director"], bulletin=bulletin, now=at(21, 11))
        ps.bulletin_publish(
            actor=p["director"], bulletin=bulletin, visibility="public", now=at(21, 12)
        )
        s.complainant_reveal(actor=p["clerk"], case=case)
        for reader in ("supervisor", "liaison_a"):  # exports written by the background worker
            ledger_export_run(export=ledger_export_request(user=p[reader], query="", filters={}))
        filed, open311_keys = file_through_open311(p, office, unit_a, case.category)
    case.refresh_from_db()
    assert case.status == "closed"
    return World(
        case=case,
        assignment=assignment,
        case_return=case_return,
        extension=extension,
        bulletin=bulletin,
        letter=letter,
        photo=photo,
        redacted=redacted,
        released=released,
        evidence=evidence,
        filed=filed,
        open311_keys=open311_keys,
        people=people,
    )


def test_the_world_produced_notifications_and_mail_for_the_unit(world):
    codes = set(
        Notification.objects.filter(recipient=world.people["liaison_a"]).values_list(
            "code", flat=True
        )
    )
    assert {"case.dispatched", "case.return_refused", "case.overdue_notice"} <= codes
    assert Notification.objects.filter(recipient=world.people["unit_head_a"]).exists()
    assert any("liaison_a@example.gov.cn" in m.to for m in mail.outbox)


# --- the routes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    params: frozenset


def routes() -> list[Route]:
    """Every named route of the site, with the names of its parameters."""
    found = []

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, [*prefix, pattern.pattern], ns)
                continue
            params = set()
            for part in [*prefix, pattern.pattern]:
                params |= set(part.regex.groupindex)
            name = f"{namespace}{pattern.name}" if pattern.name else f"{namespace}<unnamed>"
            found.append(Route(name, frozenset(params)))

    walk(get_resolver().url_patterns, [], "")
    return found


#: Surfaces with their own protection tests (the public portal, the REST API, Open311, the
#: assessments and Django's admin): their pages without parameters are fetched here too, and
#: the API's requests about a case are added in ``api_requests``.
OTHER_SURFACES = {"admin", "api", "portal", "open311", "assessments"}

#: Routes whose parameter names something that is not a case's data (units, accounts,
#: calendar days, categories, time limits, saved filters).
NOT_ABOUT_CASES = {
    "accounts:account_unlock",
    "org:unit_update",
    "org:unit_deactivate",
    "org:unit_activate",
    "org:user_detail",
    "org:user_update",
    "org:user_roles",
    "org:user_deactivate",
    "org:user_activate",
    "org:user_password_reset",
    "workdays:override_delete",
    "cases:category_update",
    "cases:time_limit_delete",
    "cases:saved_view_delete",
}

#: Requests that end the session or change the language: never sent.
NEVER_FETCHED = {"accounts:logout", "set_language"}

_ACTION_TARGETS = {
    CASE: lambda w: w.case.pk,
    ASSIGNMENT: lambda w: w.assignment.pk,
    RETURN: lambda w: w.case_return.pk,
    EXTENSION: lambda w: w.extension.pk,
}


def _attachments(w: World) -> list[int]:
    return [a.pk for a in (w.letter, w.photo, w.redacted, w.released, w.evidence)]


#: How to fill each route that takes a parameter: the values about the case.
FILL = {
    "cases:case_detail": lambda w, user: [{"pk": w.case.pk}],
    "cases:complainant_reveal": lambda w, user: [{"pk": w.case.pk}],
    "cases:attachment_upload": lambda w, user: [{"pk": w.case.pk}],
    "cases:attachment_download": lambda w, user: [{"pk": pk} for pk in _attachments(w)],
    "cases:attachment_release": lambda w, user: [{"pk": pk} for pk in _attachments(w)],
    "cases:attachment_redact": lambda w, user: [{"pk": pk} for pk in _attachments(w)],
    **{
        f"cases:action_{code}": (lambda target: lambda w, user: [{"pk": target(w)}])(
            _ACTION_TARGETS[spec.level]
        )
        for code, spec in ACTIONS.items()
    },
    **{
        f"publicity:{name}": lambda w, user: [{"pk": w.bulletin.pk}]
        for name in (
            "bulletin_detail",
            "bulletin_edit",
            "bulletin_submit",
            "bulletin_approve",
            "bulletin_reject",
            "bulletin_publish",
            "bulletin_docx",
        )
    },
    **{
        f"cases:{name}": lambda w, user: [
            {"pk": pk} for pk in LedgerExport.objects.values_list("pk", flat=True)
        ]
        for name in ("ledger_export_status", "ledger_export_file")
    },
    "notifications:notification_read": lambda w, user: [
        {"pk": pk}
        for pk in Notification.objects.filter(recipient=user).values_list("pk", flat=True)
    ],
    "audit:entry_detail": lambda w, user: [
        {"position": position} for position in AuditEntry.objects.values_list("position", flat=True)
    ],
}

#: Query strings tried beside the bare URL of a page without parameters: the filters and
#: periods that show the case, and searches by the identity (which must find nothing).
QUERIES = {
    "cases:queues": [f"?queue={q}" for q in (*OFFICE_QUEUES, *UNIT_QUEUES, "to_sign_off")],
    "cases:case_list": ["?q=社保", f"?q={quote(NAME)}", f"?q={PHONE}"],
    "cases:ledger": ["?q=社保", f"?q={quote(NAME)}", f"?q={PHONE}", f"?q={ID_NUMBER}"],
    "cases:ledger_print": ["?q=社保"],
    "cases:ledger_export": ["?q=社保"],
    "cases:statistics": [
        "?period=month&year=2025&month=3",
        "?date_from=2025-03-01&date_to=2025-03-31&group=category",
    ],
    "cases:report_month": ["?year=2025&month=3"],
    "cases:report_month_docx": ["?year=2025&month=3"],
    "cases:report_month_xlsx": ["?year=2025&month=3"],
    "notifications:inbox": ["?filter=unread", "?page=2"],
    "audit:entry_list": ["?q=" + quote("XN-2025")],
}

#: Searches by the identity (the page repeats what was typed, the reader's own input): the
#: case must not be found through them.
IDENTITY_SEARCHES = {
    ("cases:case_list", f"?q={quote(NAME)}"): NAME,
    ("cases:case_list", f"?q={PHONE}"): PHONE,
    ("cases:ledger", f"?q={quote(NAME)}"): NAME,
    ("cases:ledger", f"?q={PHONE}"): PHONE,
    ("cases:ledger", f"?q={ID_NUMBER}"): ID_NUMBER,
}


# --- the REST API ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiGet:
    """A GET of the REST API as its OpenAPI schema documents it."""

    path: str  # "/api/v1/cases/{case_id}"
    params: frozenset  # the names of its path parameters


@functools.cache
def api_schema() -> dict:
    with translation.override("en"):
        return rest_api.get_openapi_schema()


def api_gets() -> list[ApiGet]:
    """Every GET of the REST API, from its OpenAPI schema."""
    found = []
    for path, operations in api_schema()["paths"].items():
        if "get" in operations:
            parameters = operations["get"].get("parameters", [])
            params = frozenset(p["name"] for p in parameters if p["in"] == "path")
            found.append(ApiGet(path, params))
    return found


#: How to fill the path of a GET by the names of its parameters: each GET taking one of these
#: sets is fetched for every value about the two cases, so a new endpoint of a known shape is
#: fetched as soon as it exists; one taking other parameters fails
#: ``test_every_api_get_is_covered`` until it is added here or to ``API_NOT_ABOUT_CASES``.
API_FILL = {
    frozenset({"case_id"}): lambda w: [{"case_id": case.pk} for case in w.cases],
    frozenset({"case_id", "assignment_id"}): lambda w: [
        {"case_id": part.case_id, "assignment_id": part.pk}
        for part in Assignment.objects.filter(case__in=w.cases).order_by("pk")
    ],
    frozenset({"case_id", "attachment_id"}): lambda w: [
        {"case_id": w.case.pk, "attachment_id": pk} for pk in _attachments(w)
    ],
}

#: GETs whose parameters name something that is not a case's data.
API_NOT_ABOUT_CASES = {"/api/v1/calendar/years/{year}"}

#: The case list is fetched bare and with these filters, sorts and page sizes (each finds one
#: or both cases), and searched by each identity value (which finds neither).
API_IDENTITY_SEARCHES = [f"?q={quote(value)}" for value in IDENTITY.values()]
API_QUERIES = {
    "/api/v1/cases": [
        "?q=" + quote("社保"),
        "?number=XN-2025",
        "?registered_from=2025-03-01&registered_to=2025-03-31",
        "?status=closed&status=callback",
        "?channel=api",
        "?handling_unit=TZ-RSJ&subject_unit=TZ-RSJ",
        "?supervised=yes&returned=true",
        "?finding=substantiated&satisfaction=satisfied&solved=solved",
        "?sort=-number&limit=1",
        "?sort=status&limit=200",
        *API_IDENTITY_SEARCHES,
    ],
}


def api_auth(user) -> tuple[object, dict]:
    """A new personal token of ``user`` and the ``Authorization`` header that sends it."""
    token, secret = token_create(actor=user, name="complainant protection", expires_in_days=30)
    return token, {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def api_requests(world: World, user) -> list[tuple[str, str, dict]]:
    """The REST API's requests about the case, checked exactly like the pages:
    ``(method, path, headers)`` with a personal token of ``user``: every GET of the OpenAPI
    schema, its path filled from ``API_FILL``, the case list also with ``API_QUERIES``."""
    _token, headers = api_auth(user)
    paths = []
    for get in api_gets():
        if get.path in API_NOT_ABOUT_CASES:
            continue
        if get.params:
            paths += [get.path.format(**kwargs) for kwargs in API_FILL[get.params](world)]
        else:
            paths += [get.path + query for query in ["", *API_QUERIES.get(get.path, [])]]
    return [("GET", path, headers) for path in paths]


def test_every_api_get_is_covered():
    """Every GET of the REST API is fetched with the case's ids or declared unrelated to
    cases, and the schema documents every route the API serves: nothing is skipped."""
    gets = api_gets()
    unknown = sorted(
        get.path
        for get in gets
        if get.params and get.params not in API_FILL and get.path not in API_NOT_ABOUT_CASES
    )
    assert unknown == []
    assert API_NOT_ABOUT_CASES | set(API_QUERIES) <= {get.path for get in gets}
    root = reverse("api:v1:api-root")
    documented = {re.sub(r"\{(\w+)\}", r"<\1>", path) for path in api_schema()["paths"]}
    served = {
        root + str(pattern.pattern)
        for pattern in rest_api.urls[0]
        if isinstance(pattern, URLPattern)
        and pattern.name not in {"openapi-json", "openapi-view", "api-root"}
    }
    assert served == documented


# --- Open311 ---------------------------------------------------------------------------------

#: How to fill each route of the Open311 interface (the routes answering in JSON or XML).
OPEN311_FILL = {
    "open311:discovery": lambda w: [{}],
    "open311:services": lambda w: [{}],
    "open311:service_definition": lambda w: [{"service_code": w.filed.service.service_code}],
    "open311:requests": lambda w: [{}],
    "open311:request_detail": lambda w: [{"service_request_id": c.number} for c in w.cases],
    "open311:token": lambda w: [{"token": w.filed.token}],
}

#: Query strings tried beside the bare URL: the filters that find the filed request (it was
#: filed in March 2025, before the default window of the last 90 days).
OPEN311_QUERIES = {
    "open311:requests": lambda w: [
        "start_date=2025-03-01T00:00:00%2B08:00&end_date=2025-03-31T23:59:59%2B08:00",
        "start_date=2025-03-01T00:00:00%2B08:00&status=open&service_code=TWCP-1",
        f"service_request_id={w.case.number},{w.filed.case.number}",
    ],
}

#: Who reads: no key (anyone may read requests), the client that filed it, another client.
OPEN311_CALLERS = (None, "filer", "other")


def open311_routes() -> list[Route]:
    return [r for r in routes() if namespace(r.name) == "open311" and "fmt" in r.params]


def open311_requests(world: World, caller: str | None) -> list[str]:
    """Every URL of the Open311 interface about the cases, in JSON and XML, as ``caller``."""
    key = f"api_key={world.open311_keys[caller]}" if caller else ""
    urls = []
    for route in open311_routes():
        queries = ["", *OPEN311_QUERIES.get(route.name, lambda w: [])(world)]
        for kwargs in OPEN311_FILL[route.name](world):
            for fmt in ("json", "xml"):
                base = reverse(route.name, kwargs={**kwargs, "fmt": fmt})
                for query in queries:
                    query = "&".join(part for part in (query, key) if part)
                    urls.append(f"{base}?{query}" if query else base)
    return urls


def test_every_open311_route_is_covered():
    assert sorted(r.name for r in open311_routes() if r.name not in OPEN311_FILL) == []
    assert set(OPEN311_QUERIES) <= set(OPEN311_FILL)


def namespace(name: str) -> str:
    return name.split(":", 1)[0] if ":" in name else ""


def test_every_route_is_covered():
    """A route of the staff site that takes a parameter is either filled with the case's ids
    or declared unrelated to cases; nothing is skipped silently."""
    unknown = sorted(
        route.name
        for route in routes()
        if route.params
        and namespace(route.name) not in OTHER_SURFACES
        and route.name not in FILL
        and route.name not in NOT_ABOUT_CASES
    )
    assert unknown == []
    names = {route.name for route in routes()}
    assert set(FILL) | NOT_ABOUT_CASES | set(QUERIES) <= names


@dataclass
class Fetched:
    label: str
    status: int
    body: bytes
    location: str = ""

    @property
    def ours(self) -> bool:
        """Whether the URL belongs to the staff site (not to one of ``OTHER_SURFACES``)."""
        path = self.label.split(" ")[1]
        match = resolve(path.split("?")[0])
        return namespace(match.view_name) not in OTHER_SURFACES


def server_errors(fetched: list[Fetched]) -> list[str]:
    return [f.label for f in fetched if f.status >= 500 and f.ours]


def without_echo(label: str, body: bytes) -> bytes:
    """``body`` without the search term the reader typed, if the request was a search by the
    identity."""
    for (name, query), typed in IDENTITY_SEARCHES.items():
        if label.startswith(f"GET {reverse(name)}{query}"):
            for form in _encodings(typed):
                body = body.replace(form.encode(), b"")
    return body


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def fetch_everything(client, world: World, user, *, post_actions: bool) -> list[Fetched]:
    """Every page, fragment, export and download of the site for ``user`` (signed in on
    ``client``), and the case's action forms posted empty when ``post_actions``."""
    results = []
    # Another surface's page that fails is that surface's test's business: recorded, not raised.
    client.raise_request_exception = False

    def get(label: str, url: str, **headers):
        response = client.get(url, **headers)
        body = without_echo(label, _body(response))
        results.append(Fetched(label, response.status_code, body, response.get("Location", "")))
        return response

    for route in routes():
        if route.name in NEVER_FETCHED or route.name in NOT_ABOUT_CASES:
            continue
        if route.params:
            if route.name not in FILL:
                continue  # another surface's route (OTHER_SURFACES)
            urls = [reverse(route.name, kwargs=kwargs) for kwargs in FILL[route.name](world, user)]
        else:
            if route.name.endswith("<unnamed>"):
                continue
            base = reverse(route.name)
            urls = [base] + [base + query for query in QUERIES.get(route.name, [])]
        for url in urls:
            get(f"GET {url}", url)
            get(f"GET {url} (HTMX)", url, HTTP_HX_REQUEST="true")
    if post_actions:
        for name, fill in FILL.items():
            if not (name.startswith("cases:action_") or name == "cases:complainant_reveal"):
                continue
            for kwargs in fill(world, user):
                url = reverse(name, kwargs=kwargs)
                response = client.post(url, {}, HTTP_HX_REQUEST="true")
                results.append(Fetched(f"POST {url}", response.status_code, _body(response)))
    for method, path, headers in api_requests(world, user):
        response = client.generic(method, path, **headers)
        results.append(Fetched(f"{method} {path}", response.status_code, _body(response)))
    return results


def case_state(case: Case) -> tuple:
    case.refresh_from_db()
    return (
        case.status,
        case.version,
        CaseEvent.objects.filter(case=case).count(),
        tuple(case.assignments.values_list("status", "version")),
        Attachment.objects.filter(case=case).count(),
    )


# --- outside the office: nothing identifying --------------------------------------------------

#: The complainant of the case as the API shows it to whoever sees the case.
MASKED_COMPLAINANT = {
    "anonymous": False,
    "name": "慕***",
    "phone": MASKED_PHONE,
    "id_number": "51**************1X",
    "address": "天洲区***",
}
FULL_IDENTITY = {"anonymous": False, **IDENTITY, "email": EMAIL}


def api_answers(fetched: list[Fetched]) -> dict[str, Fetched]:
    """The REST API's answers among ``fetched``, by path."""
    prefix = "GET /api/v1/"
    return {f.label[4:]: f for f in fetched if f.label.startswith(prefix)}


def api_reveal(client, world: World, headers: dict, key: str):
    """``POST /cases/{id}/identity`` with the token in ``headers``."""
    return client.post(
        f"/api/v1/cases/{world.case.pk}/identity",
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
        **headers,
    )


def check_api_like_the_screens(world: World, user, persona: str, fetched: list[Fetched]):
    """What the REST API gave ``persona`` outside the office: the case, masked, and the same
    files as on the screens to those who see it; nothing (404, or 403 without a case role) to
    the rest. No answer is a server error, and no search by the identity finds a case."""
    api = api_answers(fetched)
    assert sorted(path for path, f in api.items() if f.status >= 500) == []
    case = world.case
    download = {a: api[f"/api/v1/cases/{case.pk}/attachments/{a.pk}"] for a in world_files(world)}
    listing = api["/api/v1/cases"]
    if persona in SEES_CASE:
        read = json.loads(api[f"/api/v1/cases/{case.pk}"].body)
        assert (read["number"], read["complainant"]) == (case.number, MASKED_COMPLAINANT)
        files = json.loads(api[f"/api/v1/cases/{case.pk}/attachments"].body)
        assert {f["id"] for f in files} == {
            world.redacted.pk,
            world.released.pk,
            world.evidence.pk,
        }
        assert (download[world.letter].status, download[world.photo].status) == (404, 404)
        assert (download[world.redacted].status, download[world.redacted].body) == (200, REDACTED)
        assert (download[world.released].status, download[world.released].body) == (200, PDF)
        assert download[world.evidence].status == 200
        numbers = [row["number"] for row in json.loads(listing.body)["items"]]
        assert sorted(numbers) == sorted(c.number for c in world.cases)
    else:
        refused = 404 if user.roles & CASE_ROLES else 403
        about_a_case = {f.status for path, f in api.items() if path.startswith("/api/v1/cases/")}
        assert about_a_case == {refused}
        if refused == 404:
            assert (listing.status, json.loads(listing.body)["items"]) == (200, [])
        else:
            assert listing.status == 403
    for query in API_IDENTITY_SEARCHES:
        body = api["/api/v1/cases" + query].body
        assert [c.number for c in world.cases if c.number.encode() in body] == [], query


def world_files(world: World) -> tuple[Attachment, ...]:
    return (world.letter, world.photo, world.redacted, world.released, world.evidence)


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_nothing_outside_the_office_shows_the_complainant(client, world, persona):
    user = world.people[persona]
    client.force_login(user)
    before = case_state(world.case)
    fetched = fetch_everything(client, world, user, post_actions=True)

    leaked = {f.label: leaks(f.body) for f in fetched if leaks(f.body)}
    assert leaked == {}
    login = reverse("accounts:login")
    assert [f.label for f in fetched if f.location.startswith(login)] == []
    assert server_errors(fetched) == []
    assert case_state(world.case) == before  # nothing posted changed the case

    by_label = {f.label: f for f in fetched}
    page = by_label[f"GET /cases/{world.case.pk}/"]
    downloads = {a: by_label[f"GET /cases/attachments/{a.pk}/"] for a in world_files(world)}
    if persona in SEES_CASE:
        # The test saw the real page: the case and its masked complainant.
        assert page.status == 200
        assert world.case.number.encode() in page.body and MASKED_PHONE.encode() in page.body
        # The originals stay with the office; the unit gets the redacted copy instead.
        assert downloads[world.letter].status == 404
        assert downloads[world.photo].status == 404
        assert (downloads[world.redacted].status, downloads[world.redacted].body) == (200, REDACTED)
        assert (downloads[world.released].status, downloads[world.released].body) == (200, PDF)
        assert downloads[world.evidence].status == 200
    else:
        assert page.status == 404
        assert {d.status for d in downloads.values()} == {404}
    assert by_label[f"POST /cases/{world.case.pk}/identity/"].status == 404
    for name, query in IDENTITY_SEARCHES:
        response = by_label[f"GET {reverse(name)}{query}"]
        for case in world.cases:
            assert case.number.encode() not in response.body, (name, query)

    check_api_like_the_screens(world, user, persona, fetched)
    # Nor does the API's reveal of the identity answer, or write a view of it.
    response = api_reveal(client, world, api_auth(user)[1], key="reveal-1")
    hidden = 404 if user.roles & CASE_ROLES and persona not in SEES_CASE else 403
    assert (response.status_code, leaks(response.content)) == (hidden, [])
    assert not AuditEntry.objects.filter(action="cases.case.view_protected", actor=user).exists()


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_no_notification_or_e_mail_of_an_outsider_shows_the_complainant(world, persona):
    user = world.people[persona]
    for notification in Notification.objects.filter(recipient=user):
        title, body = render_notification(notification)
        stored = json.dumps([notification.params, notification.url, title, body])
        assert leaks(stored) == [], notification.code
    for message in mail.outbox:
        if user.email in message.to:
            assert leaks(f"{message.subject}\n{message.body}") == []


def test_the_original_stays_withheld_whatever_its_id(client, world):
    """Trying the download URL of every attachment id gives a unit nothing it may not see."""
    client.force_login(world.people["handler_a"])
    visible = {world.redacted.pk, world.released.pk, world.evidence.pk}
    ids = list(Attachment.objects.values_list("pk", flat=True))
    for pk in [*ids, max(ids) + 1, max(ids) + 1000]:
        response = client.get(f"/cases/attachments/{pk}/")
        assert response.status_code == (200 if pk in visible else 404), pk


# --- the office: the identity only through the audited reveal and the originals --------------


@pytest.mark.parametrize("persona", OFFICE)
def test_the_office_sees_the_identity_only_where_it_is_audited(client, world, persona):
    user = world.people[persona]
    client.force_login(user)
    reveal_url = reverse("cases:complainant_reveal", kwargs={"pk": world.case.pk})
    letter_url = reverse("cases:attachment_download", kwargs={"pk": world.letter.pk})
    letter_api = f"/api/v1/cases/{world.case.pk}/attachments/{world.letter.pk}"
    views_before = AuditEntry.objects.filter(action="cases.case.view_protected").count()

    fetched = fetch_everything(client, world, user, post_actions=False)
    leaked = {f.label for f in fetched if leaks(f.body)}
    # Exports, statistics, searches, notifications, the case page (masked), every GET of the
    # API: nothing; only the original letter, whose every download is audited.
    assert leaked == {f"GET {letter_url}", f"GET {letter_url} (HTMX)", f"GET {letter_api}"}
    assert server_errors(fetched) == []
    api = api_answers(fetched)
    assert sorted(path for path, f in api.items() if f.status >= 500) == []
    read = json.loads(api[f"/api/v1/cases/{world.case.pk}"].body)
    assert read["complainant"] == MASKED_COMPLAINANT
    numbers = [row["number"] for row in json.loads(api["/api/v1/cases"].body)["items"]]
    assert sorted(numbers) == sorted(c.number for c in world.cases)

    response = client.post(reveal_url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert leaks(response.content) == ["address", "id_number", "name", "phone"]
    entries = AuditEntry.objects.filter(action="cases.case.view_protected").order_by("position")
    assert entries.count() == views_before + 1
    entry = entries.last()
    assert (entry.actor, entry.object_id, entry.data) == (
        user,
        str(world.case.pk),
        {"fields": ["address", "email", "id_number", "name", "phone"], "reason": "view"},
    )
    downloads = AuditEntry.objects.filter(
        action="cases.attachment.download", actor=user, object_id=str(world.letter.pk)
    )
    assert downloads.count() == 3  # the plain and the HTMX request above, and the API's

    # The API's reveal: the identity in full, audited like the screen's, naming the token;
    # sent again under the same Idempotency-Key it is read (and audited) again, and no
    # stored answer keeps it.
    token, headers = api_auth(user)
    for expected_views in (views_before + 2, views_before + 3):
        response = api_reveal(client, world, headers, key="reveal-1")
        assert (response.status_code, response.json()) == (200, FULL_IDENTITY)
        assert entries.count() == expected_views
        entry = entries.last()
        assert (entry.actor, entry.object_id, entry.data) == (
            user,
            str(world.case.pk),
            {
                "fields": ["address", "email", "id_number", "name", "phone"],
                "reason": "view",
                "api_token": {"id": token.pk, "prefix": token.prefix},
            },
        )
    assert [r.pk for r in IdempotencyRecord.objects.all() if leaks(bytes(r.body))] == []


# --- Open311: nobody reads the identity ------------------------------------------------------


@pytest.mark.parametrize("caller", OPEN311_CALLERS, ids=["no-key", "filer", "other-client"])
def test_no_open311_answer_shows_the_complainant(client, world, caller):
    """Every Open311 answer about the cases, in JSON and XML, to a caller without a key, the
    hotline that filed the complaint and another client: the request is there, the filer
    reads its own words and the approved reply masked, and no answer holds the identity.
    (Open311 answers depend on the API key alone, not on who is signed in.)"""
    answers = {
        url: client.get(url, HTTP_ACCEPT_LANGUAGE="en") for url in open311_requests(world, caller)
    }
    assert {url: leaks(r.content) for url, r in answers.items() if leaks(r.content)} == {}
    assert {url: r.status_code for url, r in answers.items() if r.status_code != 200} == {
        url: 404 for url in answers if f"/requests/{world.case.number}." in url
    }  # the case registered by the clerk was not filed through Open311
    key = f"api_key={world.open311_keys[caller]}" if caller else ""
    detail = f"/open311/v2/requests/{world.filed.case.number}.json"
    [record] = answers[f"{detail}?{key}" if key else detail].json()
    mine = caller == "filer"
    assert (record["service_request_id"], record["status"]) == (world.filed.case.number, "open")
    assert (record["description"], record["status_notes"]) == (
        (FILED_MASKED, FILED_REPLY) if mine else (None, "The office approved the reply")
    )
    march = OPEN311_QUERIES["open311:requests"](world)[0]
    listed = answers["/open311/v2/requests.json?" + "&".join(filter(None, (march, key)))].json()
    assert [r["service_request_id"] for r in listed] == [world.filed.case.number]


def test_the_case_text_was_scrubbed_at_registration(world):
    case = world.case
    assert case.content == (
        "我是慕***，电话 139****4321，身份证号51**************1X，住天洲区***。"
        "三月初到区人社局办理社保转移，窗口三次让我找别的部门。"
    )
    assert leaks(case.search_text) == []
    assert world.case.callbacks.get().note == "电话回访慕***（139****4321），本人表示满意。"
    person = case.complainant
    assert (person.name, person.phone, person.id_number, person.address, person.email) == (
        NAME,
        PHONE,
        ID_NUMBER,
        ADDRESS,
        EMAIL,
    )


def test_no_table_holds_the_identity_in_plain_text(world):
    """A raw read of the whole database: the identity is only in encrypted form."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes | bytearray):
                        value = bytes(value)
                    elif value is not None and not isinstance(value, str):
                        value = json.dumps(value, default=str, ensure_ascii=False)
                    if value:
                        assert leaks(value) == [], (table, row)


# --- scrubbing the complaint's words -----------------------------------------------------------


def test_scrubbing_masks_each_value_however_it_is_written():
    identity = Identity(name=NAME, phone=PHONE, id_number=ID_NUMBER, address=ADDRESS, email=EMAIL)
    text = (
        f"{NAME}说：电话１３９８７６５４３２１或+86 139-8765-4321，身份证{ID_NUMBER.lower()}，"
        f"邮箱{EMAIL.upper()}，地址{ADDRESS}；订单号2013987654321001不变。"
    )
    assert scrub_identity(text, identity) == (
        "慕***说：电话139****4321或+86 139****4321，身份证51**************1X，"
        "邮箱***@***，地址天洲区***；订单号2013987654321001不变。"
    )
    assert scrub_identity(text, Identity()) == text
    assert scrub_identity("李明确表示不满", Identity(name="李")) == "李明确表示不满"


def test_an_anonymous_complaint_keeps_its_words(register):
    case = register(complainant=s.ComplainantData(anonymous=True), content=CONTENT)
    assert case.content == CONTENT


# --- releasing files to the units ---------------------------------------------------------------


@pytest.fixture
def dispatched(media, register, clerk, supervisor, unit_a):
    case = register(
        complainant=s.ComplainantData(name=NAME, phone=PHONE, id_number=ID_NUMBER, address=ADDRESS)
    )
    s.case_accept(actor=clerk, case=case)
    s.case_dispatch(actor=supervisor, case=case, mode="transfer", lead=s.UnitPart(unit_a))
    return case


def test_a_file_showing_the_identity_cannot_be_released(dispatched, clerk, supervisor):
    letter = att.attachment_add(
        actor=clerk, case=dispatched, file=upload("投诉信.txt", LETTER), kind="original"
    )
    with pytest.raises(ValidationError) as excinfo:
        att.attachment_release(actor=supervisor, attachment=letter, releasable=True)
    assert excinfo.value.error_dict["file"][0].code == "identity_in_file"
    letter.refresh_from_db()
    assert letter.releasable is False
    assert not CaseEvent.objects.filter(code="case.attachment_released").exists()

    photo = att.attachment_add(
        actor=clerk, case=dispatched, file=upload("现场照片.jpg", JPEG), kind="original"
    )
    att.attachment_release(actor=supervisor, attachment=photo, releasable=True)  # unreadable


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("遮挡件.txt", f"电话 {PHONE[:3]}-{PHONE[3:7]}-{PHONE[7:]}".encode()),
        (f"{NAME}.txt", "已遮挡".encode()),
        ("遮挡件.docx", docx(extra={"word/header1.xml": "<w:t>慕容</w:t><w:t>雪晴</w:t>"})),
        ("遮挡件.pdf", PDF.replace(b"trailer", f"({ID_NUMBER}) Tj trailer".encode())),
    ],
    ids=["phone-in-text", "name-in-file-name", "name-split-in-docx", "id-in-pdf"],
)
def test_a_redacted_copy_still_showing_the_identity_is_refused(dispatched, clerk, name, content):
    original = att.attachment_add(
        actor=clerk, case=dispatched, file=upload("投诉信.txt", LETTER), kind="original"
    )
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        att.attachment_add_redacted(actor=clerk, attachment=original, file=upload(name, content))
    [error] = excinfo.value.error_dict["file"]
    assert error.code == "identity_in_file"
    assert error.messages == [
        f"The redacted copy “{name}” still shows the complainant's identity (name, phone, ID "
        "number, address or e-mail). Black it out, or rename the file, and upload it again."
    ]
    assert not Attachment.objects.filter(kind="redacted").exists()


def test_an_office_upload_released_at_once_is_checked_too(dispatched, clerk):
    with pytest.raises(ValidationError):
        att.attachment_add(
            actor=clerk,
            case=dispatched,
            file=upload("说明.txt", f"联系人{NAME}".encode()),
            kind="evidence",
            releasable=True,
        )
    kept = att.attachment_add(
        actor=clerk,
        case=dispatched,
        file=upload("说明.txt", f"联系人{NAME}".encode()),
        kind="evidence",
    )
    assert kept.releasable is False


def test_the_release_button_explains_the_refusal(client, dispatched, clerk, supervisor):
    letter = att.attachment_add(
        actor=clerk, case=dispatched, file=upload("投诉信.txt", LETTER), kind="original"
    )
    client.force_login(supervisor)
    response = client.post(
        reverse("cases:attachment_release", kwargs={"pk": letter.pk}),
        {"releasable": "1"},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert (
        "“投诉信.txt” shows the complainant's identity (name, phone, ID number, address or "
        "e-mail) and cannot be released to the handling unit. Upload a redacted copy instead."
    ) in html.unescape(response.content.decode())
    letter.refresh_from_db()
    assert letter.releasable is False


def test_identity_in_file_reads_text_documents_only():
    identity = Identity(name=NAME, phone=PHONE)
    assert identity_in_file(
        name="a.txt", data=LETTER, content_type="text/plain", identity=identity
    ) == ["name", "phone"]
    assert (
        identity_in_file(name="a.jpg", data=JPEG, content_type="image/jpeg", identity=identity)
        == []
    )
    assert identity_in_file(
        name=f"{PHONE}.jpg", data=JPEG, content_type="image/jpeg", identity=identity
    ) == ["phone"]
    assert (
        identity_in_file(name="a.txt", data=LETTER, content_type="text/plain", identity=Identity())
        == []
    )


def test_registration_keeps_the_masked_words_for_everyone(client, world):
    """The unit reads the complaint's own words with the identity masked."""
    client.force_login(world.people["handler_a"])
    page = client.get(reverse("cases:case_detail", kwargs={"pk": world.case.pk}))
    text = html.unescape(page.content.decode())
    assert "我是慕***，电话 139****4321" in text
    assert "电话回访慕***（139****4321）" in text
