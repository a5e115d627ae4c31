"""A case's whole life through the API alone, each step with a token of the role that takes it
on the screens: registration (intake clerk), acceptance, dispatch (supervisor), signing
(unit liaison), progress and reply (handler), the unit head's approval, review, callback and
close-out; and the side paths: return (退单) and the office's ruling, extension, suspension."""

from __future__ import annotations

import pytest

from xiaoneng.audit.models import AuditEntry
from xiaoneng.cases.models import Case
from xiaoneng.cases.services import case_settings_update

pytestmark = pytest.mark.django_db

REGISTRATION = {
    "channel": "phone",
    "category": "TWCP",
    "urgency": "urgent",
    "summary": "办理社保转移被多次推诿",
    "content": "今年三月起去区人社局办理社保转移，窗口三次让我找别的部门。",
    "place": "区政务服务中心",
    "subject_units": ["TZ-RSJ"],
    "complainant": {
        "name": "张三丰",
        "phone": "13812345678",
        "id_number": "330102199001011234",
        "address": "天洲区青石镇幸福路8号",
    },
}


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content.decode()
    return response.json()


def test_a_case_from_registration_to_close_out(
    as_user, clerk, supervisor, director, liaison_a, handler_a, unit_head_a, unit_a
):
    case_settings_update(actor=director, unit_head_approval=True)
    office_clerk, office_supervisor = as_user(clerk), as_user(supervisor)
    unit_liaison, unit_handler, unit_head = (
        as_user(liaison_a),
        as_user(handler_a),
        as_user(unit_head_a),
    )

    # Registration (挂号) by the intake clerk.
    response = office_clerk.post("/cases", REGISTRATION)
    case = _ok(response, 201)
    case_id = case["id"]
    assert response["Location"] == f"/api/v1/cases/{case_id}"
    assert case["number"] == Case.objects.get().number
    assert case["status"] == "registered"
    assert case["status_label"] == "已登记"
    assert case["channel"] == "phone"
    assert case["urgency"] == "urgent"
    assert case["subject_units"] == [{"id": unit_a.pk, "code": "TZ-RSJ", "name": unit_a.name}]
    assert case["complainant"] == {
        "anonymous": False,
        "name": "张**",
        "phone": "138****5678",
        "id_number": "33**************34",
        "address": "天洲区***",
    }
    assert case["registered_by"] == "李受理"
    assert case["actions"] == [
        "accept",
        "attach",
        "link",
        "merge",
        "reject",
        "release_attachment",
        "reveal_identity",
    ]
    assert [d["stage"] for d in case["deadlines"]] == ["acceptance"]

    case = _ok(office_clerk.post(f"/cases/{case_id}/accept", {"version": case["version"]}))
    assert case["status"] == "accepted"

    case = _ok(
        office_supervisor.post(
            f"/cases/{case_id}/dispatch",
            {"mode": "transfer", "lead_unit": "TZ-RSJ", "lead_part": "核实窗口推诿情况"},
        )
    )
    assert case["status"] == "dispatched"
    assert case["dispatch_mode"] == "transfer"
    [part] = case["assignments"]
    assert part["unit"]["code"] == "TZ-RSJ"
    assert part["status"] == "pending_sign"
    assignment = f"/cases/{case_id}/assignments/{part['id']}"

    # The unit: its liaison sees what it may do, names the handler and signs for the part.
    seen = _ok(unit_liaison.get(f"/cases/{case_id}"))
    assert seen["actions"] == []
    assert seen["assignments"][0]["actions"] == [
        "assign_handler",
        "extension_request",
        "return",
        "sign",
    ]
    handlers = _ok(unit_liaison.get(f"{assignment}/handlers"))
    assert {h["username"] for h in handlers} == {"liaison_a", "handler_a", "head_a"}
    case = _ok(unit_liaison.post(f"{assignment}/sign", {"handler": handler_a.pk}))
    assert case["status"] == "in_progress"
    assert case["assignments"][0]["handler"] == "吴承办"

    # The handler records progress, asks for three more days; the director approves.
    _ok(unit_handler.post(f"{assignment}/progress", {"note": "已调取窗口监控"}))
    case = _ok(
        unit_handler.post(f"{assignment}/extension-request", {"amount": 3, "reason": "需外调"})
    )
    [extension] = case["extension_requests"]
    assert extension["status"] == "pending"
    case = _ok(
        as_user(director).post(
            f"/cases/{case_id}/extensions/{extension['id']}/decision", {"approve": True}
        )
    )
    assert case["extension_requests"][0]["status"] == "approved"
    handling = next(d for d in case["deadlines"] if d["stage"] == "handling")
    assert handling["extended_by"] == 3

    # The reply goes to the unit head first (configured), who approves it.
    case = _ok(
        unit_handler.post(
            f"{assignment}/reply",
            {
                "reply_text": "经核实，窗口存在推诿，已责令整改并当面致歉。",
                "finding": "substantiated",
                "measures": "对窗口人员批评教育",
            },
        )
    )
    assert case["assignments"][0]["status"] == "awaiting_head"
    assert case["status"] == "in_progress"
    case = _ok(unit_head.post(f"{assignment}/head-decision", {"approve": True}))
    assert case["status"] == "replied"
    assert case["finding"] == "substantiated"

    # The office reviews, calls the complainant back and closes the case out.
    case = _ok(office_supervisor.post(f"/cases/{case_id}/review", {"approve": True}))
    assert case["status"] == "callback"
    case = _ok(
        office_clerk.post(
            f"/cases/{case_id}/callback", {"satisfaction": "satisfied", "solved": "solved"}
        )
    )
    assert [c["satisfaction"] for c in case["callbacks"]] == ["satisfied"]
    case = _ok(office_supervisor.post(f"/cases/{case_id}/close-out", {}))
    assert case["status"] == "closed"
    assert case["closed_at"] is not None
    assert case["deadlines"] == []

    timeline = _ok(office_supervisor.get(f"/cases/{case_id}/timeline"))
    assert [entry["code"] for entry in timeline] == [
        "case.registered",
        "case.accepted",
        "case.dispatched",
        "case.signed",
        "case.progress",
        "case.extension_requested",
        "case.extension_approved",
        "case.reply_to_head",
        "case.head_approved",
        "case.replied",
        "case.concluded",
        "case.review_passed",
        "case.callback",
        "case.closed",
    ]
    assert timeline[0]["label"] == "已登记"
    assert timeline[4]["data"] == {"note": "已调取窗口监控"}

    # Every step is audited like the same action on screen, naming the token used.
    rows = AuditEntry.objects.filter(action__startswith="cases.case.").order_by("position")
    assert [r.action for r in rows] == [
        "cases.case.register",
        "cases.case.accept",
        "cases.case.dispatch",
        "cases.case.sign",
        "cases.case.progress",
        "cases.case.extension_request",
        "cases.case.extension_decide",
        "cases.case.reply",
        "cases.case.head_decide",
        "cases.case.review",
        "cases.case.callback",
        "cases.case.close_out",
    ]
    assert [r.actor.username for r in rows] == [
        "clerk",
        "clerk",
        "supervisor",
        "liaison_a",
        "handler_a",
        "handler_a",
        "director",
        "handler_a",
        "head_a",
        "supervisor",
        "clerk",
        "supervisor",
    ]
    for row in rows:
        token = row.actor.api_tokens.get()
        assert row.data["api_token"] == {"id": token.pk, "prefix": token.prefix}


