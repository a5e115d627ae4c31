"""Every change to an assessment. Keyword-only, one transaction each, the scheme (or the item)
locked with ``select_for_update`` and its version checked where people edit concurrently, the
status and the actor's role checked first, the audit row written last.

    draft ─start_scoring→ scoring ─start_publicity→ publicity ─finalize→ final
    (draft: indicators, grades, evaluators edited; scoring: evaluators score, items are
    proposed and decided, results computed; publicity: appeals filed and decided; final: locked)
"""

from __future__ import annotations

import calendar
import hashlib
import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F, JSONField
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from xiaoneng.assessments import selectors as sel
from xiaoneng.assessments.choices import (
    GRADES,
    AppealRemedy,
    AppealStatus,
    Grade,
    IndicatorKind,
    NoData,
    PeriodKind,
    RequestStatus,
    Rule,
    RunStatus,
    SchemeStatus,
    TargetKind,
    TierDirection,
)
from xiaoneng.assessments.compute import (
    Figure,
    build_context,
    compute,
    compute_steps,
    result_rows,
    scheme_indicators,
    scheme_targets,
    source_figures,
    standings_of,
)
from xiaoneng.assessments.indicators.registry import SourceKind, get_source
from xiaoneng.assessments.models import (
    Adjustment,
    AdjustmentEvidence,
    Appeal,
    ComputeRun,
    Evaluation,
    Evaluator,
    GradeRule,
    Indicator,
    IndicatorResult,
    Result,
    Scheme,
    Target,
    TargetGroup,
)
from xiaoneng.assessments.scoring import ZERO, dec, q2
from xiaoneng.audit.services import audit_log
from xiaoneng.notifications.services import notify
from xiaoneng.org.choices import ADMIN_ROLES, Role
from xiaoneng.org.models import Unit, User
from xiaoneng.org.selectors import unit_descendant_ids, unit_parent_map, users_with_role
from xiaoneng.org.services import ConflictError

logger = logging.getLogger(__name__)

#: A computation still queued or running after this long is taken as lost (a worker died).
RUN_STALE_AFTER = timedelta(hours=1)

#: The grades a new scheme starts with: (grade, lowest total, quota in per cent).
DEFAULT_GRADES = {
    TargetKind.UNIT: [
        (Grade.EXCELLENT, Decimal(90), Decimal(20)),
        (Grade.GOOD, Decimal(80), None),
        (Grade.FAIR, Decimal(60), None),
        (Grade.POOR, Decimal(0), None),
    ],
    TargetKind.PERSON: [
        (Grade.EXCELLENT, Decimal(90), Decimal(20)),
        (Grade.COMPETENT, Decimal(70), None),
        (Grade.BASIC, Decimal(60), None),
        (Grade.INCOMPETENT, Decimal(0), None),
    ],
}
#: The unit kinds whose accounts are assessed as individuals (their staff).
STAFF_ROLES = (Role.UNIT_HEAD, Role.UNIT_LIAISON, Role.HANDLER)


class AssessmentActionDenied(PermissionDenied):
    """The actor may not do this (views answer 404)."""


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _today(now: datetime | None = None) -> date:
    return timezone.localdate(_now(now))


def _deny(allowed: bool, action: str) -> None:
    if not allowed:
        raise AssessmentActionDenied(action)


def _conflict() -> ConflictError:
    return ConflictError(
        _(
            "Someone else changed this assessment while you were looking at it. Reload the "
            "page to see what changed, then try again."
        ),
        code="conflict",
    )


def _lock(scheme: Scheme | int, version: int | None = None) -> Scheme:
    pk = scheme.pk if isinstance(scheme, Scheme) else scheme
    locked = Scheme.objects.select_for_update().get(pk=pk)
    if version is not None and locked.version != version:
        raise _conflict()
    return locked


def _bump(scheme: Scheme, *fields: str) -> None:
    scheme.version = F("version") + 1
    scheme.save(update_fields=[*fields, "version"])
    scheme.refresh_from_db(fields=["version"])


def _status(scheme: Scheme, *allowed: str) -> None:
    if scheme.status not in allowed:
        raise ValidationError(
            _("This is not possible while the assessment is “%(status)s”.")
            % {"status": SchemeStatus(scheme.status).label},
            code="invalid_status",
        )


def _audit(action: str, actor, scheme: Scheme, data: dict | None = None, obj=None) -> None:
    audit_log(
        action=f"assessments.{action}",
        actor=actor,
        obj=obj or scheme,
        data={"scheme": scheme.pk, "name": scheme.name, "status": scheme.status, **(data or {})},
    )


def _required(value: str, field_name: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field_name: message})
    return value


def _url(name: str, *args) -> str:
    return reverse(f"assessments:{name}", args=args)


def _directors() -> list[User]:
    return list(users_with_role(role=Role.OFFICE_DIRECTOR))


# --- periods ---------------------------------------------------------------------------------


def period_dates(year: int, kind: str, number: int) -> tuple[date, date]:
    """The first and last day of a year, half-year (1–2) or quarter (1–4)."""
    if kind == PeriodKind.YEAR:
        return date(year, 1, 1), date(year, 12, 31)
    months = 6 if kind == PeriodKind.HALF else 3
    count = 12 // months
    if not 1 <= number <= count:
        raise ValidationError(
            {"period_no": _("Choose a period number from 1 to %(count)s.") % {"count": count}}
        )
    first = (number - 1) * months + 1
    last = first + months - 1
    return date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1])


def _period(year, kind, number) -> tuple[int, str, int, date, date]:
    if kind not in PeriodKind.values:
        raise ValidationError({"period_kind": _("Choose the period.")})
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ValidationError({"year": _("Enter the year.")}) from None
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": _("Enter a year between 2000 and 2100.")})
    number = 0 if kind == PeriodKind.YEAR else int(number or 0)
    start, end = period_dates(year, kind, number)
    return year, kind, number, start, end


# --- groups ------------------------------------------------------------------------------------


