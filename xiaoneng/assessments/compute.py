"""Computing a scheme's results: every indicator of every target, the totals, ranks and
grades, written in one transaction together with the records behind each value.

The sources are read one after the other (each in a fixed number of set-based queries for all
targets); the progress is written after each step so that the screen can show it. The same
inputs always give the same results: every ordering has a tie breaker, and the arithmetic is
Decimal (``xiaoneng.assessments.scoring``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from xiaoneng.assessments.choices import IndicatorKind, RequestStatus, TargetKind
from xiaoneng.assessments.indicators.registry import Context, Period, Value, get_source
from xiaoneng.assessments.models import (
    Adjustment,
    Evaluation,
    GradeRule,
    Indicator,
    Scheme,
    Target,
)
from xiaoneng.assessments.scoring import (
    ZERO,
    GradeStep,
    Standing,
    adjustment_points,
    combine_scores,
    evaluated_points,
    grade,
    q2,
    rank,
    rule_points,
    text,
)
from xiaoneng.org.selectors import unit_descendant_ids, unit_parent_map

Progress = Callable[[int, int], None]


@dataclass
class Figure:
    """One indicator of one target, as computed."""

    points: Decimal = ZERO
    value: Decimal | None = None
    numerator: int | None = None
    denominator: int | None = None
    triggered: bool = False
    detail: dict = field(default_factory=dict)
    record_model: str = ""
    records: list[int] = field(default_factory=list)
    hits: list[int] = field(default_factory=list)


@dataclass
class Outcome:
    """Every target's figures, total, rank and grade."""

    figures: dict[int, dict[int, Figure]]
    standings: dict[int, Standing]


def scheme_indicators(scheme: Scheme) -> list[Indicator]:
    return list(Indicator.objects.filter(scheme=scheme).order_by("order", "id"))


def scheme_targets(scheme: Scheme) -> list[Target]:
    return list(Target.objects.filter(scheme=scheme).order_by("order", "id"))


def grade_steps(scheme: Scheme) -> list[GradeStep]:
    return [
        GradeStep(r.grade, r.min_score, r.quota)
        for r in GradeRule.objects.filter(scheme=scheme).order_by("order", "id")
    ]


def build_context(scheme: Scheme, targets: list[Target]) -> Context:
    """The sources' context: for units, each assessed unit and every unit below it (its
    sections) count for the assessed unit; for persons, each person for itself."""
    context = Context(period=Period(scheme.start, scheme.end), target_kind=scheme.target_kind)
    if scheme.target_kind == TargetKind.PERSON:
        context.person_targets = {t.person_id: t.pk for t in targets}
        return context
    parents = unit_parent_map()
    assessed = {t.unit_id: t.pk for t in targets}
    # A unit below two assessed units counts for the nearest one.
    for unit_id in sorted(unit_descendant_ids(unit_ids=set(assessed), parents=parents)):
        current: int | None = unit_id
        while current is not None and current not in assessed:
            current = parents.get(current)
        if current is not None:
            context.unit_targets[unit_id] = assessed[current]
    return context


def _children(indicators: list[Indicator]) -> dict[int | None, list[Indicator]]:
    children: dict[int | None, list[Indicator]] = defaultdict(list)
    for indicator in indicators:
        children[indicator.parent_id].append(indicator)
    return children


def add_up(indicators: list[Indicator], figures: dict[int, Figure]) -> Decimal:
    """Fill in the points of the groups (the sum of their children, veto items adding
    nothing) and return the total (the sum of the top level)."""
    children = _children(indicators)

    def points_of(indicator: Indicator) -> Decimal:
        if indicator.kind == IndicatorKind.VETO:
            return ZERO
        if indicator.kind == IndicatorKind.GROUP:
            figure = figures.setdefault(indicator.pk, Figure())
            figure.points = sum((points_of(c) for c in children[indicator.pk]), ZERO)
            return figure.points
        return figures[indicator.pk].points if indicator.pk in figures else ZERO

    return sum((points_of(i) for i in children[None]), ZERO)


