"""The assessment services: periods, the checks on indicators and grades, the locks of each
stage, the scoring rules on their own, and concurrent decisions (PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from xiaoneng.assessments import services as s
from xiaoneng.assessments.choices import (
    AppealStatus,
    IndicatorKind,
    Rule,
    SchemeStatus,
)
from xiaoneng.assessments.models import Appeal, Indicator
from xiaoneng.assessments.scoring import (
    GradeStep,
    Standing,
    combine_scores,
    grade,
    rank,
    rule_points,
)
from xiaoneng.assessments.tests.conftest import compute
from xiaoneng.audit.models import AuditEntry
from xiaoneng.org.services import ConflictError

D = Decimal


# --- the arithmetic on its own -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "params", "value", "points"),
    [
        (Rule.LINEAR, {"lower": "60", "upper": "100"}, D("59.9"), D("0.00")),
        (Rule.LINEAR, {"lower": "60", "upper": "100"}, D("87.5"), D("6.88")),
        (Rule.LINEAR, {"lower": "60", "upper": "100"}, D("100"), D("10.00")),
        # A count where fewer is better: 10 occurrences no points, none all points.
        (Rule.LINEAR, {"lower": "10", "upper": "0"}, D("3"), D("7.00")),
        (
            Rule.TIERS,
            {"direction": "at_least", "tiers": [["95", "100"], ["90", "80"]], "otherwise": "40"},
            D("92"),
            D("8.00"),
        ),
        (
            Rule.TIERS,
            {"direction": "at_most", "tiers": [["0", "100"], ["2", "50"]], "otherwise": "0"},
            D("2"),
            D("5.00"),
        ),
        (Rule.PER_OCCURRENCE, {"per": "1.5", "cap": "4"}, D("2"), D("7.00")),
        (Rule.PER_OCCURRENCE, {"per": "1.5", "cap": "4"}, D("5"), D("6.00")),
    ],
)
def test_each_rule_to_the_exact_figure(rule, params, value, points):
    assert rule_points(rule=rule, params=params, weight=D(10), value=value, no_data="full")[0] == (
        points
    )


def test_a_rate_without_data_gets_all_points_or_none():
    for no_data, points in (("full", D("10.00")), ("zero", D("0.00"))):
        assert (
            rule_points(rule="linear", params={}, weight=D(10), value=None, no_data=no_data)[0]
            == points
        )


def test_the_trimmed_mean_drops_one_highest_and_one_lowest():
    assert combine_scores([D(90), D(60), D(100), D(80)], "trimmed") == (D("85.00"), [D(60), D(100)])
    assert combine_scores([D(90), D(60)], "trimmed") == (D("75.00"), [])
    assert combine_scores([], "mean") == (None, [])


def test_ranks_share_ties_and_skip():
    standings = [Standing(k, D(t), k) for k, t in enumerate([90, 95, 90, 80])]
    assert [(s.key, s.rank) for s in rank(standings)] == [(1, 1), (0, 2), (2, 2), (3, 4)]


def test_a_quota_leaves_out_a_tie_that_would_exceed_it_and_a_veto_caps():
    steps = [
        GradeStep("excellent", D(90), D(40)),
        GradeStep("good", D(80)),
        GradeStep("fair", D(60)),
        GradeStep("poor", D(0)),
    ]
    standings = [Standing(k, D(t), k) for k, t in enumerate([96, 93, 93, 85, 70])]
    standings[3].cap = "fair"
    grade(standings, steps)
    # 40 % of 5 = 2 places: the 96 takes one; the two 93s together would exceed the quota.
    assert [s.grade for s in standings] == ["excellent", "good", "good", "fair", "fair"]
    assert standings[1].notes == {"quota": ["excellent"]}
    assert standings[3].notes == {"veto": True}


# --- periods, grades and indicators --------------------------------------------------------------


def test_periods():
    assert s.period_dates(2025, "half", 2) == (date(2025, 7, 1), date(2025, 12, 31))
    assert s.period_dates(2024, "quarter", 1) == (date(2024, 1, 1), date(2024, 3, 31))
    with pytest.raises(ValidationError):
        s.period_dates(2025, "quarter", 5)


@pytest.fixture
def draft(departments, supervisor):
    return s.scheme_create(
        actor=supervisor,
        name="2025年度考核",
        group=departments,
        year=2025,
        period_kind="half",
        period_no=1,
    )


@pytest.mark.django_db
def test_a_new_scheme_has_the_default_grades_and_its_period(draft):
    assert (draft.start, draft.end) == (date(2025, 1, 1), date(2025, 6, 30))
    assert list(draft.grade_rules.values_list("grade", "min_score", "quota")) == [
        ("excellent", D("90.00"), D("20.00")),
        ("good", D("80.00"), None),
        ("fair", D("60.00"), None),
        ("poor", D("0.00"), None),
    ]


@pytest.mark.django_db
def test_grades_must_fall_from_the_best_to_the_worst(draft, supervisor):
    bad = [
        ("excellent", D(90), D(20)),
        ("good", D(95), None),
        ("fair", D(60), None),
        ("poor", D(0), None),
    ]
    with pytest.raises(ValidationError):
        s.grades_save(actor=supervisor, scheme=draft, rows=bad, version=draft.version)
    rows = [
        ("excellent", D(92), D(15)),
        ("good", D(85), None),
        ("fair", D(70), None),
        ("poor", D(0), None),
    ]
    s.grades_save(actor=supervisor, scheme=draft, rows=rows, version=draft.version)
    assert draft.grade_rules.get(grade="excellent").quota == D("15.00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("values", "field"),
    [
        (
            {
                "kind": "computed",
                "source": "cases.nothing",
                "rule": "linear",
                "rule_params": {"lower": "1", "upper": "2"},
            },
            "source",
        ),
        (
            {
                "kind": "computed",
                "source": "cases.closure_rate",
                "rule": "linear",
                "rule_params": {"lower": "1", "upper": "1"},
            },
            "upper",
        ),
        (
            {"kind": "veto", "source": "cases.accountability", "cap_grade": "competent"},
            "cap_grade",
        ),
        ({"kind": "evaluated", "score_min": D(100), "score_max": D(10)}, "score_max"),
        (
            {
                "kind": "computed",
                "source": "cases.returned",
                "rule": "tiers",
                "rule_params": {"tiers": [["1", "150"]]},
            },
            "tiers",
        ),
    ],
)
def test_an_indicator_is_checked_for_its_kind(draft, supervisor, values, field):
    with pytest.raises(ValidationError) as error:
        s.indicator_save(
            actor=supervisor,
            scheme=draft,
            version=draft.version,
            data=s.IndicatorData(name="指标", weight=D(10), **values),
        )
    assert field in error.value.message_dict
    assert not Indicator.objects.exists()


@pytest.mark.django_db
def test_a_source_for_units_only_is_refused_for_individuals(departments, supervisor):
    scheme = s.scheme_create(
        actor=supervisor, name="个人", group=departments, year=2025, target_kind="person"
    )
    with pytest.raises(ValidationError) as error:
        s.indicator_save(
            actor=supervisor,
            scheme=scheme,
            version=scheme.version,
            data=s.IndicatorData(
                name="退单",
                kind="computed",
                weight=D(5),
                source="cases.returned",
                rule="per_occurrence",
                rule_params={"per": "1"},
            ),
        )
    assert "source" in error.value.message_dict


@pytest.mark.django_db
def test_the_indicators_are_locked_once_scoring_starts(scored, supervisor):
    scheme, ind = scored
    assert scheme.status == SchemeStatus.SCORING
    with pytest.raises(ValidationError):
        s.indicator_save(
            actor=supervisor,
            scheme=scheme,
            indicator=ind["closure"],
            version=scheme.version,
            data=s.IndicatorData(
                name="办结率",
                kind="computed",
                weight=D(20),
                source="cases.closure_rate",
                rule="linear",
                rule_params={"lower": "0", "upper": "100"},
            ),
        )
    with pytest.raises(ValidationError):
        s.grades_save(actor=supervisor, scheme=scheme, version=scheme.version, rows=[])
    assert Indicator.objects.get(pk=ind["closure"].pk).weight == D("10.00")


@pytest.mark.django_db
def test_a_stale_version_is_a_conflict(draft, supervisor, director):
    old = draft.version
    s.indicator_save(
        actor=director,
        scheme=draft,
        version=old,
        data=s.IndicatorData(name="公开", kind=IndicatorKind.EVALUATED, weight=D(5)),
    )
    with pytest.raises(ConflictError):
        s.indicator_save(
            actor=supervisor,
            scheme=draft,
            version=old,
            data=s.IndicatorData(name="暗访", kind=IndicatorKind.EVALUATED, weight=D(5)),
        )
    assert list(Indicator.objects.values_list("name", flat=True)) == ["公开"]


@pytest.mark.django_db
def test_wrong_roles_are_refused_and_nothing_changes(draft, clerk, leader, unit_head_a):
    for actor in (clerk, leader, unit_head_a):
        with pytest.raises(s.AssessmentActionDenied):
            s.indicator_save(
                actor=actor,
                scheme=draft,
                version=draft.version,
                data=s.IndicatorData(name="x", kind="evaluated", weight=D(1)),
            )
    assert not Indicator.objects.exists()


@pytest.mark.django_db
def test_publicity_needs_fresh_results_and_decided_items(scored, supervisor, director, unit_a):
    scheme, ind = scored
    end = timezone.localdate() + timedelta(days=3)
    with pytest.raises(ValidationError, match="Compute|计算"):
        s.scheme_start_publicity(
            actor=director, scheme=scheme, publicity_end=end, version=scheme.version
        )
    compute(scheme, supervisor)
    item = s.adjustment_propose(
        actor=supervisor,
        scheme=scheme,
        indicator=ind["bonus"],
        target=scheme.targets.get(unit=unit_a),
        points=D(1),
        reason="先进集体",
    )
    scheme.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        s.scheme_start_publicity(
            actor=director, scheme=scheme, publicity_end=end, version=scheme.version
        )
    assert error.value.code == "pending_items"
    s.adjustment_decide(actor=director, adjustment=item, approve=True)
    scheme.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        s.scheme_start_publicity(
            actor=director, scheme=scheme, publicity_end=end, version=scheme.version
        )
    assert error.value.code == "stale"
    compute(scheme, supervisor)
    scheme.refresh_from_db()
    with pytest.raises(s.AssessmentActionDenied):
        s.scheme_start_publicity(
            actor=supervisor, scheme=scheme, publicity_end=end, version=scheme.version
        )
    s.scheme_start_publicity(
        actor=director, scheme=scheme, publicity_end=end, version=scheme.version
    )
    scheme.refresh_from_db()
    assert (scheme.status, scheme.publicity_end) == (SchemeStatus.PUBLICITY, end)
    actions = list(
        AuditEntry.objects.filter(action__startswith="assessments.scheme.")
        .order_by("position")
        .values_list("action", flat=True)
    )
    assert actions[-1] == "assessments.scheme.publicity"
    assert actions.count("assessments.scheme.computed") == 2


@pytest.mark.django_db
def test_an_item_beyond_its_limits_is_refused(scored, supervisor, unit_a):
    scheme, ind = scored
    target = scheme.targets.get(unit=unit_a)
    with pytest.raises(ValidationError) as error:
        s.adjustment_propose(
            actor=supervisor,
            scheme=scheme,
            indicator=ind["bonus"],
            target=target,
            points=D(-11),
            reason="通报批评",
        )
    assert "points" in error.value.message_dict


@pytest.mark.django_db
def test_bonuses_are_capped_by_their_item(scored, supervisor, director, unit_a):
    scheme, ind = scored
    target = scheme.targets.get(unit=unit_a)
    for points in (D(6), D(7)):
        item = s.adjustment_propose(
            actor=supervisor,
            scheme=scheme,
            indicator=ind["bonus"],
            target=target,
            points=points,
            reason="表彰",
        )
        s.adjustment_decide(actor=director, adjustment=item, approve=True)
    compute(scheme, supervisor)
    figure = target.result.indicators.get(indicator=ind["bonus"])
    # 2 (the fixture's) + 6 + 7 = 15, capped at the item's 10 points.
    assert (figure.points, figure.detail["capped"]) == (D("10.00"), True)
    assert figure.detail["bonus"] == "15"


# --- concurrent decisions (PostgreSQL) -----------------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_decisions_on_one_appeal_at_once_apply_once(
    district_cases, departments, build_scheme, supervisor, director, head_b, unit_b, evaluators
):
    scheme, ind = build_scheme(departments)
    s.scheme_start_scoring(actor=supervisor, scheme=scheme, version=scheme.version)
    compute(scheme, supervisor)
    scheme.refresh_from_db()
    s.scheme_start_publicity(
        actor=director,
        scheme=scheme,
        version=scheme.version,
        publicity_end=timezone.localdate() + timedelta(days=2),
    )
    target = scheme.targets.get(unit=unit_b)
    appeal = s.appeal_file(
        actor=head_b, scheme=scheme, target=target, reason="复核", indicator=ind["public"]
    )
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def decide(index: int, points: str) -> None:
        try:
            barrier.wait(timeout=30)
            s.appeal_decide(
                actor=director,
                appeal=appeal,
                uphold=True,
                remedy="override",
                new_points=D(points),
                note="复核",
            )
            results[index] = "ok"
        except ValidationError as exc:
            results[index] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(i, p)) for i, p in enumerate(("20", "25"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == ["decided", "ok"]
    appeal = Appeal.objects.get()
    assert appeal.status == AppealStatus.UPHELD
    figure = target.result.indicators.get(indicator=ind["public"])
    assert figure.points == appeal.new_points
    assert AuditEntry.objects.filter(action="assessments.appeal.decide").count() == 1
