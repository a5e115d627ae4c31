"""Sentences that explain an indicator's rule and how a figure's points came about, rendered
from the stored codes and numbers in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from xiaoneng.assessments.choices import (
    Aggregation,
    Grade,
    IndicatorKind,
    NoData,
    Rule,
    TierDirection,
)
from xiaoneng.assessments.indicators.registry import get_source
from xiaoneng.assessments.models import Indicator, IndicatorResult
from xiaoneng.assessments.scoring import text as number


def _n(value) -> str:
    return number(value) if value is not None else "—"


def _tiers(params: dict) -> str:
    return _(", ").join(f"{t} → {s}%" for t, s in params.get("tiers") or [])


def _source_params(indicator: Indicator) -> str:
    source = get_source(indicator.source)
    if source is None:
        return indicator.source
    parts = [str(source.label)]
    for param in source.params:
        chosen = (indicator.params or {}).get(param.name, param.default)
        label = dict(param.choices()).get(chosen, chosen)
        parts.append(f"{param.label}: {label}")
    return _("; ").join(parts)


def rule_text(indicator: Indicator) -> str:
    """The indicator's rule as a sentence."""
    p = indicator.rule_params or {}
    kind = indicator.kind
    if kind == IndicatorKind.GROUP:
        return _("The sum of its indicators.")
    if kind == IndicatorKind.EVALUATED:
        text = _(
            "Each evaluator scores from %(low)s to %(high)s; the scores are combined by %(how)s "
            "and scaled to %(points)s points."
        ) % {
            "low": _n(indicator.score_min),
            "high": _n(indicator.score_max),
            "how": Aggregation(indicator.aggregation).label,
            "points": _n(indicator.weight),
        }
    elif kind == IndicatorKind.ADJUSTMENT:
        return _(
            "Approved items: bonuses up to %(bonus)s points, deductions up to %(deduction)s points."
        ) % {"bonus": _n(indicator.weight), "deduction": _n(indicator.max_deduction)}
    elif kind == IndicatorKind.VETO:
        return _(
            "%(source)s. Triggered from the value %(threshold)s: the grade is then at most "
            "%(grade)s."
        ) % {
            "source": _source_params(indicator),
            "threshold": _n(indicator.threshold),
            "grade": Grade(indicator.cap_grade).label if indicator.cap_grade else "—",
        }
    elif indicator.rule == Rule.LINEAR:
        text = _(
            "%(source)s. No points at %(lower)s, all %(points)s points at %(upper)s, "
            "proportionally between."
        ) % {
            "source": _source_params(indicator),
            "lower": p.get("lower"),
            "upper": p.get("upper"),
            "points": _n(indicator.weight),
        }
    elif indicator.rule == Rule.TIERS:
        template = (
            _("%(source)s. Share of the %(points)s points when the value is at least: %(tiers)s; "
              "otherwise %(otherwise)s%%.")
            if p.get("direction", TierDirection.AT_LEAST) == TierDirection.AT_LEAST
            else _("%(source)s. Share of the %(points)s points when the value is at most: "
                   "%(tiers)s; otherwise %(otherwise)s%%.")
        )  # fmt: skip
        text = template % {
            "source": _source_params(indicator),
            "points": _n(indicator.weight),
            "tiers": _tiers(p),
            "otherwise": p.get("otherwise", "0"),
        }
    elif indicator.rule == Rule.PER_OCCURRENCE:
        text = _(
            "%(source)s. %(per)s points deducted per occurrence from %(points)s points, at most "
            "%(cap)s."
        ) % {
            "source": _source_params(indicator),
            "per": p.get("per"),
            "points": _n(indicator.weight),
            "cap": p.get("cap"),
        }
    else:
        return ""
    no_data = (
        _("Without data: all points.")
        if indicator.no_data == NoData.FULL
        else _("Without data: no points.")
    )
    return f"{text} {no_data}"


def figure_text(figure: IndicatorResult) -> str:
    """How the figure's points came about."""
    d = figure.detail or {}
    rule = d.get("rule")
    values = {
        "value": _n(figure.value),
        "points": str(figure.points),
        "weight": _n(figure.indicator.weight),
    }
    if d.get("override"):
        return _("Points set by the decision on an appeal: %(points)s.") % values
    if rule == "no_data":
        if d.get("no_data") == NoData.FULL:
            return _("No data to compute the value from: all %(weight)s points.") % values
        return _("No data to compute the value from: no points.") % values
    if rule == Rule.LINEAR:
        return _(
            "Value %(value)s between %(lower)s (no points) and %(upper)s (all points): "
            "%(points)s of %(weight)s points."
        ) % {**values, "lower": d.get("lower"), "upper": d.get("upper")}
    if rule == Rule.TIERS:
        if d.get("threshold") is None:
            return _("Value %(value)s reaches no tier: %(share)s%% of %(weight)s points.") % {
                **values,
                "share": d.get("share"),
            }
        return _(
            "Value %(value)s reaches the tier %(threshold)s: %(share)s%% of %(weight)s points."
        ) % {**values, "threshold": d.get("threshold"), "share": d.get("share")}
    if rule == Rule.PER_OCCURRENCE:
        return _(
            "%(value)s occurrences × %(per)s points, at most %(cap)s: %(deduction)s deducted "
            "from %(weight)s points."
        ) % {**values, "per": d.get("per"), "cap": d.get("cap"), "deduction": d.get("deduction")}
    if rule == "evaluated":
        if not d.get("scores"):
            return _("No evaluator's score.")
        count = len(d["scores"])
        text = ngettext(
            "%(count)s score: %(value)s, scaled to %(points)s points.",
            "%(count)s scores combined: %(value)s, scaled to %(points)s points.",
            count,
        ) % {**values, "count": count}
        if d.get("dropped"):
            text += " " + _("Highest and lowest dropped: %(dropped)s.") % {
                "dropped": _(", ").join(d["dropped"])
            }
        return text
    if rule == "adjustment":
        text = _("Approved bonuses %(bonus)s, deductions %(deduction)s: %(points)s points.") % {
            **values,
            "bonus": d.get("bonus"),
            "deduction": d.get("deduction"),
        }
        if d.get("capped"):
            text += " " + _("Capped by the item's limits.")
        return text
    if rule == "veto":
        if figure.triggered:
            return _("Triggered (value %(value)s): the grade is capped.") % values
        return _("Not triggered (value %(value)s).") % values
    return ""