@transaction.atomic
def group_save(
    *,
    actor: User,
    name: str,
    units: Iterable[Unit],
    group: TargetGroup | None = None,
    is_active: bool = True,
    version: int | None = None,
) -> TargetGroup:
    """Create or edit a group of units assessed together."""
    _deny(sel.can_manage(actor), "group_save")
    name = _required(name, "name", _("Give the group a name."))
    units = list(units)
    if not units:
        raise ValidationError({"units": _("Choose at least one unit.")})
    clash = TargetGroup.objects.filter(name=name)
    if group is not None:
        clash = clash.exclude(pk=group.pk)
    if clash.exists():
        raise ValidationError({"name": _("Another group has this name.")})
    if group is None:
        group = TargetGroup.objects.create(name=name, is_active=is_active)
        action = "group.create"
    else:
        group = TargetGroup.objects.select_for_update().get(pk=group.pk)
        if version is not None and group.version != version:
            raise _conflict()
        group.name, group.is_active = name, is_active
        group.version = F("version") + 1
        group.save(update_fields=["name", "is_active", "version"])
        group.refresh_from_db(fields=["version"])
        action = "group.update"
    group.units.set(units)
    audit_log(
        action=f"assessments.{action}",
        actor=actor,
        obj=group,
        data={"name": name, "units": sorted(u.pk for u in units), "active": is_active},
    )
    return group


# --- schemes ---------------------------------------------------------------------------------


def _grades_create(scheme: Scheme, rows) -> None:
    GradeRule.objects.bulk_create(
        [
            GradeRule(scheme=scheme, grade=g, min_score=m, quota=q, order=i)
            for i, (g, m, q) in enumerate(rows)
        ]
    )


@transaction.atomic
def scheme_create(
    *,
    actor: User,
    name: str,
    group: TargetGroup,
    year: int,
    period_kind: str = PeriodKind.YEAR,
    period_no: int = 0,
    target_kind: str = TargetKind.UNIT,
    description: str = "",
    now: datetime | None = None,
) -> Scheme:
    """A new draft scheme with the default grades of its kind of target."""
    _deny(sel.can_manage(actor), "scheme_create")
    name = _required(name, "name", _("Give the scheme a name."))
    if target_kind not in TargetKind.values:
        raise ValidationError({"target_kind": _("Choose whom the scheme assesses.")})
    year, kind, number, start, end = _period(year, period_kind, period_no)
    scheme = Scheme.objects.create(
        name=name,
        target_kind=target_kind,
        group=group,
        year=year,
        period_kind=kind,
        period_no=number,
        start=start,
        end=end,
        description=(description or "").strip(),
        created_by=actor,
        created_at=_now(now),
    )
    _grades_create(scheme, DEFAULT_GRADES[target_kind])
    _audit("scheme.create", actor, scheme, {"year": year, "period": kind, "no": number})
    return scheme


@transaction.atomic
def scheme_update(
    *,
    actor: User,
    scheme: Scheme,
    name: str,
    group: TargetGroup,
    year: int,
    period_kind: str,
    period_no: int,
    description: str = "",
    version: int | None,
) -> Scheme:
    """Edit a draft's name, group, period and description."""
    _deny(sel.can_manage(actor), "scheme_update")
    scheme = _lock(scheme, version)
    _status(scheme, SchemeStatus.DRAFT)
    scheme.name = _required(name, "name", _("Give the scheme a name."))
    scheme.year, scheme.period_kind, scheme.period_no, scheme.start, scheme.end = _period(
        year, period_kind, period_no
    )
    scheme.group = group
    scheme.description = (description or "").strip()
    _bump(
        scheme, "name", "year", "period_kind", "period_no", "start", "end", "group", "description"
    )
    _audit("scheme.update", actor, scheme, {"year": scheme.year, "period": scheme.period_kind})
    return scheme


@transaction.atomic
def scheme_copy(
    *,
    actor: User,
    source: Scheme,
    name: str,
    year: int,
    period_kind: str,
    period_no: int = 0,
    now: datetime | None = None,
) -> Scheme:
    """A new draft with the indicators, grades and evaluators of ``source`` (e.g. last year's
    scheme) for another period."""
    _deny(sel.can_manage(actor), "scheme_copy")
    name = _required(name, "name", _("Give the scheme a name."))
    year, kind, number, start, end = _period(year, period_kind, period_no)
    copy = Scheme.objects.create(
        name=name,
        target_kind=source.target_kind,
        group=source.group,
        year=year,
        period_kind=kind,
        period_no=number,
        start=start,
        end=end,
        description=source.description,
        copied_from=source,
        created_by=actor,
        created_at=_now(now),
    )
    _grades_create(
        copy, [(r.grade, r.min_score, r.quota) for r in source.grade_rules.order_by("order")]
    )
    mapping: dict[int, Indicator] = {}
    for node in sel.indicator_tree(scheme=source):
        old = node.indicator
        new = Indicator.objects.get(pk=old.pk)
        new.pk = None
        new.scheme = copy
        new.parent = mapping[old.parent_id] if old.parent_id else None
        new.save()
        mapping[old.pk] = new
        for evaluator in old.evaluators.prefetch_related("units"):
            units = list(evaluator.units.all())
            created = Evaluator.objects.create(indicator=new, user_id=evaluator.user_id)
            created.units.set(units)
    _audit("scheme.copy", actor, copy, {"source": source.pk, "year": year, "period": kind})
    return copy


# --- indicators --------------------------------------------------------------------------------


@dataclass
class IndicatorData:
    """What the indicator form gives (values already parsed)."""

    name: str
    kind: str
    parent: Indicator | None = None
    weight: Decimal = ZERO
    description: str = ""
    source: str = ""
    params: dict = field(default_factory=dict)
    rule: str = ""
    rule_params: dict = field(default_factory=dict)
    no_data: str = NoData.FULL
    score_min: Decimal = ZERO
    score_max: Decimal = Decimal(100)
    aggregation: str = "mean"
    max_deduction: Decimal = ZERO
    threshold: Decimal = Decimal(1)
    cap_grade: str = ""


def _validate_rule(data: IndicatorData, source) -> dict:
    rule, params = data.rule, data.rule_params or {}
    if rule not in Rule.values:
        raise ValidationError({"rule": _("Choose how the value becomes points.")})
    if rule == Rule.LINEAR:
        lower, upper = dec(params.get("lower")), dec(params.get("upper"))
        if lower is None or upper is None:
            raise ValidationError({"lower": _("Enter both bounds of the linear rule.")})
        if lower == upper:
            raise ValidationError({"upper": _("The two bounds must differ.")})
        return {"lower": str(lower), "upper": str(upper)}
    if rule == Rule.TIERS:
        tiers = params.get("tiers") or []
        if not tiers:
            raise ValidationError({"tiers": _("Enter at least one tier.")})
        cleaned = []
        for threshold, share in tiers:
            t, s = dec(threshold), dec(share)
            if t is None or s is None or not ZERO <= s <= 100:
                raise ValidationError(
                    {"tiers": _("Each tier is a threshold and a share of the points (0–100).")}
                )
            cleaned.append([str(t), str(s)])
        otherwise = dec(params.get("otherwise"), ZERO)
        if not ZERO <= otherwise <= 100:
            raise ValidationError({"otherwise": _("Enter a share of the points from 0 to 100.")})
        direction = params.get("direction") or TierDirection.AT_LEAST
        if direction not in TierDirection.values:
            raise ValidationError({"direction": _("Choose how the tiers compare.")})
        return {"direction": direction, "tiers": cleaned, "otherwise": str(otherwise)}
    # Deduction per occurrence: only for counts.
    if source.kind != SourceKind.COUNT:
        raise ValidationError(
            {"rule": _("A deduction per occurrence needs a source that counts occurrences.")}
        )
    per, cap = dec(params.get("per")), dec(params.get("cap"))
    if per is None or per <= 0:
        raise ValidationError({"per": _("Enter the points deducted per occurrence.")})
    if cap is not None and (cap < 0 or cap > data.weight):
        raise ValidationError({"cap": _("The cap lies between 0 and the indicator's points.")})
    return {"per": str(per), "cap": str(cap if cap is not None else data.weight)}


