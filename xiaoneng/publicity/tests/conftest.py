"""Closed cases built through the case services (as in xiaoneng/cases/tests)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from xiaoneng.cases import services as cs
from xiaoneng.cases.defaults import seed_categories
from xiaoneng.cases.models import Category

TZ = ZoneInfo("Asia/Shanghai")

COMPLAINANT_NAME = "张三丰"
COMPLAINANT_PHONE = "13812345678"
COMPLAINANT_ID = "330102199001011234"
COMPLAINANT_ADDRESS = "天洲区青石镇幸福路8号"


def at(*args):
    return datetime(*args, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _default_categories(request):
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if uses_db and not Category.objects.exists():
        seed_categories(Category)


@pytest.fixture
def category(db):
    return Category.objects.get(code="TWCP")


@pytest.fixture
def register(clerk, category, unit_a):
    def _register(**overrides):
        values = {
            "actor": clerk,
            "channel": "phone",
            "category": category,
            "summary": "办理社保转移被多次推诿",
            "content": "今年三月起去区人社局办理社保转移，窗口三次让我找别的部门。我叫张三丰。",
            "complainant": cs.ComplainantData(
                name=COMPLAINANT_NAME,
                phone=COMPLAINANT_PHONE,
                id_number=COMPLAINANT_ID,
                address=COMPLAINANT_ADDRESS,
            ),
            "subject_units": [unit_a],
        }
        values.update(overrides)
        return cs.case_register(**values)

    return _register


@pytest.fixture
def closed_case(register, clerk, supervisor, liaison_a, handler_a, unit_a):
    """A substantiated case transferred to unit A, with a circulated criticism, closed out."""

    def _closed(summary="办理社保转移被多次推诿", person_name="吴某某", day=1):
        case = register(summary=summary, now=at(2025, 9, day, 9))
        cs.case_accept(actor=clerk, case=case, now=at(2025, 9, day, 10))
        cs.case_dispatch(
            actor=supervisor,
            case=case,
            mode="transfer",
            lead=cs.UnitPart(unit_a, "查明推诿原因"),
            now=at(2025, 9, day, 11),
        )
        assignment = case.assignments.get()
        cs.assignment_sign(
            actor=liaison_a, assignment=assignment, handler=handler_a, now=at(2025, 9, day, 12)
        )
        cs.assignment_reply(
            actor=handler_a,
            assignment=assignment,
            reply_text="已向张三丰当面致歉并办结社保转移",
            finding="substantiated",
            measures="推行窗口首问负责制",
            now=at(2025, 9, day, 13),
        )
        cs.case_review(actor=supervisor, case=case, approve=True, now=at(2025, 9, day, 14))
        cs.accountability_record(
            actor=supervisor,
            case=case,
            kind="circulated",
            unit=unit_a,
            person_name=person_name,
            decided_on=date(2025, 9, day),
            now=at(2025, 9, day, 15),
        )
        cs.case_callback(
            actor=clerk,
            case=case,
            satisfaction="satisfied",
            solved="solved",
            now=at(2025, 9, day, 16),
        )
        cs.case_close_out(actor=supervisor, case=case, now=at(2025, 9, day, 17))
        case.refresh_from_db()
        return case

    return _closed
