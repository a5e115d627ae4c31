"""Reads of assessments and who may read what.

- The office's supervisors and director manage schemes; the director alone approves bonus and
  deduction items, decides appeals, publishes the results and locks them.
- The office (intake clerks too) and the leaders read every scheme and result.
- Unit heads and liaisons read the score cards of their own units once the results are
  published for public notice (公示), propose bonus and deduction items for them while scoring,
  and appeal during the notice; a unit head also reads the cards of the unit's staff in a
  scheme for individuals, and every assessed person reads their own card.
- Evaluators are the staff assigned to score an indicator; they see the scheme while scoring.
Anything outside this answers 404 in the views.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404

from xiaoneng.assessments.choices import (
    AppealStatus,
    IndicatorKind,
    RequestStatus,
    RunStatus,
    SchemeStatus,
    TargetKind,
)
from xiaoneng.assessments.indicators.registry import get_source
from xiaoneng.assessments.models import (
    Adjustment,
    Appeal,
    ComputeRun,
    Evaluation,
    Indicator,
    IndicatorResult,
    Result,
    Scheme,
    Target,
    TargetGroup,
)
from xiaoneng.org.choices import OFFICE_ROLES, Role
from xiaoneng.org.selectors import user_scope

MANAGE_ROLES = frozenset({Role.SUPERVISOR, Role.OFFICE_DIRECTOR})
DIRECTOR_ROLES = frozenset({Role.OFFICE_DIRECTOR})
READ_ALL_ROLES = frozenset(OFFICE_ROLES | {Role.LEADER})
UNIT_ROLES = frozenset({Role.UNIT_HEAD, Role.UNIT_LIAISON})
PUBLISHED = (SchemeStatus.PUBLICITY, SchemeStatus.FINAL)


def _roles(user) -> frozenset[str]:
    return user.roles if user.is_authenticated and user.is_active else frozenset()


def can_manage(user) -> bool:
    return bool(_roles(user) & MANAGE_ROLES)


def can_decide(user) -> bool:
    return bool(_roles(user) & DIRECTOR_ROLES)


def can_read_all(user) -> bool:
    return bool(_roles(user) & READ_ALL_ROLES)


def is_unit_reader(user) -> bool:
    return bool(_roles(user) & UNIT_ROLES)


# --- targets a person may act for or read ---------------------------------------------------


def unit_target_q(user, *, act: bool = False) -> Q:
    """The targets whose unit is one of the user's units (unit heads and liaisons): the unit
    itself in a scheme for units; in a scheme for individuals, the staff of the unit for a
    unit head only."""
    if not is_unit_reader(user):
        return Q(pk__in=[])
    scope = user_scope(user=user)
    ids = sorted(scope.act_unit_ids if act else scope.view_unit_ids)
    if not ids:
        return Q(pk__in=[])
    q = Q(person__isnull=True, unit_id__in=ids)
    if Role.UNIT_HEAD in user.roles:
        q |= Q(person__isnull=False, unit_id__in=ids)
    return q


def own_targets_q(user) -> Q:
    """The targets a person reads outside the office: their units' and their own."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    return unit_target_q(user) | Q(person=user)


def targets_for(*, user, scheme: Scheme) -> QuerySet[Target]:
    """The targets of ``scheme`` whose score cards ``user`` may read now."""
    qs = Target.objects.filter(scheme=scheme).select_related("unit", "person")
    if can_read_all(user):
        return qs
    if scheme.status not in PUBLISHED:
        return qs.none()
    return qs.filter(own_targets_q(user))


def targets_to_propose_for(*, user, scheme: Scheme) -> QuerySet[Target]:
    """The targets ``user`` may propose bonus and deduction items for."""
    qs = Target.objects.filter(scheme=scheme).select_related("unit", "person")
    if can_manage(user):
        return qs
    return qs.filter(unit_target_q(user, act=True))


def targets_to_appeal_for(*, user, scheme: Scheme) -> QuerySet[Target]:
    """The targets ``user`` may appeal for: their units (heads and liaisons), and
    themselves."""
    qs = Target.objects.filter(scheme=scheme).select_related("unit", "person")
    return qs.filter(unit_target_q(user, act=True) | Q(person=user))


# --- schemes ---------------------------------------------------------------------------------