def _validate_indicator(scheme: Scheme, data: IndicatorData, current: Indicator | None) -> dict:
    """The fields to save, checked for the kind of indicator."""
    name = _required(data.name, "name", _("Give the indicator a name."))
    if data.kind not in IndicatorKind.values:
        raise ValidationError({"kind": _("Choose the kind of indicator.")})
    if data.parent is not None:
        if data.parent.scheme_id != scheme.pk or data.parent.kind != IndicatorKind.GROUP:
            raise ValidationError({"parent": _("An indicator can only sit under a group.")})
        ancestor = data.parent
        while ancestor is not None:
            if current is not None and ancestor.pk == current.pk:
                raise ValidationError({"parent": _("An indicator cannot sit under itself.")})
            ancestor = ancestor.parent
    regrouped = current is not None and current.kind == IndicatorKind.GROUP
    if regrouped and data.kind != current.kind and current.children.exists():
        raise ValidationError({"kind": _("Move or delete the indicators of this group first.")})
    weight = data.weight if data.weight is not None else ZERO
    if weight < 0:
        raise ValidationError({"weight": _("Points cannot be negative.")})
    values = {
        "name": name,
        "kind": data.kind,
        "parent": data.parent,
        "weight": q2(weight),
        "description": (data.description or "").strip(),
        "source": "",
        "params": {},
        "rule": "",
        "rule_params": {},
        "no_data": data.no_data if data.no_data in NoData.values else NoData.FULL,
        "score_min": ZERO,
        "score_max": Decimal(100),
        "aggregation": "mean",
        "max_deduction": ZERO,
        "threshold": Decimal(1),
        "cap_grade": "",
    }
    if data.kind in (IndicatorKind.COMPUTED, IndicatorKind.VETO):
        source = get_source(data.source)
        if source is None or scheme.target_kind not in source.targets:
            raise ValidationError({"source": _("Choose a data source for this kind of target.")})
        values["source"] = source.code
        values["params"] = source.clean_params(data.params)
        if data.kind == IndicatorKind.COMPUTED:
            values["rule"] = data.rule
            values["rule_params"] = _validate_rule(data, source)
        else:
            values["weight"] = ZERO
            if data.threshold is None or data.threshold <= 0:
                raise ValidationError({"threshold": _("Enter a value above zero.")})
            if data.cap_grade not in GRADES[scheme.target_kind]:
                raise ValidationError({"cap_grade": _("Choose the best grade left after a veto.")})
            values["threshold"], values["cap_grade"] = data.threshold, data.cap_grade
    elif data.kind == IndicatorKind.EVALUATED:
        if data.score_min is None or data.score_max is None or data.score_max <= data.score_min:
            raise ValidationError(
                {"score_max": _("The highest score must be above the lowest score.")}
            )
        values["score_min"], values["score_max"] = data.score_min, data.score_max
        values["aggregation"] = (
            data.aggregation if data.aggregation in ("mean", "trimmed") else ("mean")
        )
    elif data.kind == IndicatorKind.ADJUSTMENT:
        deduction = data.max_deduction if data.max_deduction is not None else ZERO
        if deduction < 0:
            raise ValidationError({"max_deduction": _("Points cannot be negative.")})
        values["max_deduction"] = q2(deduction)
    return values


def _draft(actor: User, scheme: Scheme | int, version: int | None) -> Scheme:
    _deny(sel.can_manage(actor), "edit")
    scheme = _lock(scheme, version)
    _status(scheme, SchemeStatus.DRAFT)
    return scheme


@transaction.atomic
def indicator_save(
    *,
    actor: User,
    scheme: Scheme,
    data: IndicatorData,
    indicator: Indicator | None = None,
    version: int | None,
) -> Indicator:
    """Add an indicator to a draft, or edit one."""
    scheme = _draft(actor, scheme, version)
    if indicator is not None and indicator.scheme_id != scheme.pk:
        raise AssessmentActionDenied("indicator_save")
    values = _validate_indicator(scheme, data, indicator)
    if indicator is None:
        last = scheme.indicators.order_by("-order").values_list("order", flat=True).first()
        indicator = Indicator(scheme=scheme, order=(last or 0) + 10)
    for name, value in values.items():
        setattr(indicator, name, value)
    indicator.save()
    if indicator.kind != IndicatorKind.EVALUATED:
        _evaluators_clear(indicator)
    _bump(scheme)
    _audit(
        "scheme.indicator_save",
        actor,
        scheme,
        {"indicator": indicator.pk, "kind": indicator.kind, "weight": str(indicator.weight)},
    )
    return indicator


def _evaluators_clear(indicator: Indicator) -> None:
    for evaluator in indicator.evaluators.all():
        evaluator.units.clear()
        evaluator.delete()


@transaction.atomic
def indicator_delete(*, actor: User, indicator: Indicator, version: int | None) -> None:
    """Delete a draft's indicator (a group only when empty)."""
    scheme = _draft(actor, indicator.scheme_id, version)
    indicator = Indicator.objects.get(pk=indicator.pk, scheme=scheme)
    if indicator.children.exists():
        raise ValidationError(_("Move or delete the indicators of this group first."))
    _evaluators_clear(indicator)
    data = {"indicator": indicator.pk, "name": indicator.name}
    indicator.delete()
    _bump(scheme)
    _audit("scheme.indicator_delete", actor, scheme, data)


