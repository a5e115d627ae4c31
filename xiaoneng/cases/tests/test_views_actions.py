"""The action forms of the case page over HTTP: the whole lifecycle with the real roles, the
permission matrix of every action URL, stale forms, bad input and HTMX."""

from datetime import date

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from xiaoneng.cases import services as s
from xiaoneng.cases.choices import AssignmentRole, AssignmentStatus, CaseStatus, Stage
from xiaoneng.cases.models import (
    Accountability,
    Assignment,
    Case,
    CaseEvent,
    CaseLink,
    CaseReturn,
    Deadline,
    ExtensionRequest,
    Instruction,
    Milestone,
)
from xiaoneng.cases.views.actions import ACTIONS

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client(client):
    # Assert on the English source strings, whatever the catalogue holds.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def action_url(code, pk):
    return reverse(f"cases:action_{code}", kwargs={"pk": pk})


def case_url(case):
    return reverse("cases:case_detail", kwargs={"pk": case.pk})


def act(client, user, code, pk, data=None, **extra):
    client.force_login(user)
    return client.post(action_url(code, pk), data or {}, **extra)


def fresh(obj):
    obj.refresh_from_db()
    return obj


def ok(response, case):
    """A plain POST that succeeded: back to the case page."""
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response.url == case_url(case)


# --- the whole lifecycle ------------------------------------------------------------------------


