"""A small district built by hand for the assessment tests: five departments with cases in
2025 driven through the case services at fixed times, and helpers to build schemes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from xiaoneng.assessments import services as s
from xiaoneng.assessments.choices import IndicatorKind, Rule, RunStatus, TargetKind, TierDirection
from xiaoneng.assessments.models import Evaluation
from xiaoneng.cases import services as cs
from xiaoneng.cases.choices import Stage
from xiaoneng.cases.defaults import seed_categories
from xiaoneng.cases.models import Category, Deadline
from xiaoneng.org.choices import Role
from xiaoneng.org.tests.factories import UnitFactory, UserFactory

TZ = ZoneInfo("Asia/Shanghai")
YEAR = 2025


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _categories(request):
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if uses_db and not Category.objects.exists():
        seed_categories(Category)


class Desk:
    """Drives cases through the case services at fixed times."""

    def __init__(self, clerk, supervisor, director):
        self.clerk, self.supervisor, self.director = clerk, supervisor, director
        self.category = Category.objects.get(code="TWCP")

    def registered(self, month, day, year=YEAR):
        return cs.case_register(
            actor=self.clerk,
            channel="phone",
            category=self.category,
            summary=f"{year}年{month}月{day}日反映的问题",
            content="窗口推诿，多次往返仍未办成。",
            complainant=cs.ComplainantData(name="张三", phone="13800000000"),
            now=at(year, month, day, 9),
        )

    def signed(self, unit, handler, month, day, year=YEAR):
        case = self.registered(month, day, year)
        cs.case_accept(actor=self.clerk, case=case, now=at(year, month, day, 10))
        cs.case_dispatch(
            actor=self.supervisor,
            case=case,
            mode="transfer",
            lead=cs.UnitPart(unit),
            now=at(year, month, day, 11),
        )
        cs.assignment_sign(
            actor=handler, assignment=case.assignments.get(), now=at(year, month, day, 14)
        )
        return case

    def concluded(self, unit, handler, month, day, finding, *, late=False, year=YEAR):
        case = self.signed(unit, handler, month, day, year)
        if late:
            due = Deadline.objects.get(
                case=case, stage=Stage.HANDLING, completed_at__isnull=True
            ).due_at
            replied = due + timedelta(days=1)
        else:
            replied = at(year, month, day + 3, 9)
        cs.assignment_reply(
            actor=handler,
            assignment=case.assignments.get(),
            reply_text="已处理",
            finding=finding,
            now=replied,
        )
        cs.case_review(
            actor=self.supervisor, case=case, approve=True, now=replied + timedelta(hours=1)
        )
        case.refresh_from_db()
        return case

    def called_back(self, case, satisfaction, solved="solved"):
        cs.case_callback(
            actor=self.clerk,
            case=case,
            satisfaction=satisfaction,
            solved=solved,
            now=case.reviewed_at + timedelta(hours=1),
        )
        case.refresh_from_db()
        return case

    def accountability(self, case, unit, kind, decided_on, person=None):
        return cs.accountability_record(
            actor=self.supervisor,
            case=case,
            kind=kind,
            unit=unit,
            person=person,
            decided_on=decided_on,
            now=at(decided_on.year, decided_on.month, decided_on.day, 16),
        )


@pytest.fixture
def desk(clerk, supervisor, director):
    return Desk(clerk, supervisor, director)


@pytest.fixture
def unit_c(district):
    return UnitFactory(
        code="TZ-JYJ", name="天洲区教育局", short_name="区教育局", parent=district, order=30
    )


@pytest.fixture
def unit_d(district):
    return UnitFactory(
        code="TZ-MZJ", name="天洲区民政局", short_name="区民政局", parent=district, order=40
    )


@pytest.fixture
def unit_e(district):
    return UnitFactory(
        code="TZ-SCJ", name="天洲区市场监管局", short_name="区市场监管局", parent=district, order=50
    )


@pytest.fixture
def handler_section_a(section_a):
    return UserFactory(username="handler_sa", name="冯科员", unit=section_a, roles=[Role.HANDLER])


@pytest.fixture
def handler_e(unit_e):
    return UserFactory(username="handler_e", name="蒋承办", unit=unit_e, roles=[Role.HANDLER])


@pytest.fixture
def head_b(unit_b):
    return UserFactory(username="head_b", name="沈局长", unit=unit_b, roles=[Role.UNIT_HEAD])


@pytest.fixture
def evaluators(office, district):
    return [
        UserFactory(username=f"eval{i}", name=f"评委{i}", unit=district, roles=[Role.LEADER])
        for i in (1, 2, 3)
    ]


@pytest.fixture
def district_cases(
    desk,
    unit_a,
    section_a,
    unit_b,
    unit_c,
    unit_d,
    unit_e,
    handler_a,
    handler_b,
    handler_section_a,
    handler_e,
    liaison_a,
    supervisor,
):
    """The cases of 2025 (and one of 2024) behind the figures the tests expect:

    区人社局 (with its section): 5 dispatched, 4 concluded (closure 80.0 %), 3 on time (75.0 %),
    answered 4, satisfied 3 (75.0 %), 2 substantiated, 2 overdue (one late, one still open),
    one criticism. 区财政局: 2 concluded on time, satisfied, none substantiated. 区教育局 and
    区民政局: no case. 区市场监管局: 1 concluded, substantiated, satisfied, with an efficiency
    warning (效能告诫) against the unit."""
    d = desk
    cases = {}
    cases["A1"] = d.called_back(d.concluded(unit_a, handler_a, 3, 3, "substantiated"), "satisfied")
    cases["A2"] = d.called_back(
        d.concluded(unit_a, handler_a, 3, 4, "unsubstantiated"), "dissatisfied", "unsolved"
    )
    cases["A3"] = d.called_back(
        d.concluded(unit_a, handler_a, 4, 7, "partly", late=True), "basically", "partly"
    )
    cases["A4"] = d.called_back(
        d.concluded(section_a, handler_section_a, 5, 6, "unsubstantiated"), "satisfied"
    )
    cases["A5"] = d.signed(unit_a, handler_a, 6, 2)
    d.accountability(cases["A1"], unit_a, "criticism", date(2025, 4, 1), person=handler_a)
    cases["B1"] = d.called_back(
        d.concluded(unit_b, handler_b, 3, 10, "unsubstantiated"), "satisfied"
    )
    cases["B2"] = d.called_back(
        d.concluded(unit_b, handler_b, 8, 11, "unsubstantiated"), "satisfied"
    )
    # Outside the period: registered in 2024, substantiated and dissatisfied.
    cases["B0"] = d.called_back(
        d.concluded(unit_b, handler_b, 11, 4, "substantiated", year=2024), "dissatisfied"
    )
    cases["E1"] = d.called_back(d.concluded(unit_e, handler_e, 9, 1, "substantiated"), "satisfied")
    d.accountability(cases["E1"], unit_e, "efficiency_warning", date(2025, 10, 9))
    return cases


@pytest.fixture
def departments(unit_a, unit_b, unit_c, unit_d, unit_e, supervisor):
    return s.group_save(
        actor=supervisor, name="区直部门", units=[unit_a, unit_b, unit_c, unit_d, unit_e]
    )


def add(scheme, actor, **values):
    scheme.refresh_from_db()
    data = s.IndicatorData(**values)
    return s.indicator_save(actor=actor, scheme=scheme, data=data, version=scheme.version)


@pytest.fixture
def build_scheme(supervisor, evaluators):
    """``build_scheme(group, target_kind)``: the scheme of the tests (100 points, ±10, a
    veto of 效能告诫 or above capping the grade at 一般 / 基本称职)."""

    def build(group, target_kind=TargetKind.UNIT, name="2025年度区直部门效能考核"):
        scheme = s.scheme_create(
            actor=supervisor, name=name, group=group, year=YEAR, target_kind=target_kind
        )
        complaints = add(scheme, supervisor, name="效能投诉", kind=IndicatorKind.GROUP)
        ind = {"group": complaints}
        ind["closure"] = add(
            scheme,
            supervisor,
            name="办结率",
            kind=IndicatorKind.COMPUTED,
            parent=complaints,
            weight=Decimal(10),
            source="cases.closure_rate",
            rule=Rule.LINEAR,
            rule_params={"lower": "50", "upper": "100"},
        )
        ind["on_time"] = add(
            scheme,
            supervisor,
            name="按时办结率",
            kind=IndicatorKind.COMPUTED,
            parent=complaints,
            weight=Decimal(10),
            source="cases.on_time_rate",
            rule=Rule.TIERS,
            rule_params={
                "direction": TierDirection.AT_LEAST,
                "tiers": [["100", "100"], ["80", "80"]],
                "otherwise": "50",
            },
        )
        ind["substantiated"] = add(
            scheme,
            supervisor,
            name="查实投诉",
            kind=IndicatorKind.COMPUTED,
            parent=complaints,
            weight=Decimal(10),
            source="cases.substantiated",
            rule=Rule.PER_OCCURRENCE,
            rule_params={"per": "2", "cap": "6"},
        )
        ind["satisfaction"] = add(
            scheme,
            supervisor,
            name="满意率",
            kind=IndicatorKind.COMPUTED,
            parent=complaints,
            weight=Decimal(10),
            source="cases.satisfaction_rate",
            rule=Rule.LINEAR,
            rule_params={"lower": "60", "upper": "100"},
        )
        ind["public"] = add(
            scheme,
            supervisor,
            name="群众满意度",
            kind=IndicatorKind.EVALUATED,
            weight=Decimal(30),
            aggregation="trimmed",
            no_data="zero",
        )
        ind["openness"] = add(
            scheme,
            supervisor,
            name="政务公开",
            kind=IndicatorKind.EVALUATED,
            weight=Decimal(30),
            aggregation="mean",
            no_data="zero",
        )
        ind["bonus"] = add(
            scheme,
            supervisor,
            name="加减分",
            kind=IndicatorKind.ADJUSTMENT,
            weight=Decimal(10),
            max_deduction=Decimal(10),
        )
        ind["veto"] = add(
            scheme,
            supervisor,
            name="效能告诫一票否决",
            kind=IndicatorKind.VETO,
            source="cases.accountability",
            params={"min_level": "efficiency_warning"},
            threshold=Decimal(1),
            cap_grade="fair" if target_kind == TargetKind.UNIT else "basic",
        )
        for evaluator in evaluators:
            scheme.refresh_from_db()
            s.evaluator_set(
                actor=supervisor, indicator=ind["public"], user=evaluator, version=scheme.version
            )
        for evaluator in evaluators[:2]:
            scheme.refresh_from_db()
            s.evaluator_set(
                actor=supervisor,
                indicator=ind["openness"],
                user=evaluator,
                version=scheme.version,
            )
        scheme.refresh_from_db()
        return scheme, ind

    return build


def score(scheme, indicator, evaluator, by_target: dict):
    """Give ``evaluator``'s scores {target label: score} on ``indicator``."""
    rows = Evaluation.objects.filter(indicator=indicator, evaluator=evaluator).select_related(
        "target"
    )
    scores = {
        e.pk: (Decimal(str(by_target[e.target.label])), "")
        for e in rows
        if e.target.label in by_target
    }
    s.evaluation_save(actor=evaluator, scheme=scheme, scores=scores)