@transaction.atomic
def indicator_move(
    *, actor: User, indicator: Indicator, direction: str, version: int | None
) -> None:
    """Move an indicator up or down among its siblings."""
    scheme = _draft(actor, indicator.scheme_id, version)
    siblings = list(scheme.indicators.filter(parent_id=indicator.parent_id).order_by("order", "id"))
    index = next(i for i, s in enumerate(siblings) if s.pk == indicator.pk)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(siblings):
        return
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings):
        sibling.order = (position + 1) * 10
    Indicator.objects.bulk_update(siblings, ["order"])
    _bump(scheme)
    _audit("scheme.indicator_move", actor, scheme, {"indicator": indicator.pk, "to": direction})


@transaction.atomic
def grades_save(
    *,
    actor: User,
    scheme: Scheme,
    rows: Sequence[tuple[str, Decimal, Decimal | None]],
    version: int | None,
) -> None:
    """Set a draft's grades: (grade, lowest total, quota in per cent or None), best first;
    every grade of the scheme's kind once, the lowest totals falling, the last one 0."""
    scheme = _draft(actor, scheme, version)
    expected = list(GRADES[scheme.target_kind])
    if [g for g, _m, _q in rows] != expected:
        raise ValidationError(_("Give every grade once, from the best to the worst."))
    previous = None
    for index, (_grade, minimum, quota) in enumerate(rows):
        if minimum is None or minimum < 0:
            raise ValidationError(_("Enter the lowest total of every grade."))
        if previous is not None and minimum >= previous:
            raise ValidationError(_("Each grade needs a lower total than the grade above it."))
        if quota is not None and not ZERO <= quota <= 100:
            raise ValidationError(_("A quota is a share of the group from 0 to 100 per cent."))
        if index == len(rows) - 1 and (minimum != 0 or quota is not None):
            raise ValidationError(_("The last grade starts at 0 and has no quota."))
        previous = minimum
    scheme.grade_rules.all().delete()
    _grades_create(scheme, rows)
    _bump(scheme)
    _audit(
        "scheme.grades",
        actor,
        scheme,
        {"grades": [[g, str(m), None if q is None else str(q)] for g, m, q in rows]},
    )


@transaction.atomic
def evaluator_set(
    *,
    actor: User,
    indicator: Indicator,
    user: User,
    units: Iterable[Unit] = (),
    remove: bool = False,
    version: int | None,
) -> None:
    """Add (or change, or remove) an evaluator of a draft's evaluated indicator; ``units``
    limits the evaluator to the targets of those units (none: every target)."""
    scheme = _draft(actor, indicator.scheme_id, version)
    indicator = Indicator.objects.get(pk=indicator.pk, scheme=scheme)
    if indicator.kind != IndicatorKind.EVALUATED:
        raise ValidationError(_("Only an indicator scored by evaluators has evaluators."))
    existing = Evaluator.objects.filter(indicator=indicator, user=user).first()
    if remove:
        if existing is not None:
            existing.units.clear()
            existing.delete()
    else:
        if not user.is_active or not user.roles or user.roles <= ADMIN_ROLES:
            raise ValidationError({"user": _("Choose an active staff member as evaluator.")})
        existing = existing or Evaluator.objects.create(indicator=indicator, user=user)
        existing.units.set(list(units))
    _bump(scheme)
    _audit(
        "scheme.evaluators",
        actor,
        scheme,
        {
            "indicator": indicator.pk,
            "user": user.pk,
            "removed": remove,
            "units": sorted(u.pk for u in units),
        },
    )


# --- starting the scoring ----------------------------------------------------------------------


def _target_rows(scheme: Scheme) -> list[Target]:
    """The units of the group (active), or the staff of those units and their sections."""
    units = list(scheme.group.units.filter(is_active=True).order_by("order", "code"))
    if scheme.target_kind == TargetKind.UNIT:
        return [
            Target(scheme=scheme, unit=u, label=u.display_name, order=i)
            for i, u in enumerate(units)
        ]
    parents = unit_parent_map()
    assessed = {u.pk: u for u in units}
    members = unit_descendant_ids(unit_ids=set(assessed), parents=parents)
    people = (
        User.objects.filter(
            is_active=True, unit_id__in=sorted(members), role_assignments__role__in=STAFF_ROLES
        )
        .distinct()
        .order_by("name", "username")
    )
    position = {u.pk: i for i, u in enumerate(units)}
    rows = []
    for person in people:
        current = person.unit_id
        while current is not None and current not in assessed:
            current = parents.get(current)
        rows.append((position[current], person, assessed[current]))
    rows.sort(key=lambda r: (r[0], r[1].name, r[1].username))
    return [
        Target(scheme=scheme, unit=unit, person=person, label=person.name, order=i)
        for i, (_p, person, unit) in enumerate(rows)
    ]


def _scheme_problems(scheme: Scheme, targets: list[Target]) -> list[str]:
    indicators = scheme_indicators(scheme)
    problems = []
    if not targets:
        problems.append(
            _("The group has no active unit.")
            if scheme.target_kind == TargetKind.UNIT
            else _("The units of the group have no active staff to assess.")
        )
    if not any(i.kind in (IndicatorKind.COMPUTED, IndicatorKind.EVALUATED) for i in indicators):
        problems.append(_("Add at least one indicator that gives points."))
    has_children = {i.parent_id for i in indicators}
    for indicator in indicators:
        values = {"name": indicator.name}
        if indicator.kind == IndicatorKind.GROUP and indicator.pk not in has_children:
            problems.append(_("The group “%(name)s” has no indicator.") % values)
        if indicator.kind in (IndicatorKind.COMPUTED, IndicatorKind.VETO):
            source = get_source(indicator.source)
            if source is None or scheme.target_kind not in source.targets:
                problems.append(_("The data source of “%(name)s” is not available.") % values)
        if indicator.kind == IndicatorKind.EVALUATED and not indicator.evaluators.exists():
            problems.append(_("“%(name)s” has no evaluator.") % values)
    if not scheme.grade_rules.exists():
        problems.append(_("Set the grades."))
    return problems


def scheme_readiness(*, scheme: Scheme) -> list[str]:
    """What must be done before scoring can start (empty when ready)."""
    return _scheme_problems(scheme, _target_rows(scheme))