def source_figures(
    indicator: Indicator, context: Context, targets: list[Target]
) -> dict[int, Figure]:
    source = get_source(indicator.source)
    if source is None:
        raise ValueError(f"unknown data source {indicator.source!r}")
    params = source.clean_params(indicator.params)
    key = ("source", source.code, tuple(sorted(params.items())))
    values: dict[int, Value] = context.cached(key, lambda: source.compute(context, params))
    figures = {}
    for target in targets:
        found = values.get(target.pk)
        if found is None:
            found = Value(numerator=0, denominator=0)
            found.value = None if source.kind == "rate" else Decimal(0)
        value = None if found.value is None else Decimal(found.value)
        figure = Figure(
            value=value,
            numerator=found.numerator,
            denominator=found.denominator if source.kind == "rate" else None,
            record_model=source.record_model,
            records=found.records,
            hits=found.hits,
        )
        if indicator.kind == IndicatorKind.VETO:
            figure.triggered = value is not None and value >= indicator.threshold
            figure.detail = {"rule": "veto", "threshold": text(indicator.threshold)}
        else:
            figure.points, figure.detail = rule_points(
                rule=indicator.rule,
                params=indicator.rule_params,
                weight=indicator.weight,
                value=value,
                no_data=indicator.no_data,
            )
        figure.detail["source"] = source.code
        figure.detail["params"] = params
        figures[target.pk] = figure
    return figures


def _evaluated_figures(
    indicators: list[Indicator], targets: list[Target]
) -> dict[int, dict[int, Figure]]:
    """{indicator: {target: figure}} for the evaluated indicators, in one query."""
    scores: dict[tuple[int, int], list[dict]] = defaultdict(list)
    rows = (
        Evaluation.objects.filter(indicator__in=indicators, score__isnull=False)
        .select_related("evaluator")
        .order_by("indicator_id", "target_id", "evaluator__name", "id")
    )
    for e in rows:
        scores[(e.indicator_id, e.target_id)].append(
            {"by": e.evaluator.name, "score": text(e.score), "comment": e.comment}
        )
    result: dict[int, dict[int, Figure]] = {}
    for indicator in indicators:
        per_target = {}
        for target in targets:
            given = scores.get((indicator.pk, target.pk), [])
            value, dropped = combine_scores(
                [Decimal(g["score"]) for g in given], indicator.aggregation
            )
            per_target[target.pk] = Figure(
                value=value,
                numerator=len(given),
                points=evaluated_points(
                    value=value,
                    score_min=indicator.score_min,
                    score_max=indicator.score_max,
                    weight=indicator.weight,
                    no_data=indicator.no_data,
                ),
                detail={
                    "rule": "evaluated",
                    "aggregation": indicator.aggregation,
                    "scores": given,
                    "dropped": [text(d) for d in dropped],
                    "min": text(indicator.score_min),
                    "max": text(indicator.score_max),
                },
            )
        result[indicator.pk] = per_target
    return result


def _adjustment_figures(
    indicators: list[Indicator], targets: list[Target]
) -> dict[int, dict[int, Figure]]:
    """{indicator: {target: figure}} from the approved items, in one query."""
    items: dict[tuple[int, int], list[Adjustment]] = defaultdict(list)
    for item in Adjustment.objects.filter(
        indicator__in=indicators, status=RequestStatus.APPROVED
    ).order_by("proposed_at", "id"):
        items[(item.indicator_id, item.target_id)].append(item)
    result: dict[int, dict[int, Figure]] = {}
    for indicator in indicators:
        per_target = {}
        for target in targets:
            approved = items.get((indicator.pk, target.pk), [])
            points, detail = adjustment_points(
                [a.points for a in approved],
                max_bonus=indicator.weight,
                max_deduction=indicator.max_deduction,
            )
            detail["rule"] = "adjustment"
            detail["entries"] = [
                {"id": a.pk, "points": text(a.points), "reason": a.reason} for a in approved
            ]
            per_target[target.pk] = Figure(
                points=points, value=points, numerator=len(approved), detail=detail
            )
        result[indicator.pk] = per_target
    return result


