"""A unit assessment computed over a district built by hand: every unit's indicator values,
points, total, rank and grade to the exact figure, with a tie, the 优秀 quota, a veto item and
an upheld appeal; the figures agree with the statistics page; a locked result never changes."""

from datetime import date
from decimal import Decimal

import pytest

from xiaoneng.assessments import services as s
from xiaoneng.assessments.choices import AppealRemedy, SchemeStatus
from xiaoneng.assessments.compute import build_context
from xiaoneng.assessments.indicators.registry import get_source
from xiaoneng.assessments.models import IndicatorResult, Result, Target
from xiaoneng.assessments.tests.conftest import at, compute
from xiaoneng.cases import services as cs
from xiaoneng.cases.statistics import case_statistics

pytestmark = pytest.mark.django_db

D = Decimal
NOW = at(2026, 1, 10, 9)
LABELS = ("区人社局", "区财政局", "区教育局", "区民政局", "区市场监管局")


def figures(scheme):
    table = {}
    for row in IndicatorResult.objects.filter(result__scheme=scheme).select_related(
        "result__target", "indicator"
    ):
        table.setdefault(row.result.target.label, {})[row.indicator.name] = row
    return table


def standings(scheme):
    return {
        r.target.label: (r.total, r.rank, r.grade, r.grade_by_score)
        for r in Result.objects.filter(scheme=scheme).select_related("target")
    }


def test_each_unit_to_the_exact_figure(scored, supervisor):
    scheme, ind = scored
    compute(scheme, supervisor)
    table = figures(scheme)
    values = {
        label: {
            name: (row.value, row.numerator, row.denominator, row.points)
            for name, row in table[label].items()
        }
        for label in LABELS
    }
    a = values["区人社局"]
    # 5 dispatched (one through the section), 4 concluded: 80.0 % → 10 × (80−50)/50 = 6.
    assert a["办结率"] == (D("80.00"), 4, 5, D("6.00"))
    # 3 of 4 on time: 75.0 %, under the 80 % tier: 50 % of 10.
    assert a["按时办结率"] == (D("75.00"), 3, 4, D("5.00"))
    # Two substantiated (A1, A3 partly): 10 − 2 × 2.
    assert a["查实投诉"] == (D("2.00"), 2, None, D("6.00"))
    # 3 of 4 answered satisfied: 75.0 % → 10 × (75−60)/40 = 3.75.
    assert a["满意率"] == (D("75.00"), 3, 4, D("3.75"))
    assert a["效能投诉"][3] == D("20.75")
    # Trimmed mean of 90, 95, 100 is 95 → 28.5; mean of 100 and 90 is 95 → 28.5.
    assert a["群众满意度"] == (D("95.00"), 3, None, D("28.50"))
    assert a["政务公开"] == (D("95.00"), 2, None, D("28.50"))
    # The approved +2 counts, the rejected +5 does not.
    assert a["加减分"][3] == D("2.00")
    assert a["效能告诫一票否决"] == (D("0.00"), 0, None, D("0.00"))

    b = values["区财政局"]
    assert b["办结率"] == (D("100.00"), 2, 2, D("10.00"))
    assert b["查实投诉"] == (D("0.00"), 0, None, D("10.00"))
    assert b["群众满意度"][3] == D("24.00")  # 70, 80, 90 → 80

    c = values["区教育局"]
    # No case: rates without data give full points; no substantiated complaint either.
    assert c["办结率"] == (None, 0, 0, D("10.00"))
    assert c["满意率"] == (None, 0, 0, D("10.00"))
    assert c["效能投诉"][3] == D("40.00")

    e = values["区市场监管局"]
    assert e["查实投诉"][3] == D("8.00")
    assert e["效能告诫一票否决"][:2] == (D("1.00"), 1)
    assert table["区市场监管局"]["效能告诫一票否决"].triggered is True

    assert standings(scheme) == {
        # E: the highest total, but the veto item caps it at 一般.
        "区市场监管局": (D("95.00"), 1, "fair", "excellent"),
        # B and C tie at 94: both reach 90, but together they exceed the quota of one
        # (20 % of 5): neither is 优秀.
        "区财政局": (D("94.00"), 2, "good", "excellent"),
        "区教育局": (D("94.00"), 2, "good", "excellent"),
        "区民政局": (D("86.50"), 4, "good", "good"),
        "区人社局": (D("79.75"), 5, "fair", "fair"),
    }
    results = {r.target.label: r for r in Result.objects.select_related("target")}
    assert results["区市场监管局"].vetoed is True
    assert results["区财政局"].notes == {"quota": ["excellent"]}