@transaction.atomic
def scheme_start_scoring(
    *, actor: User, scheme: Scheme, version: int | None, now: datetime | None = None
) -> Scheme:
    """Freeze the indicators, grades and targets; give each evaluator the scores to give."""
    scheme = _draft(actor, scheme, version)
    targets = _target_rows(scheme)
    problems = _scheme_problems(scheme, targets)
    if problems:
        raise ValidationError(problems)
    Target.objects.bulk_create(targets)
    targets = scheme_targets(scheme)
    evaluations, evaluators = [], set()
    for evaluator in Evaluator.objects.filter(indicator__scheme=scheme).prefetch_related("units"):
        unit_ids = {u.pk for u in evaluator.units.all()}
        evaluators.add(evaluator.user_id)
        evaluations += [
            Evaluation(
                indicator_id=evaluator.indicator_id, evaluator_id=evaluator.user_id, target=t
            )
            for t in targets
            if not unit_ids or t.unit_id in unit_ids
        ]
    Evaluation.objects.bulk_create(evaluations, batch_size=2000)
    scheme.status = SchemeStatus.SCORING
    scheme.scoring_started_at = _now(now)
    _bump(scheme, "status", "scoring_started_at")
    if evaluators:
        notify(
            recipients=User.objects.filter(pk__in=evaluators),
            code="assessment.evaluator",
            params={"scheme": scheme.name},
            url=_url("evaluation_edit", scheme.pk),
        )
    _audit(
        "scheme.start_scoring",
        actor,
        scheme,
        {"targets": len(targets), "evaluations": len(evaluations)},
    )
    return scheme


def _inputs_changed(scheme_pk: int) -> None:
    Scheme.objects.filter(pk=scheme_pk).update(inputs_revision=F("inputs_revision") + 1)


# --- evaluators' scores ------------------------------------------------------------------------


@transaction.atomic
def evaluation_save(
    *,
    actor: User,
    scheme: Scheme,
    scores: dict[int, tuple[Decimal | None, str]],
    now: datetime | None = None,
) -> int:
    """An evaluator saves scores ({evaluation id: (score or None to clear, comment)}) of the
    targets assigned to them while scoring. Returns how many changed."""
    scheme = _lock(scheme)
    _status(scheme, SchemeStatus.SCORING)
    rows = {
        e.pk: e
        for e in Evaluation.objects.select_for_update()
        .filter(pk__in=list(scores), indicator__scheme=scheme)
        .select_related("indicator", "target")
    }
    if set(rows) != set(scores) or any(e.evaluator_id != actor.pk for e in rows.values()):
        raise AssessmentActionDenied("evaluation_save")
    changed = []
    errors = []
    for pk, (score, comment) in scores.items():
        evaluation = rows[pk]
        indicator = evaluation.indicator
        if score is not None and not indicator.score_min <= score <= indicator.score_max:
            errors.append(
                _("%(target)s, %(indicator)s: give a score from %(low)s to %(high)s.")
                % {
                    "target": evaluation.target.label,
                    "indicator": indicator.name,
                    "low": indicator.score_min,
                    "high": indicator.score_max,
                }
            )
            continue
        comment = (comment or "").strip()
        if evaluation.score != score or evaluation.comment != comment:
            evaluation.score, evaluation.comment = score, comment
            evaluation.scored_at = _now(now) if score is not None else None
            changed.append(evaluation)
    if errors:
        raise ValidationError(errors)
    Evaluation.objects.bulk_update(changed, ["score", "comment", "scored_at"])
    if changed:
        _inputs_changed(scheme.pk)
        _audit(
            "evaluation.save",
            actor,
            scheme,
            {"scores": {str(e.pk): None if e.score is None else str(e.score) for e in changed}},
        )
    return len(changed)


# --- bonus and deduction items -----------------------------------------------------------------

EVIDENCE_MAX_FILES = 5


def _evidence(file) -> tuple[str, str, bytes]:
    """The cleaned name, content type and bytes of an uploaded evidence file, checked by its
    content like a case attachment."""
    from xiaoneng.cases import attachments as a

    name = a.clean_name(getattr(file, "name", "") or "")
    limit = a.max_bytes()
    if file.size is not None and file.size > limit:
        raise ValidationError(
            {
                "files": _("“%(name)s” is larger than the limit of %(limit)s.")
                % {"name": name, "limit": filesizeformat(limit)}
            }
        )
    file.seek(0)
    data = file.read(limit + 1)
    if not data:
        raise ValidationError({"files": _("“%(name)s” is empty.") % {"name": name}})
    if len(data) > limit:
        raise ValidationError(
            {
                "files": _("“%(name)s” is larger than the limit of %(limit)s.")
                % {"name": name, "limit": filesizeformat(limit)}
            }
        )
    file_type = a.detect_type(data)
    if file_type is None:
        raise ValidationError(
            {
                "files": _(
                    "“%(name)s” cannot be attached: use an image, a PDF, a Word or Excel "
                    "document or plain text."
                )
                % {"name": name}
            }
        )
    strip = {a.JPEG: a.strip_jpeg, a.PNG: a.strip_png, a.WEBP: a.strip_webp}.get(file_type)
    if strip is not None:
        try:
            data = strip(data)
        except Exception as exc:
            raise ValidationError(
                {"files": _("“%(name)s” could not be read as an image.") % {"name": name}}
            ) from exc
    return name, file_type.content_type, data


@transaction.atomic
def adjustment_propose(
    *,
    actor: User,
    scheme: Scheme,
    indicator: Indicator,
    target: Target,
    points: Decimal,
    reason: str,
    files: Sequence = (),
    now: datetime | None = None,
) -> Adjustment:
    """Propose a bonus (positive points) or a deduction (negative) with its reason and
    evidence, while scoring: the office for any target, a unit head or liaison for their
    unit (and a unit head for its staff)."""
    now = _now(now)
    scheme = _lock(scheme)
    allowed = sel.targets_to_propose_for(user=actor, scheme=scheme).filter(pk=target.pk)
    _deny(allowed.exists(), "adjustment_propose")
    _status(scheme, SchemeStatus.SCORING)
    if indicator.scheme_id != scheme.pk or indicator.kind != IndicatorKind.ADJUSTMENT:
        raise ValidationError({"indicator": _("Choose a bonus and deduction item.")})
    if points is None or points == 0:
        raise ValidationError(
            {"points": _("Enter the points: positive to add, negative to deduct.")}
        )
    if points > indicator.weight or -points > indicator.max_deduction:
        raise ValidationError(
            {
                "points": _("This item allows from −%(deduction)s to +%(bonus)s points.")
                % {"deduction": indicator.max_deduction, "bonus": indicator.weight}
            }
        )
    reason = _required(reason, "reason", _("Give the reason and the evidence."))
    if len(files) > EVIDENCE_MAX_FILES:
        raise ValidationError(
            {"files": _("Attach at most %(count)s files.") % {"count": EVIDENCE_MAX_FILES}}
        )
    checked = [_evidence(f) for f in files]
    adjustment = Adjustment.objects.create(
        scheme=scheme,
        indicator=indicator,
        target=target,
        points=q2(points),
        reason=reason,
        proposed_by=actor,
        proposed_at=now,
    )
    stored = []
    try:
        for name, content_type, data in checked:
            evidence = AdjustmentEvidence(
                adjustment=adjustment,
                original_name=name,
                content_type=content_type,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                uploaded_by=actor,
                uploaded_at=now,
            )
            evidence.file.save("upload", ContentFile(data), save=False)
            stored.append(evidence.file.name)
            evidence.save()
    except BaseException:
        for name in stored:
            AdjustmentEvidence.file.field.storage.delete(name)
        raise
    notify(
        recipients=_directors(),
        code="assessment.adjustment_proposed",
        params={"scheme": scheme.name, "target": target.label},
        url=_url("adjustment_list", scheme.pk),
    )
    _audit(
        "adjustment.propose",
        actor,
        scheme,
        {"target": target.pk, "points": str(adjustment.points), "files": len(checked)},
        obj=adjustment,
    )
    return adjustment