def test_a_joint_case_goes_through_every_stage_over_http(
    client, register, clerk, supervisor, director, liaison_a, handler_a, handler_b, unit_a, unit_b
):
    case = register()

    ok(act(client, clerk, "accept", case.pk, {"version": case.version}), case)
    assert fresh(case).status == CaseStatus.ACCEPTED

    response = act(
        client,
        supervisor,
        "dispatch",
        case.pk,
        {
            "version": case.version,
            "mode": "joint",
            "lead_unit": unit_a.pk,
            "lead_part": "查明推诿原因",
            "co_unit_1": unit_b.pk,
            "co_part_1": "核实收费",
            "co_days_1": "10",
        },
    )
    ok(response, case)
    assert (fresh(case).status, case.dispatch_mode) == (CaseStatus.DISPATCHED, "joint")
    lead = case.assignments.get(role=AssignmentRole.LEAD)
    co = case.assignments.get(role=AssignmentRole.CO)
    assert (lead.unit, lead.part, co.unit, co.part) == (unit_a, "查明推诿原因", unit_b, "核实收费")
    assert Deadline.objects.get(assignment=co, stage=Stage.HANDLING).amount == 10

    ok(
        act(
            client,
            liaison_a,
            "sign",
            lead.pk,
            {"version": lead.version, "handler": handler_a.pk},
        ),
        case,
    )
    assert (fresh(lead).status, lead.handler) == (AssignmentStatus.IN_PROGRESS, handler_a)
    assert fresh(case).status == CaseStatus.IN_PROGRESS
    ok(act(client, handler_b, "sign", co.pk, {"version": co.version}), case)
    assert fresh(co).status == AssignmentStatus.IN_PROGRESS

    # The lead cannot conclude before the co-unit has replied: the form says so.
    response = act(
        client,
        handler_a,
        "reply",
        lead.pk,
        {"version": lead.version, "reply_text": "已处理", "finding": "substantiated"},
    )
    assert response.status_code == 200
    assert "The co-handling units have not all replied yet: 天洲区财政局." in response.text
    assert fresh(lead).status == AssignmentStatus.IN_PROGRESS

    ok(
        act(client, handler_b, "reply", co.pk, {"version": co.version, "reply_text": "收费合规"}),
        case,
    )
    assert fresh(co).status == AssignmentStatus.REPLIED
    assert fresh(case).status == CaseStatus.IN_PROGRESS

    ok(
        act(
            client,
            handler_a,
            "reply",
            lead.pk,
            {
                "version": fresh(lead).version,
                "reply_text": "已批评教育窗口人员",
                "finding": "substantiated",
                "measures": "窗口首问负责制",
            },
        ),
        case,
    )
    assert (fresh(case).status, case.finding, case.reply_text) == (
        CaseStatus.REPLIED,
        "substantiated",
        "已批评教育窗口人员",
    )

    ok(
        act(
            client,
            supervisor,
            "review",
            case.pk,
            {"version": case.version, "decision": "return", "reason": "整改措施不具体"},
        ),
        case,
    )
    assert (fresh(case).status, case.redo_count) == (CaseStatus.IN_PROGRESS, 1)
    assert (fresh(lead).status, fresh(co).status) == (
        AssignmentStatus.IN_PROGRESS,
        AssignmentStatus.REPLIED,
    )

    ok(
        act(
            client,
            handler_a,
            "reply",
            lead.pk,
            {
                "version": fresh(lead).version,
                "reply_text": "补充：已完成窗口整改",
                "finding": "substantiated",
            },
        ),
        case,
    )
    assert fresh(case).status == CaseStatus.REPLIED

    ok(
        act(client, supervisor, "review", case.pk, {"version": case.version, "decision": "pass"}),
        case,
    )
    assert fresh(case).status == CaseStatus.CALLBACK

    ok(
        act(
            client,
            clerk,
            "callback",
            case.pk,
            {"version": case.version, "satisfaction": "dissatisfied", "solved": "unsolved"},
        ),
        case,
    )
    assert (fresh(case).status, case.satisfaction, case.solved) == (
        CaseStatus.CALLBACK,
        "dissatisfied",
        "unsolved",
    )

    ok(
        act(
            client,
            supervisor,
            "redo",
            case.pk,
            {"version": case.version, "reason": "群众反映仍未办成"},
        ),
        case,
    )
    assert (fresh(case).status, case.redo_count) == (CaseStatus.IN_PROGRESS, 2)

    ok(
        act(
            client,
            handler_a,
            "reply",
            lead.pk,
            {
                "version": fresh(lead).version,
                "reply_text": "已为群众办结转移",
                "finding": "substantiated",
            },
        ),
        case,
    )
    assert fresh(case).status == CaseStatus.REPLIED

    ok(
        act(client, director, "review", case.pk, {"version": case.version, "decision": "pass"}),
        case,
    )
    assert fresh(case).status == CaseStatus.CALLBACK

    ok(
        act(
            client,
            clerk,
            "callback",
            case.pk,
            {"version": case.version, "satisfaction": "satisfied", "solved": "solved"},
        ),
        case,
    )
    assert (fresh(case).satisfaction, case.solved) == ("satisfied", "solved")

    response = act(client, supervisor, "close_out", case.pk, {"version": case.version})
    ok(response, case)
    assert fresh(case).status == CaseStatus.CLOSED
    assert [str(m) for m in get_messages(response.wsgi_request)][-1] == "The case was closed out."

    assert list(case.events.values_list("code", "actor__username")) == [
        ("case.registered", "clerk"),
        ("case.accepted", "clerk"),
        ("case.dispatched", "supervisor"),
        ("case.signed", "liaison_a"),
        ("case.signed", "handler_b"),
        ("case.replied", "handler_b"),
        ("case.replied", "handler_a"),
        ("case.concluded", "handler_a"),
        ("case.review_returned", "supervisor"),
        ("case.replied", "handler_a"),
        ("case.concluded", "handler_a"),
        ("case.review_passed", "supervisor"),
        ("case.callback", "clerk"),
        ("case.redo", "supervisor"),
        ("case.replied", "handler_a"),
        ("case.concluded", "handler_a"),
        ("case.review_passed", "director"),
        ("case.callback", "clerk"),
        ("case.closed", "supervisor"),
    ]

    # A substantiated case gets its accountability decision.
    ok(
        act(
            client,
            director,
            "accountability",
            case.pk,
            {
                "kind": "criticism",
                "unit": unit_a.pk,
                "person": handler_a.pk,
                "decided_on": "2026-03-02",
                "document_number": "天效〔2026〕1号",
            },
        ),
        case,
    )
    record = Accountability.objects.get(case=case)
    assert (record.kind, record.unit, record.person, record.person_name, record.decided_on) == (
        "criticism",
        unit_a,
        handler_a,
        "吴承办",
        date(2026, 3, 2),
    )


# --- the permission matrix ----------------------------------------------------------------------