def test_an_upheld_appeal_changes_the_figure_and_the_ranking(
    scored, supervisor, director, head_b, unit_b
):
    scheme, ind = scored
    compute(scheme, supervisor)
    scheme.refresh_from_db()
    s.scheme_start_publicity(
        actor=director,
        scheme=scheme,
        publicity_end=date(2026, 1, 20),
        version=scheme.version,
        now=NOW,
    )
    target_b = scheme.targets.get(unit=unit_b)
    appeal = s.appeal_file(
        actor=head_b,
        scheme=scheme,
        target=target_b,
        indicator=ind["public"],
        reason="评委3的评分未考虑我局窗口改造",
        now=NOW,
    )
    s.appeal_decide(
        actor=director,
        appeal=appeal,
        uphold=True,
        remedy=AppealRemedy.OVERRIDE,
        new_points=D("25.5"),
        note="复核后调整为25.5分",
        now=NOW,
    )
    row = IndicatorResult.objects.get(result__target=target_b, indicator=ind["public"])
    assert (row.points, row.computed_points, row.appeal_id) == (D("25.50"), D("24.00"), appeal.pk)
    assert standings(scheme) == {
        "区财政局": (D("95.50"), 1, "excellent", "excellent"),
        "区市场监管局": (D("95.00"), 2, "fair", "excellent"),
        "区教育局": (D("94.00"), 3, "good", "excellent"),
        "区民政局": (D("86.50"), 4, "good", "good"),
        "区人社局": (D("79.75"), 5, "fair", "fair"),
    }
    # The notice ended and every appeal is decided: lock it.
    scheme.refresh_from_db()
    s.scheme_finalize(actor=director, scheme=scheme, version=scheme.version, now=at(2026, 1, 21, 9))
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.FINAL


def test_the_figures_agree_with_the_statistics_page(
    scored, supervisor, leader, unit_a, section_a, unit_b, unit_e
):
    scheme, _ind = scored
    compute(scheme, supervisor)
    stats = case_statistics(user=leader, start=date(2025, 1, 1), end=date(2025, 12, 31), now=NOW)
    rows = {row.key: row for row in stats.rows}
    table = figures(scheme)
    units = [
        (unit_a, "区人社局", [unit_a, section_a]),
        (unit_b, "区财政局", [unit_b]),
        (unit_e, "区市场监管局", [unit_e]),
    ]
    for unit, label, keys in units:
        counts = {
            figure: sum(rows[str(u.pk)].counts[figure] for u in keys)
            for figure in (
                "dispatched",
                "concluded",
                "on_time",
                "answered",
                "satisfied",
                "substantiated",
            )
        }
        mine = table[label]
        assert (mine["办结率"].numerator, mine["办结率"].denominator) == (
            counts["concluded"],
            counts["dispatched"],
        )
        assert (mine["按时办结率"].numerator, mine["按时办结率"].denominator) == (
            counts["on_time"],
            counts["concluded"],
        )
        assert (mine["满意率"].numerator, mine["满意率"].denominator) == (
            counts["satisfied"],
            counts["answered"],
        )
        assert mine["查实投诉"].numerator == counts["substantiated"]
        if len(keys) == 1:
            assert mine["满意率"].value == rows[str(unit.pk)].rates["satisfaction"].value