@transaction.atomic
def adjustment_decide(
    *,
    actor: User,
    adjustment: Adjustment,
    approve: bool,
    note: str = "",
    version: int | None = None,
    now: datetime | None = None,
) -> Adjustment:
    """The director approves or rejects a pending item while scoring."""
    _deny(sel.can_decide(actor), "adjustment_decide")
    scheme = _lock(adjustment.scheme_id)
    _status(scheme, SchemeStatus.SCORING)
    adjustment = Adjustment.objects.select_for_update().get(pk=adjustment.pk)
    if version is not None and adjustment.version != version:
        raise _conflict()
    if adjustment.status != RequestStatus.PENDING:
        raise ValidationError(_("This item has been decided already."), code="decided")
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": _("Say why the item is rejected.")})
    adjustment.status = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
    adjustment.decided_by, adjustment.decided_at = actor, _now(now)
    adjustment.decision_note = note
    adjustment.version = F("version") + 1
    adjustment.save(
        update_fields=["status", "decided_by", "decided_at", "decision_note", "version"]
    )
    adjustment.refresh_from_db(fields=["version"])
    if approve:
        _inputs_changed(scheme.pk)
    notify(
        recipients=[adjustment.proposed_by],
        code="assessment.adjustment_decided",
        params={"scheme": scheme.name, "target": adjustment.target.label},
        url=_url("adjustment_list", scheme.pk),
    )
    _audit(
        "adjustment.decide",
        actor,
        scheme,
        {"item": adjustment.pk, "decision": adjustment.status, "points": str(adjustment.points)},
        obj=adjustment,
    )
    return adjustment


def evidence_download(*, actor: User, evidence: AdjustmentEvidence):
    """Open an evidence file for someone who may read its item; audited."""
    scheme = evidence.adjustment.scheme
    sel.adjustment_get(user=actor, scheme=scheme, pk=evidence.adjustment_id)
    audit_log(
        action="assessments.adjustment.evidence",
        actor=actor,
        obj=evidence,
        data={"item": evidence.adjustment_id, "name": evidence.original_name},
    )
    return evidence.file.open("rb")


# --- computing ----------------------------------------------------------------------------------


def _active_run(scheme: Scheme, now: datetime) -> ComputeRun | None:
    return (
        scheme.runs.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING])
        .filter(requested_at__gt=now - RUN_STALE_AFTER)
        .first()
    )


@transaction.atomic
def compute_request(
    *, actor: User, scheme: Scheme, enqueue: bool = True, now: datetime | None = None
) -> ComputeRun:
    """Queue a computation of the results, run by the worker after commit (``enqueue``
    False: the caller runs it with ``compute_run``)."""
    from xiaoneng.assessments.tasks import compute_assessment

    _deny(sel.can_manage(actor), "compute")
    now = _now(now)
    scheme = _lock(scheme)
    _status(scheme, SchemeStatus.SCORING)
    if _active_run(scheme, now) is not None:
        raise ValidationError(
            _("A computation of this assessment is already under way."), code="running"
        )
    scheme.runs.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).update(
        status=RunStatus.FAILED, error="lost", finished_at=now
    )
    run = ComputeRun.objects.create(
        scheme=scheme,
        requested_by=actor,
        requested_at=now,
        total=compute_steps(scheme_indicators(scheme)) + 1,
    )
    _audit("scheme.compute", actor, scheme, {"run": run.pk})
    if enqueue:
        transaction.on_commit(lambda: compute_assessment.enqueue(run.pk))
    return run


def compute_run(
    *, run: ComputeRun | int, on_progress=None, now: datetime | None = None
) -> ComputeRun:
    """Compute a queued run's results and save them: the task's work, also called by the
    ``assessment_compute`` command, which shows ``on_progress(done, total)``. The sources are
    read outside a transaction so that the progress shows; the results are written in one
    transaction at the end."""
    run = ComputeRun.objects.select_related("scheme", "requested_by").get(
        pk=run.pk if isinstance(run, ComputeRun) else run
    )
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        # One more step than the computation's: saving the results.
        ComputeRun.objects.filter(pk=run.pk).update(done=done, total=total + 1)
        if on_progress:
            on_progress(done, total + 1)

    ComputeRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, started_at=_now(now), done=0
    )
    try:
        revision = Scheme.objects.values_list("inputs_revision", flat=True).get(pk=run.scheme_id)
        outcome = compute(run.scheme, progress=progress)
        _save_results(run, outcome, revision, started)
    except Exception as exc:
        logger.exception("Assessment computation %s failed", run.pk)
        ComputeRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED,
            finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
    run.refresh_from_db()
    return run


