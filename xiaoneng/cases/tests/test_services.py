from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from xiaoneng.cases import services as s
from xiaoneng.cases.choices import AssignmentRole, AssignmentStatus, CaseStatus, Stage
from xiaoneng.cases.models import Case, CaseEvent, Deadline
from xiaoneng.org.services import ConflictError

TZ = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=TZ)


def due(case, stage, assignment=None):
    qs = Deadline.objects.filter(case=case, stage=stage)
    if assignment is not None:
        qs = qs.filter(assignment=assignment)
    return qs.latest("id").due_at.astimezone(TZ)


pytestmark = pytest.mark.django_db


def test_register_numbers_the_case_and_starts_the_acceptance_clock(register):
    first = register(now=at(2025, 9, 26, 10))
    second = register(
        now=at(2025, 9, 26, 11),
        summary="另一件事",
        content="完全不同的内容，与第一件无关。",
        complainant=s.ComplainantData(anonymous=True),
        subject_units=[],
    )
    assert (first.number, second.number) == ("XN-2025-000001", "XN-2025-000002")
    assert first.status == CaseStatus.REGISTERED
    # Friday 26 Sept 2025: Sat 27 rests, Sun 28 is a make-up working day (day 1), Mon 29, Tue 30.
    assert due(first, Stage.ACCEPTANCE) == at(2025, 10, 1)
    assert second.complainant.anonymous and second.complainant.name == ""


def test_a_repeat_by_the_same_complainant_is_flagged_and_linked(register):
    first = register(now=at(2025, 9, 1, 9))
    repeat = register(
        now=at(2025, 9, 8, 9), summary="还是社保转移的事", content="上次反映的问题没有人处理。"
    )
    assert repeat.duplicate_flag is True
    assert list(repeat.links_out.values_list("to_case__number", "kind")) == [
        (first.number, "duplicate")
    ]
    assert CaseEvent.objects.filter(case=repeat, code="case.duplicate_flagged").exists()


def test_a_case_without_a_complainant_is_refused_and_nothing_is_written(register):
    with pytest.raises(ValidationError):
        register(complainant=s.ComplainantData(name="", phone=""))
    assert Case.objects.count() == 0


