"""The escalation chain: reminder before the deadline, reminder notice (催办) after it,
supervised handling proposed after a further delay; each step once, to the right people,
in the timeline and the audit log. Moments are pinned on the official 2025 calendar."""

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from xiaoneng.audit.models import AuditEntry
from xiaoneng.cases import escalation
from xiaoneng.cases import services as s
from xiaoneng.cases.choices import CaseStatus, Stage
from xiaoneng.cases.escalation import deadlines_escalate
from xiaoneng.cases.models import Case, CaseEvent, CaseSettings, Category, Deadline, Reminder
from xiaoneng.notifications.models import Notification

TZ = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.django_db


def at(*args):
    return datetime(*args, tzinfo=TZ)


def counts(result):
    return (result.before_due, result.overdue_notice, result.supervision_proposed, result.failed)


def notified(code):
    return sorted(
        Notification.objects.filter(code=code).values_list("recipient__username", flat=True)
    )


def reminders(case=None):
    qs = Reminder.objects.all() if case is None else Reminder.objects.filter(deadline__case=case)
    return sorted(qs.values_list("deadline__stage", "kind"))


@pytest.fixture
def category(db):
    """The seeded category; created again after a transactional test emptied the tables."""
    return Category.objects.get_or_create(code="TWCP", defaults={"name": "推诿扯皮"})[0]


@pytest.fixture
def people(clerk, supervisor, director, liaison_a, handler_a, unit_head_a, handler_b, leader):
    """Everyone who could be notified, so that 'exactly these people' means something."""


@pytest.fixture
def joint_case(
    people, register, clerk, supervisor, liaison_a, handler_a, handler_b, unit_a, unit_b
):
    """Registered Fri 31 Oct 2025, accepted and dispatched Mon 3 Nov as joint handling: unit A
    leads with 5 working days (last day Mon 10 Nov), unit B helps with 20; both signed Tue 4."""
    case = register(now=at(2025, 10, 31, 10))
    s.case_accept(actor=clerk, case=case, now=at(2025, 11, 3, 8))
    s.case_dispatch(
        actor=supervisor,
        case=case,
        mode="joint",
        lead=s.UnitPart(unit_a, "查明推诿原因", amount=5),
        co_units=[s.UnitPart(unit_b, "核实收费", amount=20)],
        now=at(2025, 11, 3, 9),
    )
    lead = case.assignments.get(unit=unit_a)
    co = case.assignments.get(unit=unit_b)
    s.assignment_sign(actor=liaison_a, assignment=lead, handler=handler_a, now=at(2025, 11, 4, 9))
    s.assignment_sign(actor=handler_b, assignment=co, now=at(2025, 11, 4, 10))
    case.refresh_from_db()
    return case


def lead_deadline(case):
    return Deadline.objects.get(
        case=case, stage=Stage.HANDLING, assignment__unit__code="TZ-RSJ", completed_at=None
    )


def test_the_fixture_deadline_ends_on_monday_10_november(joint_case):
    assert lead_deadline(joint_case).due_at == at(2025, 11, 11)
    assert list(
        Deadline.objects.filter(case=joint_case, completed_at=None)
        .order_by("due_at")
        .values_list("stage", "assignment__unit__code")
    ) == [("handling", "TZ-RSJ"), ("handling", "TZ-CZJ")]


def test_nothing_is_sent_before_the_reminder_window(joint_case):
    # Thursday 6 Nov: two working days (Fri 7, Mon 10) still to go.
    assert counts(deadlines_escalate(now=at(2025, 11, 6, 23, 59, 59))) == (0, 0, 0, 0)
    assert reminders() == []
    assert not Notification.objects.filter(code__startswith="case.reminder").exists()
    assert not CaseEvent.objects.filter(code="case.reminder_before_due").exists()