@pytest.fixture
def world(register, clerk, supervisor, director, liaison_a, handler_a, unit_a, unit_b):
    """A case transferred to unit A and signed for, with a pending extension request; and a
    second case that unit A returned. Nothing of either belongs to unit B."""
    case = register()
    s.case_accept(actor=clerk, case=case)
    s.case_dispatch(actor=supervisor, case=case, mode="transfer", lead=s.UnitPart(unit_a))
    assignment = case.assignments.get()
    s.assignment_sign(actor=liaison_a, assignment=assignment, handler=handler_a)
    extension = s.extension_request(
        actor=handler_a, assignment=assignment, amount=5, reason="需要调取档案"
    )
    other = register(summary="窗口收费问题", content="窗口多收了材料费。")
    s.case_accept(actor=clerk, case=other)
    s.case_dispatch(actor=supervisor, case=other, mode="transfer", lead=s.UnitPart(unit_a))
    returned = s.assignment_return(
        actor=liaison_a, assignment=other.assignments.get(), reason="不属于本单位职责"
    )
    return {
        "case": fresh(case),
        "assignment": fresh(assignment),
        "extension": extension,
        "return": returned,
        "other": fresh(other),
        "unit_a": unit_a,
        "unit_b": unit_b,
        "handler_a": handler_a,
    }


def snapshot():
    return (
        sorted(Case.objects.values_list("pk", "status", "version", "is_major", "suspended_at")),
        sorted(Assignment.objects.values_list("pk", "status", "version", "handler_id")),
        CaseEvent.objects.count(),
        sorted(ExtensionRequest.objects.values_list("pk", "status")),
        sorted(CaseReturn.objects.values_list("pk", "ruling")),
        Milestone.objects.count(),
        Instruction.objects.count(),
        CaseLink.objects.count(),
        Accountability.objects.count(),
    )


def _target(code, world):
    level = ACTIONS[code].level
    return {
        "case": world["case"],
        "assignment": world["assignment"],
        "return": world["return"],
        "extension": world["extension"],
    }[level]


def _payload(code, world):
    """A valid-looking form for each action, so that only the permission can stop it."""
    case, assignment = world["case"], world["assignment"]
    version = {"version": case.version}
    a_version = {"version": assignment.version}
    return {
        "accept": version,
        "reject": {**version, "reason": "不属于效能投诉"},
        "dispatch": {**version, "mode": "transfer", "lead_unit": world["unit_b"].pk},
        "supervise": {**version, "supervision_level": "key", "supervision_text": "限期办结"},
        "review": {**version, "decision": "pass"},
        "callback": {**version, "satisfaction": "satisfied", "solved": "solved"},
        "redo": {**version, "reason": "重办"},
        "close_out": {**version, "explanation": "办结"},
        "close_request": {**version, "explanation": "已解决"},
        "close_signoff": {**version, "decision": "approve"},
        "suspend": {**version, "reason": "等待群众补充材料"},
        "resume": version,
        "mark_major": {**version, "leader": ""},
        "milestone": {"title": "完成整改", "due_on": "2026-06-30"},
        "milestone_reach": {"milestone": "", "evidence": "整改报告"},
        "accountability": {
            "kind": "criticism",
            "unit": world["unit_a"].pk,
            "decided_on": "2026-03-02",
        },
        "instruct": {"text": "请抓紧办理"},
        "link": {"other": world["other"].number, "kind": "related"},
        "merge": {**version, "into": world["other"].number},
        "ruling": {"ruling": "insist"},
        "extension_decide": {"decision": "approve"},
        "sign": {**a_version, "handler": world["handler_a"].pk},
        "assign_handler": {**a_version, "handler": world["handler_a"].pk},
        "progress": {"note": "已约谈窗口负责人"},
        "reply": {**a_version, "reply_text": "已处理", "finding": "substantiated"},
        "return": {**a_version, "reason": "不属于本单位职责"},
        "head_approve": a_version,
        "head_reject": {**a_version, "note": "措施不具体"},
        "extension_request": {"amount": "5", "reason": "需要调取档案"},
    }[code]


#: Someone who sees the case (or the unit's part) but does not hold a role for the action.
WRONG_ROLE = {
    "accept": "leader",
    "reject": "handler_a",
    "dispatch": "clerk",
    "supervise": "clerk",
    "review": "handler_a",
    "callback": "leader",
    "redo": "clerk",
    "close_out": "clerk",
    "close_request": "liaison_a",
    "close_signoff": "supervisor",
    "suspend": "clerk",
    "resume": "handler_a",
    "mark_major": "clerk",
    "milestone": "clerk",
    "milestone_reach": "leader",
    "accountability": "clerk",
    "instruct": "supervisor",
    "link": "leader",
    "merge": "handler_a",
    "ruling": "clerk",
    "extension_decide": "supervisor",
    "sign": "supervisor",
    "assign_handler": "handler_a",
    "progress": "director",
    "reply": "leader",
    "return": "handler_a",
    "head_approve": "handler_a",
    "head_reject": "liaison_a",
    "extension_request": "clerk",
}
CODES = sorted(ACTIONS)


