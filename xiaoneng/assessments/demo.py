"""A small demo assessment for the demo district: the groups 区直部门 and 镇街, and this year's
scheme for the departments with the indicators of a typical 机关效能建设考核 (效能投诉 25,
明察暗访 15, 任务落实 20, 政务公开 10, 群众满意度 30, 加减分 ±10, a veto of 效能告诫 or
above), scored by the demo evaluators and computed over the demo cases. Loaded once."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from xiaoneng.assessments import services as s
from xiaoneng.assessments.choices import IndicatorKind, Rule, TierDirection
from xiaoneng.assessments.models import Evaluation, Scheme, TargetGroup
from xiaoneng.org.choices import UnitKind
from xiaoneng.org.models import Unit, User

OFFICE_CODE = "TZ-XNB"


def _top_units(*kinds: str) -> list[Unit]:
    return list(
        Unit.objects.filter(is_active=True, kind__in=kinds, parent__code="TZ")
        .exclude(code=OFFICE_CODE)
        .order_by("order", "code")
    )


def _indicators(scheme: Scheme, actor: User) -> dict:
    def add(**values):
        scheme.refresh_from_db()
        return s.indicator_save(
            actor=actor, scheme=scheme, data=s.IndicatorData(**values), version=scheme.version
        )

    D = Decimal
    complaints = add(name="效能投诉", kind=IndicatorKind.GROUP)
    add(
        name="投诉件办结率",
        kind=IndicatorKind.COMPUTED,
        parent=complaints,
        weight=D(8),
        source="cases.closure_rate",
        rule=Rule.LINEAR,
        rule_params={"lower": "60", "upper": "100"},
    )
    add(
        name="按时办结率",
        kind=IndicatorKind.COMPUTED,
        parent=complaints,
        weight=D(7),
        source="cases.on_time_rate",
        rule=Rule.TIERS,
        rule_params={
            "direction": TierDirection.AT_LEAST,
            "tiers": [["100", "100"], ["90", "80"], ["80", "60"]],
            "otherwise": "30",
        },
    )
    add(
        name="查实投诉扣分",
        kind=IndicatorKind.COMPUTED,
        parent=complaints,
        weight=D(5),
        source="cases.substantiated",
        rule=Rule.PER_OCCURRENCE,
        rule_params={"per": "1", "cap": "5"},
    )
    add(name="投诉人满意率", kind=IndicatorKind.COMPUTED, parent=complaints, weight=D(5),
        source="cases.satisfaction_rate", rule=Rule.LINEAR,
        rule_params={"lower": "60", "upper": "100"})  # fmt: skip
    evaluated = {
        "明察暗访": add(name="明察暗访", kind=IndicatorKind.EVALUATED, weight=D(15),
                    aggregation="mean", no_data="zero"),
        "任务落实": add(name="任务落实", kind=IndicatorKind.EVALUATED, weight=D(20),
                    aggregation="mean", no_data="zero"),
        "政务公开": add(name="政务公开", kind=IndicatorKind.EVALUATED, weight=D(10),
                    aggregation="mean", no_data="zero"),
        "群众满意度": add(name="群众满意度", kind=IndicatorKind.EVALUATED, weight=D(30),
                     aggregation="trimmed", no_data="zero"),
    }  # fmt: skip
    bonus = add(name="加减分", kind=IndicatorKind.ADJUSTMENT, weight=D(10), max_deduction=D(10))
    add(name="一票否决（效能告诫及以上）", kind=IndicatorKind.VETO,
        source="cases.accountability", params={"min_level": "efficiency_warning"},
        threshold=D(1), cap_grade="fair")  # fmt: skip
    return {"evaluated": evaluated, "bonus": bonus}


@transaction.atomic
def demo_assessment_load() -> int:
    """The groups and this year's scheme for the departments, scored and computed. Returns
    the number of schemes made (0 when there is one already or the demo district is
    missing)."""
    if Scheme.objects.exists():
        return 0
    users = {u.username: u for u in User.objects.filter(is_active=True)}
    needed = ("supervisor", "director", "inspector", "inspector2", "supervisor2", "leader",
              "leader2")  # fmt: skip
    if any(name not in users for name in needed):
        return 0
    supervisor, director = users["supervisor"], users["director"]
    departments = _top_units(UnitKind.DEPARTMENT)
    towns = _top_units(UnitKind.TOWN, UnitKind.SUBDISTRICT)
    if not departments:
        return 0
    group = TargetGroup.objects.filter(name="区直部门").first() or s.group_save(
        actor=supervisor, name="区直部门", units=departments
    )
    if towns and not TargetGroup.objects.filter(name="镇街").exists():
        s.group_save(actor=supervisor, name="镇街", units=towns)
    year = timezone.localdate().year
    scheme = s.scheme_create(
        actor=supervisor,
        name=f"{year}年度区直部门机关效能建设考核",
        group=group,
        year=year,
        description="依据区机关效能建设实施意见，对区直部门进行年度效能考核，结果作为年度考核和奖惩的依据。",
    )
    made = _indicators(scheme, supervisor)
    evaluators = {
        "明察暗访": ("inspector", "inspector2"),
        "任务落实": ("supervisor", "supervisor2"),
        "政务公开": ("supervisor2",),
        "群众满意度": ("leader", "leader2", "inspector"),
    }
    for name, logins in evaluators.items():
        for login in logins:
            scheme.refresh_from_db()
            s.evaluator_set(
                actor=supervisor,
                indicator=made["evaluated"][name],
                user=users[login],
                version=scheme.version,
            )
    scheme.refresh_from_db()
    s.scheme_start_scoring(actor=supervisor, scheme=scheme, version=scheme.version)
    # Deterministic scores between 70 and 99, different per unit, indicator and evaluator.
    by_evaluator: dict[int, dict] = {}
    for e in Evaluation.objects.filter(indicator__scheme=scheme).select_related("target"):
        value = 70 + (e.target.order * 7 + e.indicator_id * 3 + e.evaluator_id * 5) % 30
        by_evaluator.setdefault(e.evaluator_id, {})[e.pk] = (Decimal(value), "")
    by_id = {u.pk: u for u in users.values()}
    for evaluator_id, scores in by_evaluator.items():
        s.evaluation_save(actor=by_id[evaluator_id], scheme=scheme, scores=scores)
    first = scheme.targets.order_by("order").first()
    item = s.adjustment_propose(
        actor=supervisor,
        scheme=scheme,
        indicator=made["bonus"],
        target=first,
        points=Decimal(2),
        reason="获市级“人民满意窗口”称号（市效能办通报）。",
    )
    s.adjustment_decide(actor=director, adjustment=item, approve=True, note="证明材料齐全。")
    run = s.compute_request(actor=supervisor, scheme=scheme, enqueue=False)
    s.compute_run(run=run)
    return 1
