from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from xiaoneng.cases import services as s
from xiaoneng.cases.choices import Stage
from xiaoneng.cases.defaults import seed_categories
from xiaoneng.cases.models import Category, Deadline
from xiaoneng.cases.services import ComplainantData, case_register

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _default_categories(request):
    """The migration seeds the categories, but a transactional test earlier on the same worker
    empties every table when it ends; put them back for the tests that use the database."""
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if uses_db and not Category.objects.exists():
        seed_categories(Category)


@pytest.fixture
def category(db):
    return Category.objects.get(code="TWCP")


@pytest.fixture
def complainant():
    return ComplainantData(
        name="张三丰",
        phone="13812345678",
        id_number="330102199001011234",
        address="天洲区青石镇幸福路8号",
    )


@pytest.fixture
def register(clerk, category, complainant, unit_a):
    def _register(**overrides):
        values = {
            "actor": clerk,
            "channel": "phone",
            "category": category,
            "summary": "办理社保转移被多次推诿",
            "content": "今年三月起去区人社局办理社保转移，窗口三次让我找别的部门。",
            "complainant": complainant,
            "subject_units": [unit_a],
        }
        values.update(overrides)
        return case_register(**values)

    return _register


# --- hand-made cases for the statistics (test_statistics, test_figures) --------------------


def at(*args):
    return datetime(*args, tzinfo=TZ)


class Office:
    """Drives cases through the services at fixed times."""

    def __init__(self, register, clerk, supervisor, director):
        self.register, self.clerk, self.supervisor, self.director = (
            register,
            clerk,
            supervisor,
            director,
        )

    def received(self, day, month=3):
        return self.register(now=at(2025, month, day, 9), summary=f"第{month}月{day}日的件")

    def dispatched(self, unit, day, month=3):
        case = self.received(day, month)
        s.case_accept(actor=self.clerk, case=case, now=at(2025, month, day, 10))
        s.case_dispatch(
            actor=self.supervisor,
            case=case,
            mode="transfer",
            lead=s.UnitPart(unit),
            now=at(2025, month, day, 11),
        )
        return case

    def signed(self, unit, handler, day, month=3):
        case = self.dispatched(unit, day, month)
        s.assignment_sign(
            actor=handler, assignment=case.assignments.get(), now=at(2025, month, day, 14)
        )
        return case

    def handling_due(self, case):
        return Deadline.objects.get(
            case=case, stage=Stage.HANDLING, completed_at__isnull=True
        ).due_at

    def concluded(self, unit, handler, day, finding, *, replied=None, month=3):
        case = self.signed(unit, handler, day, month)
        replied = replied or at(2025, month, day + 3, 9)
        s.assignment_reply(
            actor=handler,
            assignment=case.assignments.get(),
            reply_text="已处理",
            finding=finding,
            now=replied,
        )
        s.case_review(
            actor=self.supervisor, case=case, approve=True, now=replied + timedelta(hours=1)
        )
        case.refresh_from_db()
        return case

    def callback(self, case, satisfaction, solved=""):
        s.case_callback(
            actor=self.clerk,
            case=case,
            satisfaction=satisfaction,
            solved=solved,
            now=case.reviewed_at + timedelta(hours=1),
        )
        case.refresh_from_db()
        return case


@pytest.fixture
def office_desk(register, clerk, supervisor, director):
    return Office(register, clerk, supervisor, director)


@pytest.fixture
def march(office_desk, supervisor, director, liaison_a, handler_a, handler_b, unit_a, unit_b):
    """The cases registered in March 2025 (and one in February), see the comments."""
    o = office_desk
    cases = {}
    # A1: concluded on time, substantiated, satisfied and solved, closed out.
    cases["A1"] = o.callback(
        o.concluded(unit_a, handler_a, 3, "substantiated"), "satisfied", "solved"
    )
    s.case_close_out(actor=supervisor, case=cases["A1"], now=at(2025, 3, 10, 9))
    # A2: concluded on time, not substantiated, dissatisfied and unsolved.
    cases["A2"] = o.callback(
        o.concluded(unit_a, handler_a, 4, "unsubstantiated"), "dissatisfied", "unsolved"
    )
    # A3: concluded after its handling deadline, partly substantiated, complainant unreachable.
    a3 = o.signed(unit_a, handler_a, 5)
    late = o.handling_due(a3) + timedelta(days=1)
    s.assignment_reply(
        actor=handler_a,
        assignment=a3.assignments.get(),
        reply_text="已处理",
        finding="partly",
        now=late,
    )
    s.case_review(actor=supervisor, case=a3, approve=True, now=late + timedelta(hours=1))
    a3.refresh_from_db()
    cases["A3"] = o.callback(a3, "unreachable")
    # A4: concluded after its first deadline but within an approved extension; no callback
    # yet, so its callback clock runs out: overdue now.
    a4 = o.signed(unit_a, handler_a, 6)
    original = o.handling_due(a4)
    request = s.extension_request(
        actor=handler_a,
        assignment=a4.assignments.get(),
        amount=10,
        reason="需要调取档案",
        now=at(2025, 3, 20, 9),
    )
    s.extension_decide(actor=director, request=request, approve=True, now=at(2025, 3, 21, 9))
    assert o.handling_due(a4) > original + timedelta(days=2)
    within = original + timedelta(days=1)
    s.assignment_reply(
        actor=handler_a,
        assignment=a4.assignments.get(),
        reply_text="已处理",
        finding="substantiated",
        now=within,
    )
    s.case_review(actor=supervisor, case=a4, approve=True, now=within + timedelta(hours=1))
    cases["A4"] = a4
    # A5: in progress; returned and kept by the unit, supervised: overdue now.
    a5 = o.signed(unit_a, handler_a, 7)
    record = s.assignment_return(
        actor=liaison_a,
        assignment=a5.assignments.get(),
        reason="不属于我局职责",
        now=at(2025, 3, 8, 9),
    )
    s.case_return_rule(
        actor=supervisor, case_return=record, ruling="insist", now=at(2025, 3, 10, 9)
    )
    s.case_supervise(
        actor=supervisor, case=a5, level="general", text="限期办结", now=at(2025, 3, 11, 9)
    )
    cases["A5"] = a5
    # A6: in progress but suspended: its clocks stand still, so it is not overdue.
    a6 = o.signed(unit_a, handler_a, 10)
    s.case_suspend(actor=supervisor, case=a6, reason="等待当事人补充材料", now=at(2025, 3, 11, 9))
    cases["A6"] = a6
    # A7: dissatisfied callback, redone: back in handling, overdue now.
    a7 = o.callback(o.concluded(unit_a, handler_a, 11, "substantiated"), "dissatisfied", "unsolved")
    s.case_redo(actor=supervisor, case=a7, reason="未解决", now=at(2025, 3, 20, 9))
    cases["A7"] = a7
    # R1: only registered: its acceptance clock ran out.
    cases["R1"] = o.received(12)
    # N1: not accepted.
    n1 = o.received(13)
    s.case_reject(actor=o.clerk, case=n1, reason="不属于受理范围", now=at(2025, 3, 13, 10))
    cases["N1"] = n1
    # B1: unit_b, concluded on time, partly substantiated, basically satisfied, partly solved.
    cases["B1"] = o.callback(o.concluded(unit_b, handler_b, 14, "partly"), "basically", "partly")
    # X1: registered in February, outside the period.
    cases["X1"] = o.concluded(unit_a, handler_a, 20, "substantiated", month=2)
    return cases