def test_every_action_is_in_the_matrix():
    assert set(WRONG_ROLE) == set(ACTIONS)


@pytest.mark.parametrize("code", CODES)
def test_anonymous_is_sent_to_login_and_nothing_changes(client, world, code):
    before = snapshot()
    response = client.post(action_url(code, _target(code, world).pk), _payload(code, world))
    assert response.status_code == 302
    assert response.url.startswith(reverse(settings.LOGIN_URL))
    assert snapshot() == before


@pytest.mark.parametrize("code", CODES)
def test_a_handler_of_another_unit_gets_404_and_nothing_changes(client, world, handler_b, code):
    before = snapshot()
    response = act(client, handler_b, code, _target(code, world).pk, _payload(code, world))
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("code", CODES)
def test_a_wrong_role_gets_404_and_nothing_changes(request, client, world, code):
    persona = request.getfixturevalue(WRONG_ROLE[code])
    before = snapshot()
    response = act(client, persona, code, _target(code, world).pk, _payload(code, world))
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("code", CODES)
def test_the_administrators_get_404(client, world, sysadmin, code):
    before = snapshot()
    response = act(client, sysadmin, code, _target(code, world).pk, _payload(code, world))
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("code", CODES)
def test_get_is_not_allowed(client, world, director, code):
    client.force_login(director)
    before = snapshot()
    response = client.get(action_url(code, _target(code, world).pk))
    assert response.status_code == 405
    assert snapshot() == before


def test_an_unknown_record_is_404(client, director, world):
    assert act(client, director, "accept", 999999, {"version": 1}).status_code == 404
    assert act(client, director, "ruling", 999999, {"ruling": "insist"}).status_code == 404
    assert (
        act(client, director, "extension_decide", 999999, {"decision": "approve"}).status_code
        == 404
    )


# --- stale forms, bad input, HTMX ---------------------------------------------------------------


def test_a_stale_form_gets_the_conflict_message_and_changes_nothing(
    client, register, clerk, director
):
    case = register()
    stale = case.version
    s.case_accept(actor=director, case=case)
    before = snapshot()
    response = act(client, clerk, "reject", case.pk, {"version": stale, "reason": "不属于受理范围"})
    assert response.status_code == 200
    assert 'data-testid="action-conflict"' in response.text
    assert "Someone else acted on this case while you were looking at it." in response.text
    # What the clerk typed is still there.
    assert "不属于受理范围" in response.text
    assert snapshot() == before
    assert fresh(case).status == CaseStatus.ACCEPTED


def test_a_stale_assignment_form_is_a_conflict_too(client, world, liaison_a, unit_head_a):
    assignment = world["assignment"]
    stale = assignment.version
    s.assignment_assign_handler(actor=liaison_a, assignment=assignment, handler=liaison_a)
    before = snapshot()
    response = act(
        client,
        unit_head_a,
        "assign_handler",
        assignment.pk,
        {"version": stale, "handler": world["handler_a"].pk},
        **HTMX,
    )
    assert response.status_code == 200
    assert 'data-testid="action-conflict"' in response.text
    assert snapshot() == before
    assert fresh(assignment).handler == liaison_a


def test_a_missing_reason_comes_back_on_the_form_and_changes_nothing(client, register, clerk):
    case = register()
    before = snapshot()
    response = act(
        client,
        clerk,
        "reject",
        case.pk,
        {"version": case.version, "reason": "  ", "referral": "区市场监管局"},
    )
    assert response.status_code == 200
    assert 'data-testid="action-page"' in response.text  # a page of its own without HTMX
    assert 'data-testid="field-error-reason"' in response.text
    assert "Give the reason for not accepting the case." in response.text
    assert 'value="区市场监管局"' in response.text
    assert snapshot() == before