@pytest.fixture
def scored(district_cases, departments, build_scheme, supervisor, director, evaluators, unit_a):
    scheme, ind = build_scheme(departments)
    s.scheme_start_scoring(actor=supervisor, scheme=scheme, version=scheme.version)
    scheme.refresh_from_db()
    e1, e2, e3 = evaluators
    public = {
        "区人社局": (90, 95, 100),
        "区财政局": (80, 90, 70),
        "区教育局": (70, 80, 90),
        "区民政局": (80, 80, 80),
        "区市场监管局": (100, 100, 100),
    }
    for i, evaluator in enumerate(evaluators):
        score(scheme, ind["public"], evaluator, {k: v[i] for k, v in public.items()})
    openness = {
        "区人社局": (100, 90),
        "区财政局": (100, 100),
        "区教育局": (100, 100),
        "区民政局": (70, 80),
        "区市场监管局": (90, 90),
    }
    for i, evaluator in enumerate((e1, e2)):
        score(scheme, ind["openness"], evaluator, {k: v[i] for k, v in openness.items()})
    target_a = scheme.targets.get(unit=unit_a)
    bonus = s.adjustment_propose(
        actor=supervisor,
        scheme=scheme,
        indicator=ind["bonus"],
        target=target_a,
        points=Decimal(2),
        reason="省级表彰：窗口服务标兵",
    )
    s.adjustment_decide(actor=director, adjustment=bonus, approve=True)
    refused = s.adjustment_propose(
        actor=supervisor,
        scheme=scheme,
        indicator=ind["bonus"],
        target=target_a,
        points=Decimal(5),
        reason="市级通报表扬",
    )
    s.adjustment_decide(actor=director, adjustment=refused, approve=False, note="证据不足")
    return scheme, ind


def compute(scheme, actor):
    run = s.compute_request(actor=actor, scheme=scheme, enqueue=False)
    run = s.compute_run(run=run)
    assert run.status == RunStatus.DONE, run.error
    return run
