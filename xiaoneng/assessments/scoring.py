"""The arithmetic of an assessment, free of the database: how a value becomes points, how
evaluators' scores and bonus and deduction items are combined, and how totals become ranks
and grades. Points are Decimals rounded half up to two places at each indicator, so that a
score card adds up exactly. The rules are described for readers in docs/assessment.md."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from xiaoneng.assessments.choices import Aggregation, NoData, Rule, TierDirection

CENT = Decimal("0.01")
ZERO = Decimal(0)
HUNDRED = Decimal(100)


def q2(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def dec(value, default: Decimal | None = None) -> Decimal | None:
    """A Decimal from a parameter stored as text (None or ``default`` when it is not one)."""
    if value is None or value == "":
        return default
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return default
    return result if result.is_finite() else default


def text(value: Decimal | None) -> str | None:
    """A Decimal as stored in the JSON details (normalised, no exponent)."""
    if value is None:
        return None
    return format(Decimal(value).normalize(), "f")


def _clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return max(low, min(high, value))


# --- rules of computed indicators ------------------------------------------------------------


def tiers_of(params: dict) -> list[tuple[Decimal, Decimal]]:
    """The tiers (threshold, share of the points in per cent), ordered for the first match:
    the highest threshold first when the value must be at least it, the lowest first
    otherwise."""
    tiers = []
    for pair in params.get("tiers") or []:
        threshold, share = dec(pair[0]), dec(pair[1])
        if threshold is not None and share is not None:
            tiers.append((threshold, share))
    reverse = params.get("direction", TierDirection.AT_LEAST) == TierDirection.AT_LEAST
    return sorted(tiers, key=lambda t: t[0], reverse=reverse)


def rule_points(
    *, rule: str, params: dict, weight: Decimal, value: Decimal | None, no_data: str
) -> tuple[Decimal, dict]:
    """The points of a computed indicator worth ``weight`` whose source gave ``value``, and
    the details of how (codes and numbers, rendered on the score card).

    - linear: ``lower`` gives no points, ``upper`` full points, proportionally between (a
      lower bound above the upper one makes a smaller value better);
    - tiers: the share of the first tier the value reaches (``at_least``: value ≥ threshold;
      ``at_most``: value ≤ threshold), else ``otherwise``;
    - per_occurrence: the points less ``per`` for each occurrence, at most ``cap`` in all.
    A rate with nothing to divide by has no value: full points or none (``no_data``)."""
    if value is None:
        points = weight if no_data == NoData.FULL else ZERO
        return q2(points), {"rule": "no_data", "no_data": no_data}
    if rule == Rule.LINEAR:
        lower, upper = dec(params.get("lower"), ZERO), dec(params.get("upper"), HUNDRED)
        if lower == upper:
            share = Decimal(1) if value >= upper else ZERO
        else:
            share = _clamp((value - lower) / (upper - lower), ZERO, Decimal(1))
        detail = {"rule": rule, "lower": text(lower), "upper": text(upper)}
        return q2(weight * share), detail
    if rule == Rule.TIERS:
        at_least = params.get("direction", TierDirection.AT_LEAST) == TierDirection.AT_LEAST
        share = dec(params.get("otherwise"), ZERO)
        matched = None
        for threshold, tier_share in tiers_of(params):
            if (value >= threshold) if at_least else (value <= threshold):
                share, matched = tier_share, threshold
                break
        share = _clamp(share, ZERO, HUNDRED)
        detail = {
            "rule": rule,
            "direction": TierDirection.AT_LEAST if at_least else TierDirection.AT_MOST,
            "threshold": text(matched),
            "share": text(share),
        }
        return q2(weight * share / HUNDRED), detail
    if rule == Rule.PER_OCCURRENCE:
        per = dec(params.get("per"), ZERO)
        cap = _clamp(dec(params.get("cap"), weight), ZERO, weight)
        deduction = min(cap, per * value)
        detail = {
            "rule": rule,
            "per": text(per),
            "cap": text(cap),
            "deduction": text(q2(deduction)),
        }
        return q2(weight - deduction), detail
    raise ValueError(f"unknown rule {rule!r}")


# --- evaluators' scores ----------------------------------------------------------------------


def combine_scores(scores: Sequence[Decimal], aggregation: str) -> tuple[Decimal | None, list]:
    """The mean of the scores, or the trimmed mean: with three scores or more, the single
    highest and lowest are dropped. Returns the value (two places) and the dropped scores."""
    if not scores:
        return None, []
    ordered = sorted(scores)
    dropped: list[Decimal] = []
    if aggregation == Aggregation.TRIMMED and len(ordered) >= 3:
        dropped = [ordered[0], ordered[-1]]
        ordered = ordered[1:-1]
    return q2(sum(ordered, ZERO) / len(ordered)), dropped


def evaluated_points(
    *,
    value: Decimal | None,
    score_min: Decimal,
    score_max: Decimal,
    weight: Decimal,
    no_data: str,
) -> Decimal:
    """The points of an evaluated indicator: its share of the score range, times its
    points; without any score, full points or none (``no_data``)."""
    if value is None:
        return q2(weight if no_data == NoData.FULL else ZERO)
    if score_max <= score_min:
        return ZERO
    share = _clamp((value - score_min) / (score_max - score_min), ZERO, Decimal(1))
    return q2(weight * share)


# --- bonus and deduction items ------------------------------------------------------------------


def adjustment_points(
    items: Sequence[Decimal], *, max_bonus: Decimal, max_deduction: Decimal
) -> tuple[Decimal, dict]:
    """The approved items of one target: bonuses add up to at most ``max_bonus``, deductions
    to at most ``max_deduction``."""
    bonus = sum((p for p in items if p > 0), ZERO)
    deduction = -sum((p for p in items if p < 0), ZERO)
    capped_bonus, capped_deduction = min(bonus, max_bonus), min(deduction, max_deduction)
    detail = {
        "bonus": text(q2(bonus)),
        "deduction": text(q2(deduction)),
        "capped": capped_bonus != bonus or capped_deduction != deduction,
    }
    return q2(capped_bonus - capped_deduction), detail


# --- ranks and grades --------------------------------------------------------------------------


@dataclass
class Standing:
    """A target to rank and grade: its total, its place in the group's order (the tie
    breaker for display only) and the best grade a triggered veto item leaves it."""

    key: int
    total: Decimal
    order: int
    cap: str | None = None
    rank: int = 0
    grade: str = ""
    grade_by_score: str = ""
    notes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class GradeStep:
    grade: str
    min_score: Decimal
    quota: Decimal | None = None


def rank(standings: list[Standing]) -> list[Standing]:
    """Ranks by total, highest first; equal totals share a rank and the next rank skips
    (1, 2, 2, 4). Returns the standings in rank order (ties in the group's order)."""
    ordered = sorted(standings, key=lambda s: (-s.total, s.order, s.key))
    for index, standing in enumerate(ordered):
        if index and standing.total == ordered[index - 1].total:
            standing.rank = ordered[index - 1].rank
        else:
            standing.rank = index + 1
    return ordered


def quota_limit(quota: Decimal, size: int) -> int:
    """How many of ``size`` targets a quota of ``quota`` per cent allows (rounded down)."""
    return math.floor(Decimal(size) * quota / HUNDRED)


def grade(standings: list[Standing], steps: Sequence[GradeStep]) -> None:
    """Give each standing its grade. The steps go from the best grade to the worst; the
    worst takes everyone left. A grade goes to the targets whose total reaches its lowest
    total, best first, unless a triggered veto item caps them lower; a grade with a quota
    goes to at most that share of the whole group, rounded down, and targets tied at the
    edge of the quota are all left out when together they would exceed it. Those left out
    fall to the next grade."""
    if not steps:
        return
    grades = [s.grade for s in steps]
    ordered = sorted(standings, key=lambda s: (-s.total, s.order, s.key))
    size = len(ordered)
    for standing in ordered:
        standing.grade_by_score = next(
            (s.grade for s in steps if standing.total >= s.min_score), grades[-1]
        )
    remaining = list(ordered)
    for position, step in enumerate(steps):
        if position == len(steps) - 1:
            for standing in remaining:
                standing.grade = step.grade
            break
        eligible = [
            s
            for s in remaining
            if s.total >= step.min_score and (s.cap is None or grades.index(s.cap) <= position)
        ]
        for s in remaining:
            if s.total >= step.min_score and s not in eligible:
                s.notes.setdefault("veto", True)
        chosen = eligible
        if step.quota is not None:
            limit = quota_limit(step.quota, size)
            chosen = []
            index = 0
            while index < len(eligible):
                end = index + 1
                while end < len(eligible) and eligible[end].total == eligible[index].total:
                    end += 1
                if len(chosen) + end - index > limit:
                    for s in eligible[index:]:
                        s.notes.setdefault("quota", []).append(step.grade)
                    break
                chosen += eligible[index:end]
                index = end
        for standing in chosen:
            standing.grade = step.grade
        remaining = [s for s in remaining if not s.grade]