def test_the_reminder_before_due_is_sent_once_to_the_unit(joint_case, unit_a):
    now = at(2025, 11, 7, 9)  # Friday: one working day (Mon 10) left
    assert counts(deadlines_escalate(now=now)) == (1, 0, 0, 0)
    assert counts(deadlines_escalate(now=now)) == (0, 0, 0, 0)
    assert counts(deadlines_escalate(now=at(2025, 11, 10, 12))) == (0, 0, 0, 0)

    assert reminders() == [("handling", "before_due")]
    assert notified("case.reminder_before_due") == ["handler_a", "liaison_a"]
    notification = Notification.objects.get(
        code="case.reminder_before_due", recipient__username="handler_a"
    )
    assert notification.params == {
        "number": joint_case.number,
        "stage": "handling",
        "due": "2025-11-10",
    }
    assert notification.url == f"/cases/{joint_case.pk}/"
    event = CaseEvent.objects.get(case=joint_case, code="case.reminder_before_due")
    assert (event.assignment.unit, event.actor, event.created_at) == (unit_a, None, now)
    assert event.data == {"stage": "handling", "due": "2025-11-10", "unit": unit_a.name}
    audit = AuditEntry.objects.get(action="cases.case.escalate")
    assert (audit.actor, audit.unit, audit.object_id) == (None, unit_a, str(joint_case.pk))
    assert audit.data == {
        "number": joint_case.number,
        "kind": "before_due",
        "stage": "handling",
        "deadline": lead_deadline(joint_case).pk,
    }


def test_the_reminder_notice_comes_the_day_after_the_last_day(joint_case):
    # On the last day itself the deadline has not passed: only the reminder before it.
    assert counts(deadlines_escalate(now=at(2025, 11, 10, 23, 59, 59))) == (1, 0, 0, 0)
    assert notified("case.overdue_notice") == []
    # From 00:00 on Tuesday 11 Nov: the reminder notice (催办), unit head included.
    assert counts(deadlines_escalate(now=at(2025, 11, 11, 0, 0))) == (0, 1, 0, 0)
    assert counts(deadlines_escalate(now=at(2025, 11, 12, 9))) == (0, 0, 0, 0)
    assert notified("case.overdue_notice") == ["handler_a", "head_a", "liaison_a"]
    assert list(
        CaseEvent.objects.filter(code__in=escalation.CODES.values()).values_list("code", flat=True)
    ) == ["case.reminder_before_due", "case.overdue_notice"]


def test_supervision_is_proposed_after_five_more_working_days_across_a_weekend(joint_case):
    assert counts(deadlines_escalate(now=at(2025, 11, 11, 9))) == (0, 1, 0, 0)
    # Tue 11, Wed 12, Thu 13, Fri 14, (weekend), Mon 17: the fifth working day ends at midnight.
    assert counts(deadlines_escalate(now=at(2025, 11, 17, 23, 59, 59))) == (0, 0, 0, 0)
    assert counts(deadlines_escalate(now=at(2025, 11, 18, 0, 0))) == (0, 0, 1, 0)
    assert counts(deadlines_escalate(now=at(2025, 11, 18, 0, 0))) == (0, 0, 0, 0)
    assert counts(deadlines_escalate(now=at(2025, 11, 25, 9))) == (0, 0, 0, 0)

    assert reminders() == [("handling", "overdue_notice"), ("handling", "supervision_proposed")]
    # A proposal for the office to decide: the supervisors and the director, and the unit.
    assert notified("case.supervision_proposed") == [
        "director",
        "handler_a",
        "head_a",
        "liaison_a",
        "supervisor",
    ]
    assert (
        not Notification.objects.filter(recipient__username="handler_b")
        .exclude(code="case.dispatched")
        .exclude(code="case.handler_assigned")
        .exists()
    )
    joint_case.refresh_from_db()
    assert joint_case.is_supervised is False  # proposed, not issued
    assert list(
        AuditEntry.objects.filter(action="cases.case.escalate")
        .order_by("position")
        .values_list("data__kind", flat=True)
    ) == ["overdue_notice", "supervision_proposed"]


def test_a_run_after_a_long_pause_catches_up_without_the_stale_reminder(joint_case):
    assert counts(deadlines_escalate(now=at(2025, 11, 20, 9))) == (0, 1, 1, 0)
    assert reminders() == [("handling", "overdue_notice"), ("handling", "supervision_proposed")]