def test_a_unit_returns_the_case_and_the_office_redispatches_it(
    as_user, clerk, supervisor, liaison_a, handler_b, unit_b
):
    office_clerk, office_supervisor = as_user(clerk), as_user(supervisor)
    case_id = _ok(office_clerk.post("/cases", REGISTRATION), 201)["id"]
    _ok(office_clerk.post(f"/cases/{case_id}/accept"))
    case = _ok(
        office_supervisor.post(
            f"/cases/{case_id}/dispatch", {"mode": "transfer", "lead_unit": "TZ-RSJ"}
        )
    )
    part = case["assignments"][0]

    # Unit B cannot see the case yet.
    unit_b_handler = as_user(handler_b)
    assert unit_b_handler.get(f"/cases/{case_id}").status_code == 404

    case = _ok(
        as_user(liaison_a).post(
            f"/cases/{case_id}/assignments/{part['id']}/return",
            {"reason": "社保转移属区财政局职责", "version": part["version"]},
        )
    )
    assert case["assignments"][0]["status"] == "return_requested"
    assert case["return_count"] == 1
    [returned] = case["returns"]
    assert returned["reason"] == "社保转移属区财政局职责"

    case = _ok(
        office_supervisor.post(
            f"/cases/{case_id}/returns/{returned['id']}/ruling",
            {"ruling": "redispatch", "new_unit": "TZ-CZJ", "new_days": 10},
        )
    )
    assert [(a["unit"]["code"], a["status"]) for a in case["assignments"]] == [
        ("TZ-RSJ", "withdrawn"),
        ("TZ-CZJ", "pending_sign"),
    ]
    assert case["returns"][0]["ruling"] == "redispatch"
    # Now unit B sees it and may sign for its part.
    seen = _ok(unit_b_handler.get(f"/cases/{case_id}"))
    assert seen["assignments"][1]["actions"] == ["extension_request", "sign"]
    assert seen["assignments"][0]["actions"] == []


