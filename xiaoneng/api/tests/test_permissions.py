"""The permission matrix of the API: anonymous callers get 401 on every endpoint; a token of
another unit gets 404 on every endpoint that concerns unit A's case (its existence is not
revealed) and changes nothing; a role without the right gets 403 and changes nothing; the
right role succeeds (see also test_lifecycle)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from xiaoneng.api.openapi import schema_text
from xiaoneng.audit.models import AuditEntry
from xiaoneng.cases import services as s
from xiaoneng.cases.models import Case, CaseEvent

pytestmark = pytest.mark.django_db


def _operations() -> list[tuple[str, str, str]]:
    """(method, path template, operation id) of every endpoint in the schema."""
    import json

    schema = json.loads(schema_text())
    return [
        (method.upper(), path.removeprefix("/api/v1"), operation["operationId"])
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    ]


OPERATIONS = _operations()
CASE_OPERATIONS = [op for op in OPERATIONS if "{case_id}" in op[1]]


@pytest.fixture
def world(handling, clerk, supervisor, director, leader, liaison_a, handler_a, unit_a):
    """Unit A's case being handled, with an extension request, a major-issue milestone and an
    attachment; a second case of unit A that the unit returned."""
    case = handling
    part = case.assignments.get()
    extension = s.extension_request(actor=handler_a, assignment=part, amount=2, reason="外调")
    s.case_mark_major(actor=supervisor, case=case, leader=leader)
    milestone = s.milestone_add(
        actor=supervisor, case=case, title="约谈", due_on=case.registered_at.date()
    )
    other = s.case_register(
        actor=clerk,
        channel="letter",
        category=case.category,
        summary="另一件投诉",
        content="反映窗口服务态度问题。",
        complainant=s.ComplainantData(anonymous=True),
        subject_units=[unit_a],
    )
    s.case_accept(actor=clerk, case=other)
    s.case_dispatch(actor=supervisor, case=other, mode="transfer", lead=s.UnitPart(unit_a))
    returned = s.assignment_return(
        actor=liaison_a, assignment=other.assignments.get(), reason="非本单位职责"
    )
    case.refresh_from_db()
    return {
        "case": case,
        "other": other,
        "ids": {
            "case_id": case.pk,
            "assignment_id": part.pk,
            "attachment_id": case.attachments.get().pk,
            "extension_id": extension.pk,
            "milestone_id": milestone.pk,
            "return_id": returned.pk,
        },
        "leader": leader,
        "handler": handler_a,
    }


def _bodies(world) -> dict:
    number = world["other"].number
    return {
        "case_identity": {},
        "case_accept": {},
        "case_reject": {"reason": "不属受理范围"},
        "case_dispatch": {"mode": "transfer", "lead_unit": "TZ-RSJ"},
        "case_supervise": {"level": "general", "text": "限期办结"},
        "case_review": {"approve": True},
        "case_callback": {"satisfaction": "satisfied", "solved": "solved"},
        "case_redo": {"reason": "重办"},
        "case_close_out": {},
        "case_close_request": {"explanation": "已解决"},
        "case_close_signoff": {"approve": True},
        "case_suspend": {"reason": "等待材料"},
        "case_resume": {},
        "case_mark_major": {"leader": world["leader"].pk},
        "case_milestones": {"title": "回访", "due_on": "2030-01-31"},
        "case_accountability": {"kind": "criticism", "unit": "TZ-RSJ", "decided_on": "2030-01-31"},
        "case_instructions": {"text": "请抓紧办理"},
        "case_links": {"other": number},
        "case_merge": {"into": number},
        "case_milestone_reach": {"evidence": "已约谈"},
        "case_return_ruling": {"ruling": "insist"},
        "case_extension_decision": {"approve": True},
        "assignment_sign": {},
        "assignment_assign_handler": {"handler": world["handler"].pk},
        "assignment_progress": {"note": "进展"},
        "assignment_reply": {"reply_text": "已办结", "finding": "substantiated"},
        "assignment_return": {"reason": "非本单位职责"},
        "assignment_head_decision": {"approve": True},
        "assignment_extension_request": {"amount": 1, "reason": "外调"},
    }


def _call(client, method: str, template: str, operation: str, ids: dict, bodies: dict):
    path = re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), template)
    if method == "GET":
        return client.get(path)
    if operation == "case_attachment_upload":
        return client.upload(
            path, {"file": SimpleUploadedFile("a.txt", b"evidence\n"), "kind": "evidence"}
        )
    return client.post(path, bodies.get(operation, {}))


def _state(case: Case) -> tuple:
    case.refresh_from_db()
    return (
        case.version,
        case.status,
        AuditEntry.objects.count(),
        CaseEvent.objects.count(),
        case.attachments.count(),
    )


def test_every_case_endpoint_is_covered_here(world):
    posts = {op for method, _path, op in CASE_OPERATIONS if method == "POST"}
    assert posts - {"case_attachment_upload"} == set(_bodies(world))


def test_anonymous_callers_get_401_everywhere(api, world):
    for method, template, operation in OPERATIONS:
        ids = {**world["ids"], "year": 2026}
        response = _call(api, method, template, operation, ids, _bodies(world))
        assert response.status_code == 401, (operation, response.content)
        assert response.json()["code"] == "not_authenticated"
        assert response["WWW-Authenticate"] == 'Bearer realm="xiaoneng"'


def test_a_foreign_units_token_gets_404_on_every_endpoint_of_the_case(as_user, handler_b, world):
    client = as_user(handler_b)
    before = _state(world["case"])
    checked = []
    for method, template, operation in CASE_OPERATIONS:
        response = _call(client, method, template, operation, world["ids"], _bodies(world))
        assert response.status_code == 404, (operation, response.content)
        assert response.json()["code"] == "not_found"
        checked.append(operation)
    assert len(checked) == 35
    assert _state(world["case"]) == before
    # …and the case is not in its list either.
    assert client.get("/cases").json() == {"items": [], "next_cursor": None}


WRONG_ROLE = [
    # (persona, method, path template, operation)
    ("liaison_a", "POST", "/cases/{case_id}/accept", "case_accept"),
    ("supervisor", "POST", "/cases/{case_id}/accept", "case_accept"),
    ("clerk", "POST", "/cases/{case_id}/dispatch", "case_dispatch"),
    ("handler_a", "POST", "/cases/{case_id}/dispatch", "case_dispatch"),
    ("handler_a", "POST", "/cases/{case_id}/identity", "case_identity"),
    ("leader", "POST", "/cases/{case_id}/identity", "case_identity"),
    ("leader", "POST", "/cases/{case_id}/review", "case_review"),
    ("supervisor", "POST", "/cases/{case_id}/instructions", "case_instructions"),
    ("supervisor", "POST", "/cases/{case_id}/extensions/{extension_id}/decision",
     "case_extension_decision"),
    ("leader", "POST", "/cases/{case_id}/assignments/{assignment_id}/progress",
     "assignment_progress"),
    ("handler_a", "POST", "/cases/{case_id}/assignments/{assignment_id}/return",
     "assignment_return"),
    ("handler_a", "POST", "/cases/{case_id}/assignments/{assignment_id}/head-decision",
     "assignment_head_decision"),
    ("leader", "GET", "/cases/{case_id}/assignments/{assignment_id}/handlers",
     "case_assignment_handlers"),
    ("inspector", "GET", "/cases/{case_id}", "case_read"),
    ("sysadmin", "GET", "/cases/{case_id}/timeline", "case_timeline"),
    ("auditadmin", "GET", "/cases/{case_id}/attachments", "case_attachments"),
    ("leader", "POST", "/cases/{case_id}/attachments", "case_attachment_upload"),
]  # fmt: skip


@pytest.mark.parametrize(("persona", "method", "template", "operation"), WRONG_ROLE)
def test_a_role_without_the_right_gets_403_and_nothing_changes(
    request, as_user, world, inspector, sysadmin, auditadmin, persona, method, template, operation
):
    client = as_user(request.getfixturevalue(persona))
    before = _state(world["case"])
    response = _call(client, method, template, operation, world["ids"], _bodies(world))
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "forbidden"
    assert _state(world["case"]) == before


@pytest.mark.parametrize("persona", ["handler_a", "sysadmin", "leader"])
def test_only_intake_clerks_register(api, as_user, request, persona, unit_a, sysadmin):
    response = as_user(request.getfixturevalue(persona)).post(
        "/cases",
        {
            "category": "TWCP",
            "summary": "投诉",
            "content": "内容",
            "complainant": {"anonymous": True},
        },
    )
    assert response.status_code == 403
    assert Case.objects.count() == 0


@pytest.mark.parametrize("persona", ["inspector", "sysadmin", "secadmin", "auditadmin"])
def test_roles_without_cases_may_not_list_them(as_user, request, persona, handling):
    response = as_user(request.getfixturevalue(persona)).get("/cases")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_the_right_roles_act(as_user, world, leader, director):
    case_id = world["case"].pk
    response = as_user(leader).post(f"/cases/{case_id}/instructions", {"text": "请抓紧办理"})
    assert response.status_code == 200
    assert [i["text"] for i in response.json()["instructions"]] == ["请抓紧办理"]
    extension = world["ids"]["extension_id"]
    response = as_user(director).post(
        f"/cases/{case_id}/extensions/{extension}/decision", {"approve": False, "note": "理由不足"}
    )
    assert response.status_code == 200
    assert response.json()["extension_requests"][0]["status"] == "refused"


def test_a_unit_reads_the_case_as_its_page_shows_it(as_user, world, liaison_a):
    case = as_user(liaison_a).get(f"/cases/{world['case'].pk}").json()
    # The complainant masked as on every screen; the office's unreleased original hidden.
    assert case["complainant"]["name"] == "张**"
    assert as_user(liaison_a).get(f"/cases/{world['case'].pk}/attachments").json() == []
    identity = as_user(liaison_a).post(f"/cases/{world['case'].pk}/identity")
    assert identity.status_code == 403