def scheme_list(*, user) -> QuerySet[Scheme]:
    """The schemes ``user`` may open: every scheme for readers of all; otherwise the
    published schemes with a card they may read, and the schemes in scoring where they
    evaluate or may propose items."""
    qs = Scheme.objects.select_related("group")
    if can_read_all(user):
        return qs
    if not user.is_authenticated:
        return qs.none()
    published = Q(status__in=PUBLISHED) & Q(
        pk__in=Target.objects.filter(own_targets_q(user)).values("scheme_id")
    )
    scoring = Q(status=SchemeStatus.SCORING) & (
        Q(pk__in=Evaluation.objects.filter(evaluator=user).values("indicator__scheme_id"))
        | Q(pk__in=Target.objects.filter(unit_target_q(user, act=True)).values("scheme_id"))
    )
    return qs.filter(published | scoring)


def schemes_to_propose(*, user) -> QuerySet[Scheme]:
    """The schemes in scoring where ``user`` may propose bonus and deduction items: one of
    their units (or its staff) is assessed in it (``targets_to_propose_for``)."""
    return Scheme.objects.select_related("group").filter(
        status=SchemeStatus.SCORING,
        pk__in=Target.objects.filter(unit_target_q(user, act=True)).values("scheme_id"),
    )


def scheme_get(*, user, pk) -> Scheme:
    try:
        return scheme_list(user=user).get(pk=pk)
    except (Scheme.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def scheme_for_manager(*, user, pk) -> Scheme:
    if not can_manage(user):
        raise Http404
    return scheme_get(user=user, pk=pk)


def previous_schemes(*, exclude: int | None = None) -> QuerySet[Scheme]:
    qs = Scheme.objects.select_related("group").order_by("-year", "-period_no", "name")
    return qs.exclude(pk=exclude) if exclude else qs


def group_list(*, active_only: bool = False) -> QuerySet[TargetGroup]:
    qs = TargetGroup.objects.prefetch_related("units")
    return qs.filter(is_active=True) if active_only else qs


def group_get(*, pk) -> TargetGroup:
    try:
        return TargetGroup.objects.get(pk=pk)
    except (TargetGroup.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- the indicator tree ------------------------------------------------------------------------


@dataclass
class Node:
    indicator: Indicator
    depth: int
    children: list[Node] = field(default_factory=list)
    figure: IndicatorResult | None = None

    @property
    def source(self):
        return get_source(self.indicator.source) if self.indicator.source else None


def indicator_tree(*, scheme: Scheme, figures: dict[int, IndicatorResult] | None = None):
    """The indicators in tree order as a flat list of nodes (each with its depth)."""
    indicators = list(scheme.indicators.order_by("order", "id"))
    by_parent: dict[int | None, list[Indicator]] = {}
    for indicator in indicators:
        by_parent.setdefault(indicator.parent_id, []).append(indicator)
    flat: list[Node] = []

    def walk(parent: int | None, depth: int) -> None:
        for indicator in by_parent.get(parent, []):
            flat.append(Node(indicator, depth, figure=(figures or {}).get(indicator.pk)))
            walk(indicator.pk, depth + 1)

    walk(None, 0)
    return flat


def full_marks(*, scheme: Scheme) -> int | float:
    """The points of the indicators that score (bonus items and veto items excluded)."""
    return sum(
        i.weight
        for i in scheme.indicators.all()
        if i.kind in (IndicatorKind.COMPUTED, IndicatorKind.EVALUATED)
    )


# --- computations and results -----------------------------------------------------------------


def latest_run(*, scheme: Scheme) -> ComputeRun | None:
    return scheme.runs.order_by("-requested_at", "-id").first()


def latest_done_run(*, scheme: Scheme) -> ComputeRun | None:
    return scheme.runs.filter(status=RunStatus.DONE).order_by("-finished_at", "-id").first()


def results_stale(*, scheme: Scheme) -> bool:
    """Whether scores or items changed since the results were computed."""
    run = latest_done_run(scheme=scheme)
    return run is None or run.inputs_revision != scheme.inputs_revision


def ranking(*, scheme: Scheme, targets: QuerySet[Target] | None = None) -> list[Result]:
    qs = Result.objects.filter(scheme=scheme).select_related("target", "target__unit")
    if targets is not None:
        qs = qs.filter(target__in=targets)
    return list(qs.order_by("rank", "target__order", "target_id"))


def result_figures(*, result: Result) -> dict[int, IndicatorResult]:
    """The indicator results of a target, without the record lists (read on the trace)."""
    rows = IndicatorResult.objects.filter(result=result).defer("records", "hits")
    return {r.indicator_id: r for r in rows}


def figure_table(*, scheme: Scheme) -> dict[int, dict[int, IndicatorResult]]:
    """{target: {indicator: result}} for the whole ranking (export, ranking table)."""
    table: dict[int, dict[int, IndicatorResult]] = {}
    rows = (
        IndicatorResult.objects.filter(result__scheme=scheme)
        .defer("records", "hits", "detail")
        .select_related("result", "indicator")
    )
    for row in rows:
        table.setdefault(row.result.target_id, {})[row.indicator_id] = row
    return table


def indicator_result_get(*, result: Result, indicator_pk) -> IndicatorResult:
    try:
        return IndicatorResult.objects.select_related("indicator").get(
            result=result, indicator_id=indicator_pk
        )
    except (IndicatorResult.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def target_get(*, user, scheme: Scheme, pk) -> Target:
    try:
        return targets_for(user=user, scheme=scheme).get(pk=pk)
    except (Target.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def record_rows(*, user, figure: IndicatorResult) -> tuple[list, int]:
    """The records behind a figure that ``user`` may see (case pages are scoped), each with
    whether it counts in the numerator; and how many others exist that they may not see."""
    ids = list(figure.records)
    if figure.record_model != "cases.case" or not ids:
        return [], 0
    from xiaoneng.cases.models import Case
    from xiaoneng.cases.selectors import case_visible_q

    hits = set(figure.hits)
    found = {
        c.pk: c
        for c in Case.objects.filter(case_visible_q(user=user), pk__in=ids).only(
            "id", "number", "summary", "status", "registered_at", "finding", "satisfaction"
        )
    }
    rows = [{"case": found[i], "hit": i in hits} for i in dict.fromkeys(ids) if i in found]
    return rows, len(set(ids)) - len(rows)


# --- evaluations, items, appeals -----------------------------------------------------------------


def evaluations_for(*, user, scheme: Scheme) -> QuerySet[Evaluation]:
    return (
        Evaluation.objects.filter(evaluator=user, indicator__scheme=scheme)
        .select_related("indicator", "target", "target__unit")
        .order_by("indicator__order", "indicator_id", "target__order", "target_id")
    )


def evaluation_progress(*, scheme: Scheme) -> dict[str, int]:
    qs = Evaluation.objects.filter(indicator__scheme=scheme)
    return {"total": qs.count(), "scored": qs.filter(score__isnull=False).count()}


def adjustment_list(*, user, scheme: Scheme) -> QuerySet[Adjustment]:
    qs = Adjustment.objects.filter(scheme=scheme).select_related(
        "indicator", "target", "proposed_by", "decided_by"
    )
    if can_read_all(user):
        return qs
    return qs.filter(
        Q(target__in=targets_to_propose_for(user=user, scheme=scheme)) | Q(proposed_by=user)
    )


def adjustment_get(*, user, scheme: Scheme, pk) -> Adjustment:
    try:
        return adjustment_list(user=user, scheme=scheme).get(pk=pk)
    except (Adjustment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def pending_adjustments(*, scheme: Scheme) -> int:
    return scheme.adjustments.filter(status=RequestStatus.PENDING).count()


def appeal_list(*, user, scheme: Scheme) -> QuerySet[Appeal]:
    qs = Appeal.objects.filter(scheme=scheme).select_related(
        "target", "indicator", "filed_by", "decided_by"
    )
    if can_read_all(user):
        return qs
    return qs.filter(Q(target__in=targets_for(user=user, scheme=scheme)) | Q(filed_by=user))


def appeal_get(*, user, scheme: Scheme, pk) -> Appeal:
    try:
        return appeal_list(user=user, scheme=scheme).get(pk=pk)
    except (Appeal.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def pending_appeals(*, scheme: Scheme) -> int:
    return scheme.appeals.filter(status=AppealStatus.PENDING).count()


def my_cards(*, user) -> QuerySet[Target]:
    """The published targets whose cards a unit reader or an assessed person may read."""
    return (
        Target.objects.filter(own_targets_q(user), scheme__status__in=PUBLISHED)
        .select_related("scheme", "unit", "person", "result")
        .order_by("-scheme__year", "scheme__name", "order")
    )


def my_evaluation_schemes(*, user) -> QuerySet[Scheme]:
    return Scheme.objects.filter(
        status=SchemeStatus.SCORING,
        pk__in=Evaluation.objects.filter(evaluator=user).values("indicator__scheme_id"),
    )


def target_kind_label(scheme: Scheme) -> str:
    return str(TargetKind(scheme.target_kind).label)