def test_each_figure_names_the_cases_behind_it(scored, supervisor, district_cases):
    scheme, _ind = scored
    compute(scheme, supervisor)
    a = figures(scheme)["区人社局"]
    ids = {k: c.pk for k, c in district_cases.items()}
    assert a["办结率"].records == sorted(ids[k] for k in ("A1", "A2", "A3", "A4", "A5"))
    assert a["办结率"].hits == sorted(ids[k] for k in ("A1", "A2", "A3", "A4"))
    assert a["按时办结率"].hits == sorted(ids[k] for k in ("A1", "A2", "A4"))
    assert a["查实投诉"].records == sorted([ids["A1"], ids["A3"]])
    assert a["满意率"].hits == sorted(ids[k] for k in ("A1", "A3", "A4"))
    assert a["办结率"].record_model == "cases.case"
    overdue = get_source("cases.overdue").compute(
        build_context(scheme, list(scheme.targets.order_by("order"))), {}
    )
    target_a = scheme.targets.get(label="区人社局")
    assert overdue[target_a.pk].records == sorted([ids["A3"], ids["A5"]])


def test_a_recompute_is_deterministic_and_a_locked_result_never_changes(
    scored, supervisor, director, desk, unit_b, handler_b
):
    scheme, _ind = scored
    compute(scheme, supervisor)
    first = (
        standings(scheme),
        {k: {n: r.points for n, r in v.items()} for k, v in figures(scheme).items()},
    )
    compute(scheme, supervisor)
    second = (
        standings(scheme),
        {k: {n: r.points for n, r in v.items()} for k, v in figures(scheme).items()},
    )
    assert first == second
    scheme.refresh_from_db()
    s.scheme_start_publicity(
        actor=director,
        scheme=scheme,
        publicity_end=date(2026, 1, 12),
        version=scheme.version,
        now=NOW,
    )
    scheme.refresh_from_db()
    s.scheme_finalize(actor=director, scheme=scheme, version=scheme.version, now=at(2026, 1, 13, 9))
    digest = s.results_digest(scheme)
    # Data under the assessment changes afterwards: a dissatisfied, substantiated case of 2025.
    desk.called_back(desk.concluded(unit_b, handler_b, 12, 1, "substantiated"), "dissatisfied")
    assert s.results_digest(scheme) == digest
    assert standings(scheme) == first[0]
    scheme.refresh_from_db()
    with pytest.raises(s.ValidationError):
        s.compute_request(actor=supervisor, scheme=scheme, enqueue=False)


def test_a_recompute_remedy_reads_the_current_data(
    scored, supervisor, director, head_b, unit_b, desk, handler_b
):
    scheme, ind = scored
    compute(scheme, supervisor)
    scheme.refresh_from_db()
    s.scheme_start_publicity(
        actor=director,
        scheme=scheme,
        publicity_end=date(2026, 1, 20),
        version=scheme.version,
        now=NOW,
    )
    # A case of B found substantiated after the computation (e.g. after a review).
    late = desk.concluded(unit_b, handler_b, 12, 2, "substantiated")
    target_b = scheme.targets.get(unit=unit_b)
    appeal = s.appeal_file(
        actor=head_b,
        scheme=scheme,
        target=target_b,
        indicator=ind["substantiated"],
        reason="请按最新查处结果计算",
        now=NOW,
    )
    s.appeal_decide(
        actor=director,
        appeal=appeal,
        uphold=True,
        remedy=AppealRemedy.RECOMPUTE,
        note="按现有数据重算",
        now=NOW,
    )
    row = IndicatorResult.objects.get(result__target=target_b, indicator=ind["substantiated"])
    assert (row.value, row.points, row.records) == (D("1.00"), D("8.00"), [late.pk])
    # B falls to 92; C keeps its figures (only the appealed one was recomputed) and, no
    # longer tied, takes the one 优秀 place of the quota.
    assert standings(scheme)["区财政局"][:3] == (D("92.00"), 3, "good")
    assert standings(scheme)["区教育局"][:3] == (D("94.00"), 2, "excellent")