def test_a_service_rule_comes_back_on_the_field(client, register, clerk, supervisor, unit_a):
    case = register()
    s.case_accept(actor=clerk, case=case)
    before = snapshot()
    response = act(
        client,
        supervisor,
        "dispatch",
        case.pk,
        {"version": fresh(case).version, "mode": "joint", "lead_unit": unit_a.pk},
    )
    assert response.status_code == 200
    assert 'data-testid="field-error-co_unit_1"' in response.text
    assert "Joint handling needs at least one co-handling unit." in response.text
    assert snapshot() == before


def test_an_action_the_state_does_not_allow_says_so(client, register, clerk):
    case = register()
    s.case_accept(actor=clerk, case=case)
    before = snapshot()
    response = act(client, clerk, "accept", case.pk, {"version": fresh(case).version})
    assert response.status_code == 200
    assert "This action is not possible while the case is “Accepted”." in response.text
    assert snapshot() == before


def test_htmx_gets_the_card_back_with_its_errors(client, register, clerk):
    case = register()
    before = snapshot()
    response = act(client, clerk, "reject", case.pk, {"version": case.version}, **HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith(
        '<details class="xn-card xn-action mb-2" id="action-reject"'
    )
    assert 'hx-post="{}"'.format(action_url("reject", case.pk)) in response.text
    assert "Give the reason for not accepting the case." in response.text
    assert snapshot() == before


def test_htmx_success_redirects_to_the_case_page(client, register, clerk):
    case = register()
    response = act(client, clerk, "accept", case.pk, {"version": case.version}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == case_url(case)
    assert fresh(case).status == CaseStatus.ACCEPTED


def test_a_form_without_its_version_is_refused(client, register, clerk):
    case = register()
    before = snapshot()
    response = act(client, clerk, "accept", case.pk, {})
    assert response.status_code == 200
    assert "The form is incomplete. Reload the page." in response.text
    assert snapshot() == before


# --- the other actions ------------------------------------------------------------------------


def test_return_and_redispatch(client, register, clerk, supervisor, liaison_a, unit_a, unit_b):
    case = register()
    s.case_accept(actor=clerk, case=case)
    s.case_dispatch(actor=supervisor, case=case, mode="transfer", lead=s.UnitPart(unit_a))
    assignment = case.assignments.get()
    ok(
        act(
            client,
            liaison_a,
            "return",
            assignment.pk,
            {"version": assignment.version, "reason": "社保转移归市局办理"},
        ),
        case,
    )
    assert fresh(assignment).status == AssignmentStatus.RETURN_REQUESTED
    assert fresh(case).return_count == 1
    record = CaseReturn.objects.get(assignment=assignment)

    # Re-dispatching needs the unit that takes over.
    response = act(client, supervisor, "ruling", record.pk, {"ruling": "redispatch"})
    assert "Choose the unit that takes the case over." in response.text
    assert fresh(record).ruling == ""

    ok(
        act(
            client,
            supervisor,
            "ruling",
            record.pk,
            {"ruling": "redispatch", "new_unit": unit_b.pk, "new_days": "15"},
        ),
        case,
    )
    assert fresh(record).ruling == "redispatch"
    assert fresh(assignment).status == AssignmentStatus.WITHDRAWN
    replacement = case.assignments.get(status=AssignmentStatus.PENDING_SIGN)
    assert replacement.unit == unit_b
    assert Deadline.objects.get(assignment=replacement, stage=Stage.HANDLING).amount == 15


def test_extension_request_and_decision(client, world, handler_a, director):
    extension = world["extension"]
    response = act(client, director, "extension_decide", extension.pk, {"decision": "refuse"})
    assert "Give the reason for refusing." in response.text
    assert fresh(extension).status == "pending"

    ok(
        act(client, director, "extension_decide", extension.pk, {"decision": "approve"}),
        world["case"],
    )
    assert fresh(extension).status == "approved"
    assert Deadline.objects.get(pk=extension.deadline_id).extended_by == 5

    assignment = world["assignment"]
    ok(
        act(
            client,
            handler_a,
            "extension_request",
            assignment.pk,
            {"amount": "3", "reason": "再补三天"},
        ),
        world["case"],
    )
    assert ExtensionRequest.objects.filter(status="pending").get().amount == 3


def test_progress_and_handler(client, world, liaison_a, handler_a, unit_head_a):
    assignment = world["assignment"]
    ok(act(client, handler_a, "progress", assignment.pk, {"note": "已调取监控"}), world["case"])
    assert CaseEvent.objects.filter(code="case.progress", data__note="已调取监控").count() == 1
    ok(
        act(
            client,
            liaison_a,
            "assign_handler",
            assignment.pk,
            {"version": assignment.version, "handler": unit_head_a.pk},
        ),
        world["case"],
    )
    assert fresh(assignment).handler == unit_head_a


def test_unit_head_approval_of_a_reply(client, world, handler_a, unit_head_a):
    from xiaoneng.cases.deadlines import case_settings

    settings_row = case_settings()
    settings_row.unit_head_approval = True
    settings_row.save()
    assignment, case = world["assignment"], world["case"]
    ok(
        act(
            client,
            handler_a,
            "reply",
            assignment.pk,
            {"version": assignment.version, "reply_text": "已处理", "finding": "partly"},
        ),
        case,
    )
    assert fresh(assignment).status == AssignmentStatus.AWAITING_HEAD
    response = act(
        client, unit_head_a, "head_reject", assignment.pk, {"version": assignment.version}
    )
    assert "Say what the reply lacks." in response.text
    ok(
        act(
            client,
            unit_head_a,
            "head_reject",
            assignment.pk,
            {"version": assignment.version, "note": "措施不具体"},
        ),
        case,
    )
    assert fresh(assignment).status == AssignmentStatus.IN_PROGRESS
    s.assignment_reply(
        actor=handler_a, assignment=assignment, reply_text="已整改", finding="partly"
    )
    ok(
        act(
            client,
            unit_head_a,
            "head_approve",
            assignment.pk,
            {"version": fresh(assignment).version},
        ),
        case,
    )
    assert (fresh(assignment).status, fresh(case).status) == (
        AssignmentStatus.REPLIED,
        CaseStatus.REPLIED,
    )


def test_suspend_and_resume(client, world, supervisor):
    case = world["case"]
    ok(
        act(
            client,
            supervisor,
            "suspend",
            case.pk,
            {"version": case.version, "reason": "等待补充材料"},
        ),
        case,
    )
    assert (fresh(case).suspend_reason, case.suspended_at is not None) == ("等待补充材料", True)
    ok(act(client, supervisor, "resume", case.pk, {"version": case.version}), case)
    assert fresh(case).suspended_at is None


def test_supervision_notice(client, world, supervisor):
    case = world["case"]
    ok(
        act(
            client,
            supervisor,
            "supervise",
            case.pk,
            {
                "version": case.version,
                "supervision_level": "listed",
                "supervision_text": "五个工作日内办结",
                "supervision_days": "5",
            },
        ),
        case,
    )
    notice = case.supervision_notices.get()
    assert (notice.level, notice.text, fresh(case).is_supervised) == (
        "listed",
        "五个工作日内办结",
        True,
    )


def test_major_issue_regime(client, world, supervisor, director, leader):
    case = world["case"]
    ok(
        act(
            client,
            supervisor,
            "mark_major",
            case.pk,
            {"version": case.version, "leader": leader.pk},
        ),
        case,
    )
    assert (fresh(case).is_major, case.major_leader) == (True, leader)
    ok(
        act(
            client,
            supervisor,
            "milestone",
            case.pk,
            {"title": "完成窗口整改", "due_on": "2026-06-30"},
        ),
        case,
    )
    milestone = case.milestones.get()
    assert (milestone.title, milestone.due_on) == ("完成窗口整改", date(2026, 6, 30))
    response = act(client, director, "milestone_reach", case.pk, {"milestone": milestone.pk})
    assert "Describe the evidence that the milestone is reached." in response.text
    ok(
        act(
            client,
            director,
            "milestone_reach",
            case.pk,
            {"milestone": milestone.pk, "evidence": "整改验收报告"},
        ),
        case,
    )
    assert fresh(milestone).evidence == "整改验收报告"
    assert milestone.done_at is not None


def test_leaders_instruct_and_cases_are_linked_and_merged(client, world, leader, clerk):
    case, other = world["case"], world["other"]
    ok(act(client, leader, "instruct", case.pk, {"text": "请抓紧办理，按期反馈"}), case)
    assert list(case.instructions.values_list("text", "leader__username")) == [
        ("请抓紧办理，按期反馈", "leader")
    ]
    response = act(client, clerk, "link", case.pk, {"other": "XN-1999-000001", "kind": "related"})
    assert "There is no case with this register number." in response.text
    ok(
        act(client, clerk, "link", case.pk, {"other": other.number.lower(), "kind": "related"}),
        case,
    )
    assert CaseLink.objects.filter(from_case=case, to_case=other, kind="related").count() == 1
    ok(
        act(client, clerk, "merge", other.pk, {"version": other.version, "into": case.number}),
        other,
    )
    assert (fresh(other).status, other.merged_into) == (CaseStatus.MERGED, case)


# --- the cards on the case page -----------------------------------------------------------------


def _render(user, case):
    request = RequestFactory().get(case_url(case))
    request.user = user
    return render_to_string("cases/partials/actions.html", {"case": case}, request=request)


def test_the_clerk_sees_the_acceptance_cards_only(register, clerk):
    case = register()
    html = _render(clerk, case)
    assert f'action="{action_url("accept", case.pk)}"' in html
    assert f'action="{action_url("reject", case.pk)}"' in html
    assert 'data-testid="action-dispatch"' not in html
    assert f'name="version" value="{case.version}"' in html


def test_the_unit_sees_its_part_and_the_director_the_pending_decisions(
    world, liaison_a, director, handler_b
):
    case, assignment = world["case"], world["assignment"]
    html = _render(liaison_a, case)
    for code in ("assign_handler", "progress", "reply", "return", "extension_request"):
        assert f'action="{action_url(code, assignment.pk)}"' in html
    assert 'data-testid="action-sign"' not in html  # already signed for
    director_html = _render(director, case)
    assert f'action="{action_url("extension_decide", world["extension"].pk)}"' in director_html
    assert f'action="{action_url("reply", assignment.pk)}"' not in director_html
    other_html = _render(director, world["other"])
    assert f'action="{action_url("ruling", world["return"].pk)}"' in other_html
    assert 'data-testid="no-actions"' in _render(handler_b, case)


def test_the_case_page_shows_the_cards_and_the_message_after_an_action(client, register, clerk):
    case = register()
    client.force_login(clerk)
    page = client.get(case_url(case))
    assert page.status_code == 200
    assert f'hx-post="{action_url("accept", case.pk)}"' in page.text
    response = client.post(action_url("accept", case.pk), {"version": case.version}, follow=True)
    assert response.redirect_chain == [(case_url(case), 302)]
    assert "The case was accepted." in response.text
    assert 'data-testid="action-accept"' not in response.text


def test_dispatch_investigate_supervised_and_a_half_filled_row(
    client, register, clerk, supervisor, office, unit_a
):
    first, second, third = (
        register(summary=f"第{n}件", content=f"内容各不相同：{n}", subject_units=[])
        for n in (1, 2, 3)
    )
    for case in (first, second, third):
        s.case_accept(actor=clerk, case=case)

    # The office investigates itself: the handling unit is the office, whatever was chosen.
    ok(
        act(
            client,
            supervisor,
            "dispatch",
            first.pk,
            {"version": fresh(first).version, "mode": "investigate"},
        ),
        first,
    )
    assert list(first.assignments.values_list("unit", "role")) == [(office.pk, "sole")]

    ok(
        act(
            client,
            supervisor,
            "dispatch",
            second.pk,
            {
                "version": fresh(second).version,
                "mode": "supervised",
                "lead_unit": unit_a.pk,
                "supervision_level": "key",
                "supervision_text": "限五个工作日办结",
                "supervision_days": "5",
            },
        ),
        second,
    )
    notice = second.supervision_notices.get()
    assert (fresh(second).dispatch_mode, notice.level, notice.text) == (
        "supervised",
        "key",
        "限五个工作日办结",
    )

    before = snapshot()
    response = act(
        client,
        supervisor,
        "dispatch",
        third.pk,
        {
            "version": fresh(third).version,
            "mode": "joint",
            "lead_unit": unit_a.pk,
            "co_part_3": "核实收费",
        },
        **HTMX,
    )
    assert 'data-testid="field-error-co_unit_3"' in response.text
    assert "Choose the unit of this part." in response.text
    assert '<details class="mb-2" open>' in response.text  # the fold with the row stays open
    assert "核实收费" in response.text
    assert snapshot() == before