def test_whole_lifecycle_of_a_joint_case(
    register, clerk, supervisor, director, liaison_a, handler_a, handler_b, unit_a, unit_b, office
):
    case = register(now=at(2025, 9, 26, 10))
    s.case_accept(actor=clerk, case=case, now=at(2025, 9, 29, 9))
    s.case_dispatch(
        actor=supervisor,
        case=case,
        mode="joint",
        lead=s.UnitPart(unit_a, "查明推诿原因"),
        co_units=[s.UnitPart(unit_b, "核实收费", amount=10)],
        now=at(2025, 9, 30, 9),
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.DISPATCHED
    lead = case.assignments.get(role=AssignmentRole.LEAD)
    co = case.assignments.get(role=AssignmentRole.CO)
    # National Day 1–8 Oct 2025: signing is due at the end of Thursday 9 Oct.
    assert due(case, Stage.SIGNING, lead) == at(2025, 10, 10)
    # 30 working days from 30 Sept, Saturday 11 Oct being a make-up working day: 18 Nov.
    assert due(case, Stage.HANDLING, lead) == at(2025, 11, 19)
    # The co-unit's own 10 working days: 9, 10, 11 (Sat), 13–17, 20, 21 Oct.
    assert due(case, Stage.HANDLING, co) == at(2025, 10, 22)

    s.assignment_sign(actor=liaison_a, assignment=lead, handler=handler_a, now=at(2025, 10, 9, 9))
    s.assignment_sign(actor=handler_b, assignment=co, now=at(2025, 10, 9, 10))
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS

    with pytest.raises(ValidationError) as excinfo:
        s.assignment_reply(
            actor=handler_a, assignment=lead, reply_text="已处理", finding="substantiated"
        )
    assert excinfo.value.code == "co_units_pending"
    s.assignment_reply(
        actor=handler_b, assignment=co, reply_text="收费合规", now=at(2025, 10, 15, 9)
    )
    s.assignment_reply(
        actor=handler_a,
        assignment=lead,
        reply_text="已批评教育窗口人员",
        finding="substantiated",
        measures="窗口首问负责制",
        now=at(2025, 10, 16, 9),
    )
    case.refresh_from_db()
    assert (case.status, case.finding) == (CaseStatus.REPLIED, "substantiated")

    s.case_review(
        actor=supervisor, case=case, approve=False, reason="整改措施不具体", now=at(2025, 10, 17, 9)
    )
    case.refresh_from_db()
    lead.refresh_from_db()
    co.refresh_from_db()
    assert (case.status, case.redo_count, lead.status, co.status) == (
        CaseStatus.IN_PROGRESS,
        1,
        AssignmentStatus.IN_PROGRESS,
        AssignmentStatus.REPLIED,
    )
    s.assignment_reply(
        actor=handler_a,
        assignment=lead,
        reply_text="补充：已完成窗口整改",
        finding="substantiated",
        now=at(2025, 10, 20, 9),
    )
    s.case_review(actor=supervisor, case=case, approve=True, now=at(2025, 10, 21, 9))
    s.case_callback(
        actor=clerk,
        case=case,
        satisfaction="dissatisfied",
        solved="unsolved",
        now=at(2025, 10, 22, 9),
    )
    s.case_redo(actor=supervisor, case=case, reason="群众反映仍未办成", now=at(2025, 10, 22, 10))
    case.refresh_from_db()
    assert (case.status, case.redo_count) == (CaseStatus.IN_PROGRESS, 2)
    s.assignment_reply(
        actor=handler_a,
        assignment=lead,
        reply_text="已为群众办结转移",
        finding="substantiated",
        now=at(2025, 10, 24, 9),
    )
    s.case_review(actor=director, case=case, approve=True, now=at(2025, 10, 24, 15))
    s.case_callback(
        actor=clerk, case=case, satisfaction="satisfied", solved="solved", now=at(2025, 10, 27, 9)
    )
    s.case_close_out(actor=supervisor, case=case, now=at(2025, 10, 27, 10))
    case.refresh_from_db()
    assert (case.status, case.satisfaction, case.solved) == (
        CaseStatus.CLOSED,
        "satisfied",
        "solved",
    )
    assert not Deadline.objects.filter(case=case, completed_at__isnull=True).exists()
    codes = list(case.events.values_list("code", flat=True))
    assert codes == [
        "case.registered",
        "case.accepted",
        "case.dispatched",
        "case.signed",
        "case.signed",
        "case.replied",
        "case.replied",
        "case.concluded",
        "case.review_returned",
        "case.replied",
        "case.concluded",
        "case.review_passed",
        "case.callback",
        "case.redo",
        "case.replied",
        "case.concluded",
        "case.review_passed",
        "case.callback",
        "case.closed",
    ]


def test_a_handler_of_another_unit_cannot_act_and_nothing_changes(
    register, clerk, supervisor, handler_b, unit_a
):
    case = register()
    s.case_accept(actor=clerk, case=case)
    s.case_dispatch(actor=supervisor, case=case, mode="transfer", lead=s.UnitPart(unit_a))
    assignment = case.assignments.get()
    with pytest.raises(s.CaseActionDenied):
        s.assignment_sign(actor=handler_b, assignment=assignment)
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.PENDING_SIGN


def test_a_stale_version_is_a_conflict(register, clerk, director):
    case = register()
    version = case.version
    s.case_accept(actor=clerk, case=case, version=version)
    with pytest.raises(ConflictError):
        s.case_reject(actor=director, case=case, reason="重复", version=version)
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED


def test_suspension_keeps_the_remaining_working_days(register, clerk, supervisor, unit_a):
    case = register(now=at(2025, 9, 1, 9))
    s.case_accept(actor=clerk, case=case, now=at(2025, 9, 1, 10))
    s.case_dispatch(
        actor=supervisor,
        case=case,
        mode="transfer",
        lead=s.UnitPart(unit_a, amount=5),
        now=at(2025, 9, 1, 11),
    )
    assignment = case.assignments.get()
    assert due(case, Stage.HANDLING, assignment) == at(2025, 9, 9)  # Tue 2 … Mon 8 Sept
    # Suspended on Wed 3 Sept with Thu 4, Fri 5, Mon 8 left; resumed on Tue 30 Sept:
    # Wed 1 Oct starts the holiday, so the three days are 9, 10 and Sat 11 Oct.
    s.case_suspend(actor=supervisor, case=case, reason="等待群众补充材料", now=at(2025, 9, 3, 15))
    s.case_resume(actor=supervisor, case=case, now=at(2025, 9, 30, 9))
    assert due(case, Stage.HANDLING, assignment) == at(2025, 10, 12)


def test_extension_is_approved_by_the_director_within_the_limit(
    register, clerk, supervisor, director, liaison_a, unit_a
):
    case = register(now=at(2025, 9, 1, 9))
    s.case_accept(actor=clerk, case=case, now=at(2025, 9, 1, 10))
    s.case_dispatch(
        actor=supervisor,
        case=case,
        mode="transfer",
        lead=s.UnitPart(unit_a),
        now=at(2025, 9, 1, 11),
    )
    assignment = case.assignments.get()
    s.assignment_sign(actor=liaison_a, assignment=assignment, now=at(2025, 9, 2, 9))
    with pytest.raises(ValidationError):
        s.extension_request(actor=liaison_a, assignment=assignment, amount=31, reason="太多")
    request = s.extension_request(
        actor=liaison_a, assignment=assignment, amount=5, reason="需现场核查"
    )
    before = due(case, Stage.HANDLING, assignment)
    s.extension_decide(actor=director, request=request, approve=True)
    after = due(case, Stage.HANDLING, assignment)
    # 30 working days from Mon 1 Sept: 22 in September (with Sunday 28 made up), then
    # 9, 10, Sat 11, 13–17 Oct after the National Day holiday; the last day is Fri 17 Oct.
    assert before == at(2025, 10, 18)
    assert after == at(2025, 10, 25)  # five more: 20–24 Oct
    with pytest.raises(s.CaseActionDenied):
        s.extension_decide(actor=supervisor, request=request, approve=True)


def test_major_issue_closes_only_with_evidence_and_the_directors_signoff(
    register, clerk, supervisor, director, leader, liaison_a, unit_a
):
    case = register()
    s.case_accept(actor=clerk, case=case)
    s.case_mark_major(actor=supervisor, case=case, leader=leader)
    s.case_dispatch(actor=supervisor, case=case, mode="transfer", lead=s.UnitPart(unit_a))
    assignment = case.assignments.get()
    s.assignment_sign(actor=liaison_a, assignment=assignment)
    s.assignment_reply(
        actor=liaison_a, assignment=assignment, reply_text="已办结", finding="unsubstantiated"
    )
    s.case_review(actor=supervisor, case=case, approve=True)
    s.case_callback(actor=clerk, case=case, satisfaction="satisfied", solved="solved")
    with pytest.raises(s.InvalidTransition):
        s.case_close_out(actor=supervisor, case=case)
    with pytest.raises(ValidationError) as excinfo:
        s.case_close_request(actor=supervisor, case=case, explanation="已解决")
    assert excinfo.value.code == "no_evidence"
    case.refresh_from_db()
    assert case.status == CaseStatus.CALLBACK


def test_merge_keeps_the_history_and_stops_the_clocks(register, clerk):
    first = register(now=at(2025, 9, 1, 9))
    second = register(now=at(2025, 9, 2, 9), summary="同一件事", content="同上。")
    s.case_merge(actor=clerk, case=second, into=first)
    second.refresh_from_db()
    assert (second.status, second.merged_into_id) == (CaseStatus.MERGED, first.pk)
    assert not Deadline.objects.filter(case=second, completed_at__isnull=True).exists()
    assert first.events.filter(code="case.merged_in").exists()


def test_register_numbers_restart_each_year(register):
    a = register(now=at(2025, 12, 31, 23))
    b = register(
        now=at(2026, 1, 1, 0) + timedelta(minutes=1), summary="新年", content="新年第一件。"
    )
    assert (a.number, b.number) == ("XN-2025-000001", "XN-2026-000001")