def test_the_delays_follow_the_case_settings(joint_case):
    CaseSettings.objects.update_or_create(
        id=1, defaults={"reminder_days_before": 3, "supervision_delay_days": 2}
    )
    # Wed 5 Nov: Thu 6, Fri 7, Mon 10 are three working days.
    assert counts(deadlines_escalate(now=at(2025, 11, 4, 23, 59))) == (0, 0, 0, 0)
    assert counts(deadlines_escalate(now=at(2025, 11, 5, 0, 0))) == (1, 0, 0, 0)
    # Two working days after Mon 10: Tue 11, Wed 12; proposed from Thursday 13.
    assert counts(deadlines_escalate(now=at(2025, 11, 12, 23, 59))) == (0, 1, 0, 0)
    assert counts(deadlines_escalate(now=at(2025, 11, 13, 0, 0))) == (0, 0, 1, 0)


def test_a_case_level_deadline_across_the_national_day_holiday(people, register):
    """Registered Fri 26 Sept 2025: the acceptance decision is due by the end of Tue 30 Sept,
    the eve of the National Day holiday (1–8 Oct; Sun 28 Sept and Sat 11 Oct are worked)."""
    case = register(now=at(2025, 9, 26, 10))
    assert counts(deadlines_escalate(now=at(2025, 9, 26, 10))) == (0, 0, 0, 0)
    # Sunday 28 Sept is a make-up working day: Mon 29 and Tue 30 are still two days away.
    assert counts(deadlines_escalate(now=at(2025, 9, 28, 23, 59, 59))) == (0, 0, 0, 0)
    assert counts(deadlines_escalate(now=at(2025, 9, 29, 0, 0))) == (1, 0, 0, 0)
    assert counts(deadlines_escalate(now=at(2025, 9, 30, 23, 59, 59))) == (0, 0, 0, 0)
    # The notice on 1 October, a holiday: the day after the last day.
    assert counts(deadlines_escalate(now=at(2025, 10, 1, 0, 0))) == (0, 1, 0, 0)
    # Working days after 30 Sept: Thu 9, Fri 10, Sat 11 (make-up), Mon 13, Tue 14.
    assert counts(deadlines_escalate(now=at(2025, 10, 14, 23, 59, 59))) == (0, 0, 0, 0)
    assert counts(deadlines_escalate(now=at(2025, 10, 15, 0, 0))) == (0, 0, 1, 0)
    assert counts(deadlines_escalate(now=at(2025, 10, 20, 9))) == (0, 0, 0, 0)

    # Acceptance is the intake clerks' stage; the proposal also goes to the office's deciders.
    assert notified("case.reminder_before_due") == ["clerk"]
    assert notified("case.overdue_notice") == ["clerk"]
    assert notified("case.supervision_proposed") == ["clerk", "director", "supervisor"]
    assert list(
        CaseEvent.objects.filter(case=case, code="case.overdue_notice").values_list(
            "data", flat=True
        )
    ) == [{"stage": "acceptance", "due": "2025-09-30"}]


def test_review_deadlines_go_to_the_supervisors(
    people, register, clerk, supervisor, liaison_a, unit_a
):
    case = register(now=at(2025, 11, 3, 9))
    s.case_accept(actor=clerk, case=case, now=at(2025, 11, 3, 10))
    s.case_dispatch(
        actor=supervisor,
        case=case,
        mode="transfer",
        lead=s.UnitPart(unit_a),
        now=at(2025, 11, 3, 11),
    )
    assignment = case.assignments.get()
    s.assignment_sign(actor=liaison_a, assignment=assignment, now=at(2025, 11, 3, 12))
    s.assignment_reply(
        actor=liaison_a,
        assignment=assignment,
        reply_text="已处理",
        finding="unsubstantiated",
        now=at(2025, 11, 3, 14),
    )
    review = Deadline.objects.get(case=case, stage=Stage.REVIEW, completed_at=None)
    assert counts(deadlines_escalate(now=review.due_at)) == (0, 1, 0, 0)
    assert notified("case.overdue_notice") == ["supervisor"]