def test_persons_are_assessed_by_the_cases_they_handled(
    district_cases,
    departments,
    build_scheme,
    supervisor,
    handler_a,
    handler_section_a,
    handler_b,
    handler_e,
    liaison_a,
    unit_head_a,
    evaluators,
):
    scheme, ind = build_scheme(departments, target_kind="person", name="2025年度个人考核")
    s.scheme_start_scoring(actor=supervisor, scheme=scheme, version=scheme.version)
    labels = list(scheme.targets.order_by("order").values_list("label", "unit__short_name"))
    assert labels == [
        ("孙承办", "区财政局"),
        ("冯科员", "区人社局"),
        ("吴承办", "区人社局"),
        ("周联络", "区人社局"),
        ("郑局长", "区人社局"),
        ("蒋承办", "区市场监管局"),
    ]
    compute(scheme, supervisor)
    table = figures(scheme)
    wu = table["吴承办"]
    # 吴承办 handled A1, A2, A3 (concluded) and A5 (open).
    assert (wu["办结率"].numerator, wu["办结率"].denominator) == (3, 4)
    assert wu["办结率"].value == D("75.00")
    # A substantiated complaint counts for the person named in an accountability decision.
    assert (wu["查实投诉"].value, wu["查实投诉"].records) == (D("1.00"), [district_cases["A1"].pk])
    assert table["冯科员"]["办结率"].value == D("100.00")
    assert table["周联络"]["办结率"].value is None
    # The efficiency warning was against the unit, not a person: no veto for anyone.
    assert not Result.objects.filter(scheme=scheme, vetoed=True).exists()


def test_cases_are_not_counted_twice_when_a_group_holds_a_unit_and_its_section(
    district_cases, unit_a, section_a, supervisor, build_scheme
):
    group = s.group_save(actor=supervisor, name="人社", units=[unit_a, section_a])
    scheme, _ind = build_scheme(group, name="人社局及科室")
    s.scheme_start_scoring(actor=supervisor, scheme=scheme, version=scheme.version)
    compute(scheme, supervisor)
    table = figures(scheme)
    assert (table["区人社局"]["办结率"].numerator, table["区人社局"]["办结率"].denominator) == (
        3,
        4,
    )
    assert (
        table["区人社局办公室"]["办结率"].numerator,
        table["区人社局办公室"]["办结率"].denominator,
    ) == (1, 1)


def test_a_case_returned_by_a_unit_counts_for_it(
    desk, unit_a, unit_b, liaison_a, handler_a, supervisor, departments
):
    case = desk.signed(unit_a, handler_a, 5, 5)
    record = cs.assignment_return(
        actor=liaison_a,
        assignment=case.assignments.get(),
        reason="不属于我局职责",
        now=at(2025, 5, 6, 9),
    )
    cs.case_return_rule(
        actor=supervisor, case_return=record, ruling="insist", now=at(2025, 5, 7, 9)
    )
    scheme = s.scheme_create(actor=supervisor, name="退单", group=departments, year=2025)
    targets = [
        Target(scheme=scheme, unit=u, label=u.name, order=i)
        for i, u in enumerate(departments.units.order_by("order"))
    ]
    Target.objects.bulk_create(targets)
    context = build_context(scheme, list(scheme.targets.all()))
    returned = get_source("cases.returned")
    any_return = returned.compute(context, {"ruling": "any"})
    unfounded = returned.compute(context, {"ruling": "insist"})
    target_a = scheme.targets.get(unit=unit_a)
    assert any_return[target_a.pk].records == [case.pk]
    assert unfounded[target_a.pk].records == [case.pk]