def compute_steps(indicators: list[Indicator]) -> int:
    """How many steps a computation reports: one per source read, one for the evaluators'
    scores, one for the bonus and deduction items, one for ranks and grades."""
    sources = {
        (i.source, tuple(sorted((i.params or {}).items())))
        for i in indicators
        if i.kind in (IndicatorKind.COMPUTED, IndicatorKind.VETO)
    }
    return len(sources) + 3


def compute(scheme: Scheme, *, progress: Progress | None = None) -> Outcome:
    """Every target's figures, total, rank and grade, from the data as it stands now."""
    indicators = scheme_indicators(scheme)
    targets = scheme_targets(scheme)
    context = build_context(scheme, targets)
    total_steps = compute_steps(indicators)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total_steps)

    figures: dict[int, dict[int, Figure]] = {t.pk: {} for t in targets}
    seen_sources: set = set()
    for indicator in indicators:
        if indicator.kind not in (IndicatorKind.COMPUTED, IndicatorKind.VETO):
            continue
        per_target = source_figures(indicator, context, targets)
        for target_pk, figure in per_target.items():
            figures[target_pk][indicator.pk] = figure
        key = (indicator.source, tuple(sorted((indicator.params or {}).items())))
        if key not in seen_sources:
            seen_sources.add(key)
            step()
    for kind, builder in (
        (IndicatorKind.EVALUATED, _evaluated_figures),
        (IndicatorKind.ADJUSTMENT, _adjustment_figures),
    ):
        chosen = [i for i in indicators if i.kind == kind]
        for indicator_pk, per_target in builder(chosen, targets).items():
            for target_pk, figure in per_target.items():
                figures[target_pk][indicator_pk] = figure
        step()
    standings = standings_of(scheme, indicators, targets, figures)
    step()
    return Outcome(figures=figures, standings=standings)


def standings_of(
    scheme: Scheme,
    indicators: list[Indicator],
    targets: list[Target],
    figures: dict[int, dict[int, Figure]],
) -> dict[int, Standing]:
    """Totals (groups added up), ranks and grades of every target."""
    caps = {i.pk: i.cap_grade for i in indicators if i.kind == IndicatorKind.VETO}
    steps = grade_steps(scheme)
    grades = [s.grade for s in steps]
    standings = {}
    for target in targets:
        own = figures[target.pk]
        total = add_up(indicators, own)
        triggered = [pk for pk in caps if own.get(pk) and own[pk].triggered]
        cap = None
        for pk in triggered:
            if caps[pk] in grades and (cap is None or grades.index(caps[pk]) > grades.index(cap)):
                cap = caps[pk]
        standings[target.pk] = Standing(key=target.pk, total=q2(total), order=target.order, cap=cap)
        if triggered:
            standings[target.pk].notes["vetoed_by"] = triggered
    rank(list(standings.values()))
    grade(list(standings.values()), steps)
    return standings


def result_rows(scheme: Scheme, run, outcome: Outcome) -> tuple[list[dict], dict]:
    """The values of the Result rows and, per target, of its IndicatorResult rows (without
    their ``result``), to insert in bulk."""
    results = []
    pending: dict[int, list[dict]] = {}
    for target_pk, standing in outcome.standings.items():
        results.append(
            {
                "scheme_id": scheme.pk,
                "target_id": target_pk,
                "run_id": run.pk,
                "total": standing.total,
                "rank": standing.rank,
                "grade": standing.grade,
                "grade_by_score": standing.grade_by_score,
                "vetoed": bool(standing.notes.get("vetoed_by")),
                "notes": standing.notes,
            }
        )
        pending[target_pk] = [
            {
                "indicator_id": indicator_pk,
                "value": None if f.value is None else q2(f.value),
                "numerator": f.numerator,
                "denominator": f.denominator,
                "points": q2(f.points),
                "triggered": f.triggered,
                "detail": f.detail,
                "record_model": f.record_model,
                "records": f.records,
                "hits": f.hits,
            }
            for indicator_pk, f in outcome.figures[target_pk].items()
        ]
    return results, pending