def test_suspended_deadlines_are_skipped(joint_case, supervisor):
    s.case_suspend(
        actor=supervisor, case=joint_case, reason="等待群众补充材料", now=at(2025, 11, 5, 9)
    )
    for moment in (at(2025, 11, 7, 9), at(2025, 11, 11, 9), at(2025, 11, 25, 9)):
        assert counts(deadlines_escalate(now=moment)) == (0, 0, 0, 0)
    assert reminders() == []


@pytest.mark.parametrize("status", [CaseStatus.CLOSED, CaseStatus.MERGED, CaseStatus.NOT_ACCEPTED])
def test_deadlines_of_finished_cases_are_ignored(joint_case, status):
    # Even a deadline left open by mistake: the case is no longer being worked on.
    Case.objects.filter(pk=joint_case.pk).update(status=status)
    assert counts(deadlines_escalate(now=at(2025, 11, 25, 9))) == (0, 0, 0, 0)
    assert reminders() == []


def test_a_declined_case_gets_nothing(people, register, clerk):
    case = register(now=at(2025, 9, 26, 10))
    s.case_reject(actor=clerk, case=case, reason="不属于效能投诉", now=at(2025, 9, 26, 11))
    assert counts(deadlines_escalate(now=at(2025, 10, 20, 9))) == (0, 0, 0, 0)


def test_a_failing_deadline_does_not_stop_the_others(people, register, monkeypatch):
    first = register(now=at(2025, 9, 26, 10))
    second = register(
        now=at(2025, 9, 26, 11),
        summary="另一件事",
        content="完全不同的内容，与第一件无关。",
        complainant=s.ComplainantData(anonymous=True),
        subject_units=[],
    )
    real_notify = escalation.notify

    def notify(**kwargs):
        if kwargs["params"]["number"] == first.number:
            raise RuntimeError("mail server down")
        return real_notify(**kwargs)

    monkeypatch.setattr(escalation, "notify", notify)
    assert counts(deadlines_escalate(now=at(2025, 10, 1, 9))) == (0, 1, 0, 1)
    # The failed deadline's step was rolled back whole and is taken at the next run.
    assert reminders(first) == []
    assert not CaseEvent.objects.filter(case=first, code="case.overdue_notice").exists()
    assert AuditEntry.objects.filter(action="cases.case.escalate").count() == 1
    assert reminders(second) == [("acceptance", "overdue_notice")]
    monkeypatch.setattr(escalation, "notify", real_notify)
    assert counts(deadlines_escalate(now=at(2025, 10, 1, 10))) == (0, 1, 0, 0)
    assert reminders(first) == [("acceptance", "overdue_notice")]


def test_a_quiet_run_reads_a_fixed_number_of_queries(
    people, register, django_assert_max_num_queries, steady_calendar
):
    for hour in (9, 10, 11):
        register(
            now=at(2025, 9, 26, hour),
            summary=f"第{hour}件",
            content=f"内容{hour}，各不相同的事情{hour * 7}。",
            complainant=s.ComplainantData(anonymous=True),
            subject_units=[],
        )
    deadlines_escalate(now=at(2025, 10, 1, 9))
    with django_assert_max_num_queries(4):
        assert counts(deadlines_escalate(now=at(2025, 10, 1, 9))) == (0, 0, 0, 0)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_step_once(people, register):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks")
    cases = [
        register(
            now=at(2025, 9, 26, 9 + n),
            summary=f"第{n}件",
            content=f"内容{n}，各不相同的事情{n * 13}。",
            complainant=s.ComplainantData(anonymous=True),
            subject_units=[],
        )
        for n in range(4)
    ]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(deadlines_escalate(now=at(2025, 10, 15, 9)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r.overdue_notice for r in results) == 4
    assert sum(r.supervision_proposed for r in results) == 4
    assert sum(r.failed for r in results) == 0
    assert Reminder.objects.count() == 8
    assert CaseEvent.objects.filter(code="case.overdue_notice").count() == 4
    assert notified("case.overdue_notice") == ["clerk"] * 4
    assert AuditEntry.objects.filter(action="cases.case.escalate").count() == 8
    assert {c.number for c in cases} == set(
        Notification.objects.filter(code="case.supervision_proposed").values_list(
            "params__number", flat=True
        )
    )
