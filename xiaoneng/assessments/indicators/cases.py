"""The case indicators: figures of the complaint centre per assessed unit or person.

The rates use the definitions of the statistics page (``xiaoneng.cases.statistics`` and
docs/statistics.md) so that both show the same figures for the same period: the cohort of cases
registered in the period, counted as they stand when the assessment is computed, each for its
lead (or sole) handling unit. A section's cases count for the assessed unit above it.

Persons: a case counts for the handler of its lead (or sole) unit's assignment, the person the
unit assigned to handle it (a case nobody signed for counts for nobody). Substantiated
complaints and accountability decisions count for the person named in the accountability
decision (with an account). See docs/assessment.md.

Every figure comes from one grouped query for all targets (GROUP BY unit or person), with the
ids of the cases behind it aggregated in the same query.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Aggregate, Count, Exists, OuterRef, Q, TextField, Value
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from xiaoneng.assessments.choices import TargetKind
from xiaoneng.assessments.indicators.registry import (
    Context,
    Param,
    Source,
    SourceKind,
    parse_ids,
    register_source,
)
from xiaoneng.assessments.indicators.registry import Value as SourceValue
from xiaoneng.cases.choices import AccountabilityKind, AssignmentStatus, ReturnRuling, Solved, Stage
from xiaoneng.cases.models import Accountability, Assignment, CaseReturn, Deadline
from xiaoneng.cases.statistics import (
    ANSWERED,
    CONCLUDED_STATUSES,
    DISPATCHED_STATUSES,
    LEAD_ROLES,
    SATISFIED,
    SUBSTANTIATED,
    Period,
    Rate,
    late_handling,
)

BOTH = frozenset({TargetKind.UNIT, TargetKind.PERSON})
UNITS = frozenset({TargetKind.UNIT})
CASE_MODEL = "cases.case"
CASE_URL = "cases:case_detail"

#: The accountability measures from the mildest to the most severe (the order of the choices).
SEVERITY = tuple(AccountabilityKind.values)


class IdList(Aggregate):
    """The ids of the aggregated rows as one comma-separated text (STRING_AGG on PostgreSQL,
    GROUP_CONCAT on SQLite); ``parse_ids`` reads it back."""

    function = "STRING_AGG"
    output_field = TextField()

    def __init__(self, expression, **extra):
        super().__init__(Cast(expression, output_field=TextField()), Value(","), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


def _period(ctx: Context) -> Period:
    return Period(ctx.period.start, ctx.period.end)


def _targets(ctx: Context) -> dict[int, int]:
    return ctx.person_targets if ctx.by_person else ctx.unit_targets


def _group(ctx: Context, rows, key: str, figures: tuple[str, ...]) -> dict[int, dict[str, list]]:
    """{target: {figure: sorted distinct ids}} from grouped rows (several units may count for
    one target: an assessed unit and its sections)."""
    mapping = _targets(ctx)
    grouped: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for row in rows:
        target = mapping.get(row[key])
        if target is None:
            continue
        for figure in figures:
            grouped[target][figure].update(parse_ids(row[figure]))
    return {t: {f: sorted(ids) for f, ids in figs.items()} for t, figs in grouped.items()}


# --- the handling figures: one query per kind of target ----------------------------------------

HANDLING_FIGURES = (
    "dispatched",
    "concluded",
    "on_time",
    "answered",
    "satisfied",
    "solved",
    "substantiated",
    "redone",
    "overdue",
)


def _handling(ctx: Context) -> dict[int, dict[str, list]]:
    """Every handling figure of every target, from the lead (or sole) assignments of the
    cases registered in the period, grouped by unit or by handler."""

    def compute():
        period = _period(ctx)
        case_ref = OuterRef("case_id")
        late = late_handling(case_ref)
        missed = Deadline.objects.filter(
            case=case_ref,
            stage=Stage.HANDLING,
            assignment__role__in=LEAD_ROLES,
            completed_at__isnull=True,
            suspended_at__isnull=True,
            due_at__lt=period.end_before,
        ).exclude(assignment__status=AssignmentStatus.WITHDRAWN)
        concluded = Q(case__status__in=CONCLUDED_STATUSES)
        answered = Q(case__satisfaction__in=ANSWERED)
        key = "handler" if ctx.by_person else "unit"
        rows = (
            Assignment.objects.filter(period.q("case__"), role__in=LEAD_ROLES)
            .exclude(status=AssignmentStatus.WITHDRAWN)
            .filter(**{f"{key}__isnull": False})
            .values(key)
            .annotate(
                dispatched=IdList("case_id", filter=Q(case__status__in=DISPATCHED_STATUSES)),
                concluded=IdList("case_id", filter=concluded),
                on_time=IdList("case_id", filter=concluded & ~Q(Exists(late))),
                answered=IdList("case_id", filter=answered),
                satisfied=IdList("case_id", filter=Q(case__satisfaction__in=SATISFIED)),
                solved=IdList("case_id", filter=answered & Q(case__solved=Solved.SOLVED)),
                substantiated=IdList(
                    "case_id", filter=concluded & Q(case__finding__in=SUBSTANTIATED)
                ),
                redone=IdList("case_id", filter=Q(case__redo_count__gt=0)),
                overdue=IdList("case_id", filter=Q(Exists(late)) | Q(Exists(missed))),
            )
            .order_by(key)
        )
        return _group(ctx, rows, key, HANDLING_FIGURES)

    return ctx.cached(("cases.handling", ctx.target_kind), compute)


def _rate(numerator: str, denominator: str):
    def compute(ctx: Context, params: dict[str, str]) -> dict[int, SourceValue]:
        result = {}
        for target, figures in _handling(ctx).items():
            records, hits = figures.get(denominator, []), figures.get(numerator, [])
            result[target] = SourceValue(
                value=Rate(len(hits), len(records)).value,
                numerator=len(hits),
                denominator=len(records),
                records=records,
                hits=hits,
            )
        return result

    return compute


def _count_of(figure: str):
    def compute(ctx: Context, params: dict[str, str]) -> dict[int, SourceValue]:
        return {
            target: _count(figures.get(figure, [])) for target, figures in _handling(ctx).items()
        }

    return compute


def _count(ids: list[int], occurrences: int | None = None) -> SourceValue:
    n = len(ids) if occurrences is None else occurrences
    return SourceValue(value=n, numerator=n, records=ids)


# --- substantiated complaints --------------------------------------------------------------


def _substantiated(ctx: Context, params: dict[str, str]) -> dict[int, SourceValue]:
    """Units: concluded cases of the period found (partly) substantiated, for the lead unit
    (as on the statistics page). Persons: those of them with an accountability decision
    naming the person."""
    if not ctx.by_person:
        return _count_of("substantiated")(ctx, params)
    period = _period(ctx)
    rows = (
        Accountability.objects.filter(
            period.q("case__"),
            person__isnull=False,
            case__status__in=CONCLUDED_STATUSES,
            case__finding__in=SUBSTANTIATED,
        )
        .values("person")
        .annotate(ids=IdList("case_id"))
        .order_by("person")
    )
    return {t: _count(f["ids"]) for t, f in _group(ctx, rows, "person", ("ids",)).items()}


# --- accountability decisions --------------------------------------------------------------


def _level_choices() -> list[tuple[str, str]]:
    return [(str(code), str(label)) for code, label in AccountabilityKind.choices]


def kinds_at_least(level: str) -> list[str]:
    """The measures as severe as ``level`` or more."""
    return list(SEVERITY[SEVERITY.index(level) :]) if level in SEVERITY else list(SEVERITY)


def _accountability(ctx: Context, params: dict[str, str]) -> dict[int, SourceValue]:
    """Decisions dated in the period against the unit (or the person), of the chosen
    measure or a more severe one; each decision counts once."""
    key = "person" if ctx.by_person else "unit"
    rows = (
        Accountability.objects.filter(
            decided_on__gte=ctx.period.start,
            decided_on__lte=ctx.period.end,
            kind__in=kinds_at_least(params["min_level"]),
            **{f"{key}__isnull": False},
        )
        .values(key)
        .annotate(ids=IdList("case_id"), decisions=Count("id"))
        .order_by(key)
    )
    mapping = _targets(ctx)
    decisions: dict[int, int] = defaultdict(int)
    for row in rows:
        if row[key] in mapping:
            decisions[mapping[row[key]]] += row["decisions"]
    grouped = _group(ctx, rows, key, ("ids",))
    return {t: _count(f["ids"], decisions[t]) for t, f in grouped.items()}


# --- returned cases ----------------------------------------------------------------------------


def _ruling_choices() -> list[tuple[str, str]]:
    return [
        ("any", str(_("Every return"))),
        (ReturnRuling.INSIST, str(_("Only returns the office ruled unfounded (the unit kept it)"))),
    ]


def _returned(ctx: Context, params: dict[str, str]) -> dict[int, SourceValue]:
    """Cases of the period that the unit returned as not its business (退单), optionally only
    those the office ruled the unit must keep."""
    period = _period(ctx)
    returns = CaseReturn.objects.filter(period.q("assignment__case__"))
    if params["ruling"] == ReturnRuling.INSIST:
        returns = returns.filter(ruling=ReturnRuling.INSIST)
    rows = (
        returns.values("assignment__unit")
        .annotate(ids=IdList("assignment__case_id"))
        .order_by("assignment__unit")
    )
    grouped = _group(ctx, rows, "assignment__unit", ("ids",))
    return {t: _count(f["ids"]) for t, f in grouped.items()}


# --- the sources -------------------------------------------------------------------------------


def _source(code, label, definition, kind, compute, *, targets=BOTH, params=(), higher=True):
    return Source(
        code=code,
        label=label,
        definition=definition,
        kind=kind,
        targets=targets,
        compute=compute,
        record_model=CASE_MODEL,
        record_url=CASE_URL,
        params=params,
        higher_is_better=higher,
    )


def case_sources() -> list[Source]:
    rate, count = SourceKind.RATE, SourceKind.COUNT
    return [
        _source(
            "cases.closure_rate",
            _("Closure rate (办结率)"),
            _("Concluded ÷ dispatched, as on the statistics page."),
            rate,
            _rate("concluded", "dispatched"),
        ),
        _source(
            "cases.on_time_rate",
            _("On-time rate (按时办结率)"),
            _(
                "Concluded cases whose lead unit replied within every handling deadline, "
                "approved extensions included ÷ concluded, as on the statistics page."
            ),
            rate,
            _rate("on_time", "concluded"),
        ),
        _source(
            "cases.satisfaction_rate",
            _("Satisfaction rate (满意率)"),
            _(
                "Cases whose latest callback answered satisfied or basically satisfied ÷ cases "
                "whose latest callback had an answer, as on the statistics page."
            ),
            rate,
            _rate("satisfied", "answered"),
        ),
        _source(
            "cases.solution_rate",
            _("Solution rate (解决率)"),
            _(
                "Cases whose latest callback said the problem was solved ÷ cases whose latest "
                "callback had an answer, as on the statistics page."
            ),
            rate,
            _rate("solved", "answered"),
        ),
        _source(
            "cases.substantiated",
            _("Substantiated complaints (查实件数)"),
            _(
                "Concluded cases found substantiated or partly substantiated. For a person: "
                "those with an accountability decision naming the person."
            ),
            count,
            _substantiated,
            higher=False,
        ),
        _source(
            "cases.overdue",
            _("Overdue cases (超期件数)"),
            _(
                "Cases whose lead unit missed a handling deadline: replied after it was due "
                "(extensions included), or still open and unsuspended when it fell due before "
                "the end of the period."
            ),
            count,
            _count_of("overdue"),
            higher=False,
        ),
        _source(
            "cases.redone",
            _("Redone cases (重办件数)"),
            _("Cases sent back for redo at least once, after the review or a callback."),
            count,
            _count_of("redone"),
            higher=False,
        ),
        _source(
            "cases.returned",
            _("Returned cases (退单件数)"),
            _(
                "Cases registered in the period that the unit returned as not its business "
                "(退单); each case counts once."
            ),
            count,
            _returned,
            targets=UNITS,
            params=(Param("ruling", _("Which returns count"), _ruling_choices, "any"),),
            higher=False,
        ),
        _source(
            "cases.accountability",
            _("Accountability decisions (问责)"),
            _(
                "Accountability decisions dated in the period against the unit or the person, "
                "of the chosen measure or a more severe one; each decision counts once."
            ),
            count,
            _accountability,
            params=(
                Param(
                    "min_level",
                    _("Counts measures from"),
                    _level_choices,
                    AccountabilityKind.CRITICISM,
                ),
            ),
            higher=False,
        ),
    ]


def register() -> None:
    for source in case_sources():
        register_source(source)
