"""Case deadlines pinned against the official calendar.

The 2025 Spring Festival (国务院办公厅 notice of 12 Nov 2024): holiday Tue 28 Jan – Tue 4 Feb
2025; make-up working days Sun 26 Jan and Sat 8 Feb. The day of the event does not count and a
period ends at the end of its last day, so a deadline is stored as 00:00 (Beijing time) of the
day after its last day; it has passed when ``now >= due_at``.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from xiaoneng.audit.models import AuditEntry
from xiaoneng.cases import services as s
from xiaoneng.cases.choices import Stage, Urgency
from xiaoneng.cases.deadlines import deadline_colour, time_limit_for
from xiaoneng.cases.models import (
    Case,
    CaseEvent,
    CaseSequence,
    CaseSettings,
    Category,
    Deadline,
    ExtensionRequest,
    TimeLimit,
)
from xiaoneng.workdays import calendar as workdays
from xiaoneng.workdays.choices import DeadlineStatus, DeadlineUnit

TZ = ZoneInfo("Asia/Shanghai")
WD, NATURAL, HOURS = DeadlineUnit.WORKING_DAYS, DeadlineUnit.NATURAL_DAYS, DeadlineUnit.HOURS

pytestmark = pytest.mark.django_db


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def clock(case, stage, assignment=None) -> Deadline:
    qs = Deadline.objects.filter(case=case, stage=stage)
    if assignment is not None:
        qs = qs.filter(assignment=assignment)
    return qs.latest("id")


def colour(deadline: Deadline, now: datetime) -> str:
    """The traffic light at ``now``, with the warning share read from CaseSettings."""
    return DeadlineStatus(deadline_colour(deadline=deadline, now=now)).colour


def test_the_official_2025_spring_festival_calendar_is_the_one_counted():
    holiday = [date(2025, 1, 28) + timedelta(days=i) for i in range(8)]
    assert holiday[-1] == date(2025, 2, 4)
    assert not any(workdays.is_working_day(day=d) for d in holiday)
    # The make-up working days (调休) are a Sunday and a Saturday.
    assert workdays.is_working_day(day=date(2025, 1, 26))
    assert workdays.is_working_day(day=date(2025, 2, 8))
    assert not workdays.is_working_day(day=date(2025, 1, 25))


# --- which rule applies ---------------------------------------------------------------------


def test_the_most_specific_time_limit_wins(category):
    other = Category.objects.get(code="MNJ")
    urgent = Urgency.URGENT

    def limit(cat, urgency, stage=Stage.HANDLING):
        return time_limit_for(stage=stage, category_id=cat.pk, urgency=urgency)

    # Nothing configured: the built-in defaults (working days).
    assert limit(category, urgent) == (30, WD)
    assert limit(category, urgent, Stage.ACCEPTANCE) == (3, WD)
    assert limit(category, urgent, Stage.SIGNING) == (1, WD)
    assert limit(category, urgent, Stage.CALLBACK) == (3, WD)

    TimeLimit.objects.create(stage=Stage.HANDLING, amount=20)
    assert limit(category, urgent) == (20, WD)  # the stage's general rule

    TimeLimit.objects.create(stage=Stage.HANDLING, urgency=urgent, amount=15)
    assert limit(category, urgent) == (15, WD)  # urgency beats the general rule
    assert limit(category, Urgency.NORMAL) == (20, WD)

    TimeLimit.objects.create(stage=Stage.HANDLING, category=category, amount=25, unit=NATURAL)
    assert limit(category, urgent) == (25, NATURAL)  # category beats urgency
    assert limit(category, Urgency.NORMAL) == (25, NATURAL)
    assert limit(other, urgent) == (15, WD)  # another category's rule never applies
    assert limit(other, Urgency.NORMAL) == (20, WD)

    TimeLimit.objects.create(
        stage=Stage.HANDLING, category=category, urgency=urgent, amount=48, unit=HOURS
    )
    assert limit(category, urgent) == (48, HOURS)  # category and urgency: the most specific
    assert limit(category, Urgency.VERY_URGENT) == (25, NATURAL)
    assert limit(other, urgent) == (15, WD)
    # Rules of one stage leave the others alone.
    assert limit(category, urgent, Stage.ACCEPTANCE) == (3, WD)


def test_a_natural_days_rule_ending_in_the_holiday_moves_to_the_next_working_day(
    register, category
):
    TimeLimit.objects.create(stage=Stage.ACCEPTANCE, category=category, amount=7, unit=NATURAL)
    case = register(now=at(2025, 1, 24, 10))  # Friday
    deadline = clock(case, Stage.ACCEPTANCE)
    # 24 Jan + 7 days = Fri 31 Jan, inside the holiday: the period ends with Wed 5 Feb.
    assert (deadline.amount, deadline.unit, deadline.estimated) == (7, NATURAL, False)
    assert deadline.due_at == at(2025, 2, 6)
    assert workdays.due_day(due=deadline.due_at) == date(2025, 2, 5)


def test_an_hours_rule_counts_wall_time_through_the_holiday(register):
    TimeLimit.objects.create(
        stage=Stage.ACCEPTANCE, urgency=Urgency.VERY_URGENT, amount=48, unit=HOURS
    )
    case = register(urgency=Urgency.VERY_URGENT, now=at(2025, 1, 27, 10))
    deadline = clock(case, Stage.ACCEPTANCE)
    assert (deadline.amount, deadline.unit) == (48, HOURS)
    assert deadline.due_at == at(2025, 1, 29, 10)
    # Wall time: 0.8 of 48 hours is 38 h 24 min after the registration.
    assert colour(deadline, at(2025, 1, 29, 0, 23, 59)) == "green"
    assert colour(deadline, at(2025, 1, 29, 0, 24)) == "yellow"
    assert colour(deadline, at(2025, 1, 29, 9, 59, 59)) == "yellow"
    assert colour(deadline, at(2025, 1, 29, 10)) == "red"
    # An ordinary case of the same category still gets 3 working days.
    normal = register(
        now=at(2025, 1, 27, 11),
        summary="另一件事",
        content="与上一件无关的内容。",
        complainant=s.ComplainantData(anonymous=True),
        subject_units=[],
    )
    assert (clock(normal, Stage.ACCEPTANCE).unit, clock(normal, Stage.ACCEPTANCE).amount) == (
        WD,
        3,
    )


# --- working days across the Spring Festival ------------------------------------------------


@pytest.mark.parametrize(
    ("registered", "due", "last_day"),
    [
        # Mon 27 Jan, the eve of the holiday: Wed 5, Thu 6, Fri 7 Feb.
        (at(2025, 1, 27, 16, 30), at(2025, 2, 8), date(2025, 2, 7)),
        # Sat 25 Jan, a rest day: Sun 26 Jan (make-up), Mon 27 Jan, Wed 5 Feb.
        (at(2025, 1, 25, 11), at(2025, 2, 6), date(2025, 2, 5)),
        # Fri 31 Jan, inside the holiday: the first day is the first working day after it.
        (at(2025, 1, 31, 9), at(2025, 2, 8), date(2025, 2, 7)),
        # Sun 26 Jan, itself a make-up working day, does not count: 27 Jan, 5 and 6 Feb.
        (at(2025, 1, 26, 9), at(2025, 2, 7), date(2025, 2, 6)),
    ],
)
def test_acceptance_is_due_three_working_days_after_registration(
    register, registered, due, last_day
):
    case = register(now=registered)
    deadline = clock(case, Stage.ACCEPTANCE)
    assert (deadline.amount, deadline.unit, deadline.estimated) == (3, WD, False)
    assert deadline.started_at == registered
    assert deadline.due_at == due
    assert workdays.due_day(due=deadline.due_at) == last_day


def test_the_exact_instant_of_the_acceptance_deadline(register):
    case = register(now=at(2025, 1, 27, 16, 30))
    deadline = clock(case, Stage.ACCEPTANCE)
    # 00:00 on Sat 8 Feb in Beijing is 16:00 UTC on Fri 7 Feb.
    assert deadline.due_at == datetime(2025, 2, 7, 16, 0, tzinfo=UTC)
    assert colour(deadline, at(2025, 2, 7, 23, 59, 59)) == "yellow"
    assert colour(deadline, at(2025, 2, 8)) == "red"


def test_signing_and_handling_clocks_count_the_saturday_make_up_day(
    register, clerk, supervisor, unit_a
):
    case = register(now=at(2025, 2, 6, 9))
    s.case_accept(actor=clerk, case=case, now=at(2025, 2, 7, 9))
    s.case_dispatch(
        actor=supervisor,
        case=case,
        mode="transfer",
        lead=s.UnitPart(unit_a),
        now=at(2025, 2, 7, 16),
    )
    assignment = case.assignments.get()
    assert clock(case, Stage.ACCEPTANCE).completed_at == at(2025, 2, 7, 9)
    # One working day from Fri 7 Feb: Sat 8 Feb, a make-up working day.
    assert clock(case, Stage.SIGNING, assignment).due_at == at(2025, 2, 9)
    # Thirty: 8 Feb, then 10–14, 17–21, 24–28 Feb, 3–7, 10–14 and 17–20 Mar.
    assert clock(case, Stage.HANDLING, assignment).due_at == at(2025, 3, 21)


def test_the_registration_year_is_the_year_in_beijing(register):
    # 16:30 UTC on 31 Dec 2025 is 00:30 on 1 Jan 2026 in Beijing: the 2026 register.
    case = register(now=datetime(2025, 12, 31, 16, 30, tzinfo=UTC))
    assert (case.number, case.year) == ("XN-2026-000001", 2026)
    assert list(CaseSequence.objects.values_list("year", "last")) == [(2026, 1)]


# --- suspension (中止) -----------------------------------------------------------------------


def _handling_case(register, clerk, supervisor, liaison_a, unit_a, *, amount, dispatched):
    case = register(now=dispatched - timedelta(hours=2))
    s.case_accept(actor=clerk, case=case, now=dispatched - timedelta(hours=1))
    s.case_dispatch(
        actor=supervisor,
        case=case,
        mode="transfer",
        lead=s.UnitPart(unit_a, amount=amount),
        now=dispatched,
    )
    assignment = case.assignments.get()
    s.assignment_sign(actor=liaison_a, assignment=assignment, now=dispatched + timedelta(hours=1))
    return case, assignment


@pytest.mark.parametrize(
    ("resumed", "due"),
    [
        # Resumed on Thu 6 Feb, which does not count: 7, Sat 8, 10–14, 17 Feb.
        (at(2025, 2, 6, 9), at(2025, 2, 18)),
        # Resumed inside the holiday: 5, 6, 7, Sat 8, 10–13 Feb.
        (at(2025, 1, 31, 10), at(2025, 2, 14)),
    ],
)
def test_suspension_across_the_holiday_keeps_the_remaining_working_days(
    register, clerk, supervisor, liaison_a, unit_a, resumed, due
):
    case, assignment = _handling_case(
        register, clerk, supervisor, liaison_a, unit_a, amount=10, dispatched=at(2025, 1, 20, 10)
    )
    handling = clock(case, Stage.HANDLING, assignment)
    # Ten working days from Mon 20 Jan: 21–24, Sun 26, 27 Jan, 5–7 Feb and Sat 8 Feb.
    assert handling.due_at == at(2025, 2, 9)

    s.case_suspend(actor=supervisor, case=case, reason="等待群众补充材料", now=at(2025, 1, 22, 15))
    handling.refresh_from_db()
    # 21 and 22 Jan are used; 23, 24, 26, 27 Jan and 5–8 Feb are kept.
    assert (handling.remaining, handling.suspended_at) == (8, at(2025, 1, 22, 15))
    # A suspended clock keeps the colour it had: green, however late it gets.
    assert colour(handling, at(2025, 3, 1)) == "green"
    case.refresh_from_db()
    assert (case.suspended_at, case.suspend_reason) == (at(2025, 1, 22, 15), "等待群众补充材料")

    s.case_resume(actor=supervisor, case=case, now=resumed)
    handling.refresh_from_db()
    assert (handling.due_at, handling.remaining, handling.suspended_at) == (due, None, None)
    assert handling.estimated is False
    case.refresh_from_db()
    assert (case.suspended_at, case.suspend_reason) == (None, "")
    codes = list(case.events.values_list("code", flat=True))
    assert codes[-2:] == ["case.suspended", "case.resumed"]


# --- extension (延期) -------------------------------------------------------------------------


def test_an_approved_extension_moves_the_deadline_past_the_holiday(
    register, clerk, supervisor, director, liaison_a, unit_a
):
    case, assignment = _handling_case(
        register, clerk, supervisor, liaison_a, unit_a, amount=5, dispatched=at(2025, 1, 22, 10)
    )
    handling = clock(case, Stage.HANDLING, assignment)
    # Five working days from Wed 22 Jan: 23, 24, Sun 26, 27 Jan and Wed 5 Feb.
    assert handling.due_at == at(2025, 2, 6)
    request = s.extension_request(
        actor=liaison_a,
        assignment=assignment,
        amount=3,
        reason="需现场核查",
        now=at(2025, 1, 24, 9),
    )
    assert request.status == "pending"
    s.extension_decide(actor=director, request=request, approve=True, now=at(2025, 1, 27, 9))
    handling.refresh_from_db()
    # Three more after Wed 5 Feb: 6, 7 and Sat 8 Feb.
    assert (handling.due_at, handling.extended_by, handling.amount) == (at(2025, 2, 9), 3, 5)
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.decided_at) == (
        "approved",
        director,
        at(2025, 1, 27, 9),
    )
    event = case.events.get(code="case.extension_approved")
    assert event.data == {"days": 3, "due": at(2025, 2, 9).isoformat()}


def test_a_refused_extension_leaves_the_deadline_and_needs_a_reason(
    register, clerk, supervisor, director, liaison_a, unit_a
):
    case, assignment = _handling_case(
        register, clerk, supervisor, liaison_a, unit_a, amount=5, dispatched=at(2025, 1, 22, 10)
    )
    request = s.extension_request(
        actor=liaison_a,
        assignment=assignment,
        amount=3,
        reason="需现场核查",
        now=at(2025, 1, 24, 9),
    )
    with pytest.raises(ValidationError) as excinfo:
        s.extension_decide(actor=director, request=request, approve=False, note=" ")
    assert "note" in excinfo.value.message_dict
    request.refresh_from_db()
    assert request.status == "pending"

    s.extension_decide(
        actor=director, request=request, approve=False, note="时限充足", now=at(2025, 1, 27, 9)
    )
    handling = clock(case, Stage.HANDLING, assignment)
    assert (handling.due_at, handling.extended_by) == (at(2025, 2, 6), 0)
    request.refresh_from_db()
    assert (request.status, request.decision_note) == ("refused", "时限充足")
    assert case.events.filter(code="case.extension_refused").count() == 1
    assert not case.events.filter(code="case.extension_approved").exists()
    # Once refused, the unit may ask again.
    again = s.extension_request(
        actor=liaison_a, assignment=assignment, amount=2, reason="补充理由", now=at(2025, 1, 27, 10)
    )
    assert again.status == "pending"


def test_handling_time_is_capped_at_sixty_working_days(
    register, clerk, supervisor, director, liaison_a, unit_a
):
    case, assignment = _handling_case(
        register, clerk, supervisor, liaison_a, unit_a, amount=None, dispatched=at(2025, 3, 3, 10)
    )
    handling = clock(case, Stage.HANDLING, assignment)
    # Thirty from Mon 3 Mar: 4 Mar … 3 Apr, Qingming 4–6 Apr, then 7–11, 14 and 15 Apr.
    assert (handling.amount, handling.due_at) == (30, at(2025, 4, 16))

    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        s.extension_request(actor=liaison_a, assignment=assignment, amount=31, reason="太多")
    assert excinfo.value.message_dict == {
        "amount": ["The handling time cannot exceed 60 working days in all."]
    }
    assert not ExtensionRequest.objects.exists()

    request = s.extension_request(
        actor=liaison_a, assignment=assignment, amount=30, reason="需多部门会商"
    )
    s.extension_decide(actor=director, request=request, approve=True, now=at(2025, 4, 1, 9))
    handling.refresh_from_db()
    # Thirty more after Tue 15 Apr: 16–18, 21–25, Sun 27 Apr (make-up), 28–30 Apr, Labour Day
    # 1–5 May, then 6–9, 12–16, 19–23 and 26–29 May.
    assert (handling.extended_by, handling.due_at) == (30, at(2025, 5, 30))
    with pytest.raises(ValidationError):
        s.extension_request(actor=liaison_a, assignment=assignment, amount=1, reason="再延")
    assert ExtensionRequest.objects.count() == 1


def test_the_cap_is_checked_again_when_the_director_decides(
    register, clerk, supervisor, director, liaison_a, unit_a
):
    case, assignment = _handling_case(
        register, clerk, supervisor, liaison_a, unit_a, amount=None, dispatched=at(2025, 3, 3, 10)
    )
    request = s.extension_request(actor=liaison_a, assignment=assignment, amount=10, reason="会商")
    CaseSettings.objects.update_or_create(id=1, defaults={"handling_limit_max": 35})
    with pytest.raises(ValidationError):
        s.extension_decide(actor=director, request=request, approve=True)
    request.refresh_from_db()
    handling = clock(case, Stage.HANDLING, assignment)
    assert (request.status, handling.extended_by, handling.due_at) == (
        "pending",
        0,
        at(2025, 4, 16),
    )


# --- traffic lights -------------------------------------------------------------------------


def test_deadline_colour_at_exact_moments(register, clerk, supervisor, liaison_a, unit_a):
    case, assignment = _handling_case(
        register, clerk, supervisor, liaison_a, unit_a, amount=5, dispatched=at(2025, 1, 22, 10)
    )
    handling = clock(case, Stage.HANDLING, assignment)
    assert handling.due_at == at(2025, 2, 6)  # 23, 24, Sun 26, 27 Jan, Wed 5 Feb
    assert CaseSettings.objects.get().warning_share == Decimal("0.80")
    expected = [
        (at(2025, 1, 22, 18), "green"),  # the day of dispatch does not count
        (at(2025, 1, 25, 12), "green"),  # Saturday: 2 of 5 days used, the clock stands still
        (at(2025, 1, 27, 23, 59, 59), "green"),  # just under 4 of 5
        (at(2025, 1, 28), "yellow"),  # 4 of 5 used: 0.8
        (at(2025, 2, 2, 12), "yellow"),  # the holiday does not use time
        (at(2025, 2, 5, 23, 59, 59), "yellow"),
        (at(2025, 2, 6), "red"),
    ]
    assert [(moment, colour(handling, moment)) for moment, _ in expected] == expected


def test_the_warning_share_comes_from_the_case_settings(
    register, clerk, supervisor, liaison_a, unit_a
):
    case, assignment = _handling_case(
        register, clerk, supervisor, liaison_a, unit_a, amount=5, dispatched=at(2025, 1, 22, 10)
    )
    handling = clock(case, Stage.HANDLING, assignment)
    CaseSettings.objects.update_or_create(id=1, defaults={"warning_share": Decimal("0.50")})
    # 2.5 of 5 working days are used at noon on Sun 26 Jan, a make-up working day.
    assert colour(handling, at(2025, 1, 26, 11, 59, 59)) == "green"
    assert colour(handling, at(2025, 1, 26, 12)) == "yellow"


# --- a year whose official calendar is not known --------------------------------------------


def test_an_unknown_year_counted_on_weekdays_gives_an_estimated_deadline(settings, register):
    settings.WORKDAYS_UNKNOWN_YEAR = "weekends"
    assert not workdays.is_year_known(year=2030)
    case = register(now=at(2030, 3, 4, 10))  # a Monday
    deadline = clock(case, Stage.ACCEPTANCE)
    assert case.number == "XN-2030-000001"
    assert (deadline.estimated, deadline.due_at) == (True, at(2030, 3, 8))  # 5, 6, 7 Mar


def test_an_unknown_year_under_the_error_policy_refuses_the_registration(settings, register):
    settings.WORKDAYS_UNKNOWN_YEAR = "error"
    with translation.override("en"), pytest.raises(workdays.CalendarYearUnknown) as excinfo:
        register(now=at(2030, 3, 4, 10))
    assert excinfo.value.code == "calendar_year_unknown"
    with translation.override("en"):
        assert excinfo.value.messages == [
            "The official holiday schedule for 2030 has not been entered yet; "
            "enter it on the working-day calendar page."
        ]
    assert not Case.objects.exists()
    assert not CaseSequence.objects.exists()
    assert not Deadline.objects.exists()
    assert not CaseEvent.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="cases.").exists()