def test_the_office_suspends_and_resumes_the_clocks(as_user, clerk, supervisor, unit_a):
    office_clerk, office_supervisor = as_user(clerk), as_user(supervisor)
    case = _ok(office_clerk.post("/cases", REGISTRATION), 201)
    case_id = case["id"]
    _ok(office_clerk.post(f"/cases/{case_id}/accept"))

    case = _ok(
        office_supervisor.post(f"/cases/{case_id}/suspend", {"reason": "等待投诉人补充材料"})
    )
    assert case["suspended_at"] is not None
    assert case["suspend_reason"] == "等待投诉人补充材料"
    assert "resume" in case["actions"] and "suspend" in case["actions"]

    again = office_supervisor.post(f"/cases/{case_id}/suspend", {"reason": "再次中止"})
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    assert again.json()["message"] == "该案件已处于中止计时状态。"

    case = _ok(office_supervisor.post(f"/cases/{case_id}/resume"))
    assert case["suspended_at"] is None
    assert case["suspend_reason"] == ""


def test_a_dissatisfied_callback_is_redone(as_user, clerk, supervisor, liaison_a, handler_a):
    office_clerk, office_supervisor = as_user(clerk), as_user(supervisor)
    case_id = _ok(office_clerk.post("/cases", REGISTRATION), 201)["id"]
    _ok(office_clerk.post(f"/cases/{case_id}/accept"))
    part = _ok(
        office_supervisor.post(
            f"/cases/{case_id}/dispatch", {"mode": "transfer", "lead_unit": "TZ-RSJ"}
        )
    )["assignments"][0]
    path = f"/cases/{case_id}/assignments/{part['id']}"
    _ok(as_user(liaison_a).post(f"{path}/sign"))
    _ok(
        as_user(handler_a).post(
            f"{path}/reply", {"reply_text": "已处理。", "finding": "unsubstantiated"}
        )
    )
    _ok(office_supervisor.post(f"/cases/{case_id}/review", {"approve": True}))
    _ok(
        office_clerk.post(
            f"/cases/{case_id}/callback", {"satisfaction": "dissatisfied", "solved": "unsolved"}
        )
    )
    refused = office_supervisor.post(f"/cases/{case_id}/close-out", {})
    assert refused.status_code == 422
    assert refused.json()["fields"] == {"explanation": ["请说明投诉人不满意但仍予销号的理由。"]}
    case = _ok(office_supervisor.post(f"/cases/{case_id}/redo", {"reason": "群众反映问题未解决"}))
    assert case["status"] == "in_progress"
    assert case["redo_count"] == 1