def bulk_insert(model, rows: list[dict], *, batch_size: int = 500) -> None:
    """Insert many new rows given as {attname: value}: with COPY on PostgreSQL (the figures
    of thousands of targets, with their record ids, in seconds), with ``bulk_create``
    elsewhere. No ids are returned."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows], batch_size=batch_size)
        return
    names = list(rows[0])
    fields = {f.attname: f for f in model._meta.concrete_fields}
    json_names = {n for n in names if isinstance(fields[n], JSONField)}
    columns = ", ".join(connection.ops.quote_name(fields[n].column) for n in names)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                [json.dumps(row[n], separators=(",", ":")) if n in json_names else row[n]
                 for n in names]
            )  # fmt: skip


@transaction.atomic
def _save_results(run: ComputeRun, outcome, revision: int, started: float) -> None:
    scheme = _lock(run.scheme_id)
    _status(scheme, SchemeStatus.SCORING)
    IndicatorResult.objects.filter(result__scheme=scheme).delete()
    Result.objects.filter(scheme=scheme).delete()
    results, pending = result_rows(scheme, run, outcome)
    bulk_insert(Result, results)
    saved = dict(Result.objects.filter(scheme=scheme).values_list("target_id", "pk"))
    rows = []
    for target_pk, figures in pending.items():
        for row in figures:
            row["result_id"] = saved[target_pk]
            rows.append(row)
    bulk_insert(IndicatorResult, rows)
    seconds = Decimal(str(round(time.perf_counter() - started, 2)))
    ComputeRun.objects.filter(pk=run.pk).update(
        status=RunStatus.DONE,
        finished_at=timezone.now(),
        done=F("total"),
        inputs_revision=revision,
        seconds=seconds,
    )
    _audit(
        "scheme.computed",
        run.requested_by,
        scheme,
        {"run": run.pk, "targets": len(results), "seconds": str(seconds)},
    )


# --- public notice, appeals, locking -----------------------------------------------------------


@transaction.atomic
def scheme_start_publicity(
    *,
    actor: User,
    scheme: Scheme,
    publicity_end: date,
    version: int | None,
    now: datetime | None = None,
) -> Scheme:
    """The director publishes the computed results for public notice (公示) until
    ``publicity_end``; the assessed units may appeal until then."""
    _deny(sel.can_decide(actor), "publicity")
    scheme = _lock(scheme, version)
    _status(scheme, SchemeStatus.SCORING)
    if not Result.objects.filter(scheme=scheme).exists():
        raise ValidationError(_("Compute the results first."), code="no_results")
    if sel.results_stale(scheme=scheme):
        raise ValidationError(
            _("Scores or items changed since the results were computed: compute them again."),
            code="stale",
        )
    if sel.pending_adjustments(scheme=scheme):
        raise ValidationError(
            _("Decide the pending bonus and deduction items first."), code="pending_items"
        )
    if publicity_end is None or publicity_end < _today(now):
        raise ValidationError({"publicity_end": _("The notice cannot end before today.")})
    scheme.status = SchemeStatus.PUBLICITY
    scheme.publicity_started_at = _now(now)
    scheme.publicity_end = publicity_end
    _bump(scheme, "status", "publicity_started_at", "publicity_end")
    unit_ids = set(scheme.targets.values_list("unit_id", flat=True))
    recipients = User.objects.filter(
        is_active=True,
        role_assignments__role__in=[Role.UNIT_HEAD, Role.UNIT_LIAISON],
        unit_id__in=sorted(unit_ids),
    ).distinct()
    notify(
        recipients=recipients,
        code="assessment.publicity",
        params={"scheme": scheme.name, "end": publicity_end.isoformat()},
        url=_url("scheme_detail", scheme.pk),
    )
    _audit("scheme.publicity", actor, scheme, {"end": publicity_end.isoformat()})
    return scheme


@transaction.atomic
def appeal_file(
    *,
    actor: User,
    scheme: Scheme,
    target: Target,
    reason: str,
    indicator: Indicator | None = None,
    now: datetime | None = None,
) -> Appeal:
    """A unit (its head or liaison) or an assessed person appeals against a score during the
    public notice, saying why."""
    scheme = _lock(scheme)
    allowed = sel.targets_to_appeal_for(user=actor, scheme=scheme).filter(pk=target.pk)
    _deny(allowed.exists(), "appeal_file")
    _status(scheme, SchemeStatus.PUBLICITY)
    if scheme.publicity_end is None or _today(now) > scheme.publicity_end:
        raise ValidationError(_("The public notice has ended: appeals are closed."), code="closed")
    if indicator is not None and (
        indicator.scheme_id != scheme.pk or indicator.kind == IndicatorKind.GROUP
    ):
        raise ValidationError({"indicator": _("Choose an indicator of this assessment.")})
    reason = _required(reason, "reason", _("Give the reasons for the appeal."))
    if Appeal.objects.filter(
        target=target, indicator=indicator, status=AppealStatus.PENDING
    ).exists():
        raise ValidationError(_("An appeal on this score is already waiting for a decision."))
    appeal = Appeal.objects.create(
        scheme=scheme,
        target=target,
        indicator=indicator,
        reason=reason,
        filed_by=actor,
        filed_at=_now(now),
    )
    notify(
        recipients=_directors(),
        code="assessment.appeal_filed",
        params={"scheme": scheme.name, "target": target.label},
        url=_url("appeal_list", scheme.pk),
    )
    _audit(
        "appeal.file",
        actor,
        scheme,
        {"target": target.pk, "indicator": indicator.pk if indicator else None},
        obj=appeal,
    )
    return appeal


def _figures_of(scheme: Scheme, targets: list[Target]) -> dict[int, dict[int, Figure]]:
    figures: dict[int, dict[int, Figure]] = {t.pk: {} for t in targets}
    rows = IndicatorResult.objects.filter(result__scheme=scheme).values_list(
        "result__target_id", "indicator_id", "points", "triggered"
    )
    for target_pk, indicator_pk, points, triggered in rows:
        figures[target_pk][indicator_pk] = Figure(points=points, triggered=triggered)
    return figures


def rerank(scheme: Scheme) -> None:
    """Add up every target's stored points again and give ranks and grades anew (after an
    upheld appeal changed a figure); the other figures stay as computed."""
    indicators = scheme_indicators(scheme)
    targets = scheme_targets(scheme)
    figures = _figures_of(scheme, targets)
    standings = standings_of(scheme, indicators, targets, figures)
    groups = {i.pk for i in indicators if i.kind == IndicatorKind.GROUP}
    group_rows = IndicatorResult.objects.filter(result__scheme=scheme, indicator_id__in=groups)
    changed_groups = []
    for row in group_rows.select_related("result"):
        new = figures[row.result.target_id][row.indicator_id].points
        if row.points != new:
            row.points = new
            changed_groups.append(row)
    IndicatorResult.objects.bulk_update(changed_groups, ["points"])
    results = list(Result.objects.filter(scheme=scheme))
    for result in results:
        standing = standings[result.target_id]
        result.total, result.rank, result.grade = standing.total, standing.rank, standing.grade
        result.grade_by_score, result.notes = standing.grade_by_score, standing.notes
        result.vetoed = bool(standing.notes.get("vetoed_by"))
    Result.objects.bulk_update(
        results, ["total", "rank", "grade", "grade_by_score", "notes", "vetoed"], batch_size=1000
    )


def _recompute_figure(scheme: Scheme, figure: IndicatorResult, target: Target) -> None:
    """The figure of one target recomputed from the data as it stands now."""
    targets = scheme_targets(scheme)
    fresh = source_figures(figure.indicator, build_context(scheme, targets), targets)[target.pk]
    figure.value = None if fresh.value is None else q2(fresh.value)
    figure.numerator, figure.denominator = fresh.numerator, fresh.denominator
    figure.points, figure.triggered = q2(fresh.points), fresh.triggered
    figure.detail, figure.records, figure.hits = fresh.detail, fresh.records, fresh.hits


def _override_bounds(indicator: Indicator) -> tuple[Decimal, Decimal]:
    if indicator.kind == IndicatorKind.ADJUSTMENT:
        return -indicator.max_deduction, indicator.weight
    return ZERO, indicator.weight


@transaction.atomic
def appeal_decide(
    *,
    actor: User,
    appeal: Appeal,
    uphold: bool,
    note: str,
    remedy: str = AppealRemedy.NONE,
    new_points: Decimal | None = None,
    version: int | None = None,
    now: datetime | None = None,
) -> Appeal:
    """The director decides an appeal. Upheld, it may recompute the appealed indicator of
    that target from the current data or set its points; the totals, ranks and grades of
    the whole group are then given anew (the other figures stay as computed)."""
    _deny(sel.can_decide(actor), "appeal_decide")
    scheme = _lock(appeal.scheme_id)
    _status(scheme, SchemeStatus.PUBLICITY)
    appeal = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("target", "indicator")
        .get(pk=appeal.pk)
    )
    if version is not None and appeal.version != version:
        raise _conflict()
    if appeal.status != AppealStatus.PENDING:
        raise ValidationError(_("This appeal has been decided already."), code="decided")
    note = _required(note, "note", _("Write the decision and its reasons."))
    remedy = remedy if uphold else AppealRemedy.NONE
    if remedy not in AppealRemedy.values:
        raise ValidationError({"remedy": _("Choose what the decision changes.")})
    before = Result.objects.get(target=appeal.target)
    data = {"target": appeal.target_id, "before": [str(before.total), before.rank, before.grade]}
    if remedy != AppealRemedy.NONE:
        indicator = appeal.indicator
        if indicator is None:
            raise ValidationError({"remedy": _("The appeal names no indicator to change.")})
        figure = IndicatorResult.objects.select_for_update().get(result=before, indicator=indicator)
        old_points = figure.points
        if remedy == AppealRemedy.RECOMPUTE:
            if indicator.kind not in (IndicatorKind.COMPUTED, IndicatorKind.VETO):
                raise ValidationError(
                    {"remedy": _("Only an indicator computed from the data can be recomputed.")}
                )
            _recompute_figure(scheme, figure, appeal.target)
        else:
            low, high = _override_bounds(indicator)
            if indicator.kind in (IndicatorKind.GROUP, IndicatorKind.VETO):
                raise ValidationError({"remedy": _("This indicator has no points to set.")})
            if new_points is None or not low <= new_points <= high:
                raise ValidationError(
                    {
                        "new_points": _("Enter points from %(low)s to %(high)s.")
                        % {"low": low, "high": high}
                    }
                )
            figure.points = q2(new_points)
            figure.detail = {**figure.detail, "override": True}
        if figure.computed_points is None:
            figure.computed_points = old_points
        figure.appeal = appeal
        figure.save()
        rerank(scheme)
        data["indicator"] = indicator.pk
        data["points"] = [str(old_points), str(figure.points)]
    appeal.status = AppealStatus.UPHELD if uphold else AppealStatus.REJECTED
    appeal.remedy = remedy
    appeal.new_points = q2(new_points) if remedy == AppealRemedy.OVERRIDE else None
    appeal.decided_by, appeal.decided_at = actor, _now(now)
    appeal.decision_note = note
    appeal.version = F("version") + 1
    appeal.save()
    appeal.refresh_from_db(fields=["version"])
    after = Result.objects.get(target=appeal.target)
    data["after"] = [str(after.total), after.rank, after.grade]
    data["decision"] = appeal.status
    notify(
        recipients=[appeal.filed_by],
        code="assessment.appeal_decided",
        params={"scheme": scheme.name},
        url=_url("score_card", scheme.pk, appeal.target_id),
    )
    _audit("appeal.decide", actor, scheme, data, obj=appeal)
    return appeal


def results_digest(scheme: Scheme) -> str:
    """A SHA-256 over every target's total, rank, grade and figures: recorded when the
    results are locked, so that any later change would show."""
    rows = [
        [r["target_id"], str(r["total"]), r["rank"], r["grade"]]
        for r in Result.objects.filter(scheme=scheme)
        .order_by("target_id")
        .values("target_id", "total", "rank", "grade")
    ]
    figures = [
        [t, i, str(p), v if v is None else str(v)]
        for t, i, p, v in IndicatorResult.objects.filter(result__scheme=scheme)
        .order_by("result__target_id", "indicator_id")
        .values_list("result__target_id", "indicator_id", "points", "value")
    ]
    payload = json.dumps([rows, figures], separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


@transaction.atomic
def scheme_finalize(
    *, actor: User, scheme: Scheme, version: int | None, now: datetime | None = None
) -> Scheme:
    """The director locks the results once the notice has ended and every appeal is
    decided. A final assessment never changes again."""
    _deny(sel.can_decide(actor), "finalize")
    scheme = _lock(scheme, version)
    _status(scheme, SchemeStatus.PUBLICITY)
    if scheme.publicity_end is not None and _today(now) <= scheme.publicity_end:
        raise ValidationError(
            _("The public notice runs until %(end)s: lock the results after it.")
            % {"end": scheme.publicity_end.isoformat()},
            code="notice_running",
        )
    if sel.pending_appeals(scheme=scheme):
        raise ValidationError(_("Decide the pending appeals first."), code="pending_appeals")
    scheme.status = SchemeStatus.FINAL
    scheme.finalized_at, scheme.finalized_by = _now(now), actor
    _bump(scheme, "status", "finalized_at", "finalized_by")
    _audit("scheme.finalize", actor, scheme, {"digest": results_digest(scheme)})
    return scheme


def export_audit(*, actor: User, scheme: Scheme, what: str) -> None:
    """Record an export of the results (Excel or the Word notice)."""
    audit_log(
        action="assessments.scheme.export",
        actor=actor,
        obj=scheme,
        data={"scheme": scheme.pk, "format": what, "status": scheme.status},
    )
