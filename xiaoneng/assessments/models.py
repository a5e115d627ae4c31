"""Assessment (考核评价): schemes per period for a group of units or for the staff of those
units, an indicator tree with weights, evaluators' scores, bonus and deduction items, veto
items, and the computed results with every figure traceable to the records behind it.

A scheme is edited as a draft; when scoring starts its indicators, grades and targets are
frozen. A computation stores each target's indicator values together with the ids of the
records that produced them, so a published or final result never changes when the data
under it changes later. Nothing here is ever deleted once scoring has started (PROTECT)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xiaoneng.assessments.choices import (
    Aggregation,
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
)
from xiaoneng.org.models import Unit

USER = settings.AUTH_USER_MODEL
POINTS = {"max_digits": 8, "decimal_places": 2}


class TargetGroup(models.Model):
    """A group of units assessed together (区直部门, 镇街, or any group the office defines)."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    units = models.ManyToManyField(Unit, related_name="+", verbose_name=_("units"))
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("assessment group")
        verbose_name_plural = _("assessment groups")

    def __str__(self) -> str:
        return self.name


class Scheme(models.Model):
    """One assessment: a period, a group, its indicators and grades, and its way from draft
    through scoring and public notice (公示) to the final, locked result."""

    name = models.CharField(_("name"), max_length=120)
    target_kind = models.CharField(
        _("assesses"), max_length=10, choices=TargetKind.choices, default=TargetKind.UNIT
    )
    group = models.ForeignKey(
        TargetGroup, on_delete=models.PROTECT, related_name="schemes", verbose_name=_("group")
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    period_kind = models.CharField(
        _("period"), max_length=10, choices=PeriodKind.choices, default=PeriodKind.YEAR
    )
    #: 1–2 for a half-year, 1–4 for a quarter, 0 for a year.
    period_no = models.PositiveSmallIntegerField(_("period number"), default=0)
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    status = models.CharField(
        _("status"), max_length=12, choices=SchemeStatus.choices, default=SchemeStatus.DRAFT
    )
    description = models.TextField(_("description"), blank=True)
    copied_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="copies",
        verbose_name=_("copied from"),
    )
    created_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created"))
    scoring_started_at = models.DateTimeField(_("scoring started"), null=True, blank=True)
    publicity_started_at = models.DateTimeField(_("public notice started"), null=True, blank=True)
    publicity_end = models.DateField(_("public notice ends"), null=True, blank=True)
    finalized_at = models.DateTimeField(_("locked"), null=True, blank=True)
    finalized_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("locked by"),
    )
    #: Raised by every change of what the results are computed from (evaluators' scores,
    #: decided bonus and deduction items): results computed before are out of date.
    inputs_revision = models.PositiveIntegerField(_("inputs revision"), default=0)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-year", "-period_no", "name", "-id"]
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        constraints = [
            models.CheckConstraint(condition=Q(start__lte=models.F("end")), name="assess_period"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_locked(self) -> bool:
        return self.status == SchemeStatus.FINAL


class Indicator(models.Model):
    """A node of a scheme's indicator tree. Groups add up their children; the leaves are
    computed from a registered data source, scored by evaluators, bonus and deduction items,
    or veto items that cap the grade."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="indicators", verbose_name=_("scheme")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent indicator"),
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=IndicatorKind.choices)
    order = models.PositiveIntegerField(_("order"), default=0)
    #: The points of the indicator (a group: the sum of its children; a bonus and deduction
    #: item: the most it may add; a veto item: none).
    weight = models.DecimalField(_("points"), default=Decimal(0), **POINTS)
    description = models.TextField(_("description"), blank=True)
    # Computed and veto items: a source of the registry and its parameters.
    source = models.CharField(_("data source"), max_length=60, blank=True)
    params = models.JSONField(_("source parameters"), default=dict, blank=True)
    # Computed items: how the value becomes points.
    rule = models.CharField(_("scoring rule"), max_length=20, choices=Rule.choices, blank=True)
    rule_params = models.JSONField(_("rule parameters"), default=dict, blank=True)
    no_data = models.CharField(
        _("without data"), max_length=10, choices=NoData.choices, default=NoData.FULL
    )
    # Evaluated items: the range of an evaluator's score and how the scores are combined.
    score_min = models.DecimalField(_("lowest score"), default=Decimal(0), **POINTS)
    score_max = models.DecimalField(_("highest score"), default=Decimal(100), **POINTS)
    aggregation = models.CharField(
        _("combined by"), max_length=10, choices=Aggregation.choices, default=Aggregation.MEAN
    )
    # Bonus and deduction items: the most they may take away.
    max_deduction = models.DecimalField(_("largest deduction"), default=Decimal(0), **POINTS)
    # Veto items: triggered when the source's value reaches the threshold; the grade is then
    # at most ``cap_grade``.
    threshold = models.DecimalField(_("triggered at"), default=Decimal(1), **POINTS)
    cap_grade = models.CharField(
        _("grade at most"), max_length=12, choices=Grade.choices, blank=True
    )

    class Meta:
        ordering = ["scheme", "order", "id"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return self.name

    @property
    def scores(self) -> bool:
        """Whether the indicator adds points to the total (veto items and groups do not)."""
        return self.kind in (IndicatorKind.COMPUTED, IndicatorKind.EVALUATED)


class GradeRule(models.Model):
    """A grade of a scheme: the lowest total that earns it and, optionally, the largest
    share of the group that may receive it (e.g. 优秀 at most 20 %)."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="grade_rules", verbose_name=_("scheme")
    )
    grade = models.CharField(_("grade"), max_length=12, choices=Grade.choices)
    min_score = models.DecimalField(_("lowest total"), **POINTS)
    quota = models.DecimalField(
        _("at most (per cent of the group)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["scheme", "order"]
        verbose_name = _("grade rule")
        verbose_name_plural = _("grade rules")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "grade"], name="assess_grade_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_grade_display()} ≥ {self.min_score}"


class Evaluator(models.Model):
    """A person who scores an evaluated indicator, for every target or for the targets of
    some units only."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="evaluators", verbose_name=_("indicator")
    )
    user = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("evaluator")
    )
    units = models.ManyToManyField(
        Unit, blank=True, related_name="+", verbose_name=_("scores the targets of these units")
    )

    class Meta:
        ordering = ["indicator", "id"]
        verbose_name = _("evaluator")
        verbose_name_plural = _("evaluators")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "user"], name="assess_evaluator_once"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} · {self.user}"


class Target(models.Model):
    """A unit or a person assessed by a scheme, fixed when scoring starts. For a person,
    ``unit`` is the assessed unit the person belongs to."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="targets", verbose_name=_("scheme")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    person = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    label = models.CharField(_("name"), max_length=120)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["scheme", "order", "id"]
        verbose_name = _("assessed unit or person")
        verbose_name_plural = _("assessed units and persons")
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "unit"],
                condition=Q(person__isnull=True),
                name="assess_target_unit_once",
            ),
            models.UniqueConstraint(
                fields=["scheme", "person"],
                condition=Q(person__isnull=False),
                name="assess_target_person_once",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Evaluation(models.Model):
    """One evaluator's score of one target on one evaluated indicator."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="evaluations", verbose_name=_("indicator")
    )
    evaluator = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("evaluator")
    )
    target = models.ForeignKey(
        Target, on_delete=models.PROTECT, related_name="evaluations", verbose_name=_("target")
    )
    score = models.DecimalField(_("score"), null=True, blank=True, **POINTS)
    comment = models.TextField(_("comment"), blank=True)
    scored_at = models.DateTimeField(_("scored"), null=True, blank=True)

    class Meta:
        ordering = ["indicator", "target", "id"]
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "evaluator", "target"], name="assess_evaluation_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} · {self.target_id} · {self.score}"


class Adjustment(models.Model):
    """A bonus or deduction item (加分/扣分) proposed with evidence for a target, approved or
    rejected by the office director."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="adjustments", verbose_name=_("scheme")
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="adjustments", verbose_name=_("item")
    )
    target = models.ForeignKey(
        Target, on_delete=models.PROTECT, related_name="adjustments", verbose_name=_("for")
    )
    points = models.DecimalField(_("points (negative for a deduction)"), **POINTS)
    reason = models.TextField(_("reason and evidence"))
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    proposed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    proposed_at = models.DateTimeField(_("proposed"))
    decided_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("bonus or deduction item")
        verbose_name_plural = _("bonus and deduction items")

    def __str__(self) -> str:
        return f"{self.target} {self.points:+}"


def evidence_path(instance: AdjustmentEvidence, filename: str) -> str:
    return f"assessments/{instance.uploaded_at:%Y/%m}/{uuid.uuid4().hex}"


class AdjustmentEvidence(models.Model):
    """A file supporting a bonus or deduction item, checked by its content and stored under
    a generated name; served only through a permission-checking view."""

    adjustment = models.ForeignKey(
        Adjustment, on_delete=models.PROTECT, related_name="evidence", verbose_name=_("item")
    )
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded"))

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return self.original_name


class ComputeRun(models.Model):
    """One computation of a scheme's results, run in the background with its progress."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="runs", verbose_name=_("scheme")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    requested_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested"))
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    done = models.PositiveIntegerField(_("steps done"), default=0)
    total = models.PositiveIntegerField(_("steps"), default=0)
    inputs_revision = models.PositiveIntegerField(_("inputs revision"), default=0)
    error = models.TextField(_("error"), blank=True)
    seconds = models.DecimalField(
        _("duration (s)"), max_digits=9, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("computation")
        verbose_name_plural = _("computations")

    def __str__(self) -> str:
        return f"{self.scheme_id} {self.status}"

    @property
    def percent(self) -> int:
        if self.status == RunStatus.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class Result(models.Model):
    """A target's computed total, rank and grade."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="results", verbose_name=_("scheme")
    )
    target = models.OneToOneField(
        Target, on_delete=models.PROTECT, related_name="result", verbose_name=_("target")
    )
    run = models.ForeignKey(
        ComputeRun, on_delete=models.PROTECT, related_name="+", verbose_name=_("computation")
    )
    total = models.DecimalField(_("total"), **POINTS)
    rank = models.PositiveIntegerField(_("rank"))
    grade = models.CharField(_("grade"), max_length=12, choices=Grade.choices)
    #: The grade the total alone would give, before quotas and veto items.
    grade_by_score = models.CharField(_("grade by score"), max_length=12, choices=Grade.choices)
    vetoed = models.BooleanField(_("veto item triggered"), default=False)
    #: Why the grade differs from the grade by score: {"quota": [grades], "veto": [ids]}.
    notes = models.JSONField(_("notes"), default=dict, blank=True)

    class Meta:
        ordering = ["scheme", "rank", "target__order", "id"]
        verbose_name = _("result")
        verbose_name_plural = _("results")

    def __str__(self) -> str:
        return f"{self.target} {self.total}"


class IndicatorResult(models.Model):
    """The value and points of one indicator for one target, with the rule that turned the
    one into the other and the ids of the records behind the value."""

    result = models.ForeignKey(
        Result, on_delete=models.PROTECT, related_name="indicators", verbose_name=_("result")
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="+", verbose_name=_("indicator")
    )
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2, null=True, blank=True)
    numerator = models.PositiveIntegerField(_("numerator"), null=True, blank=True)
    denominator = models.PositiveIntegerField(_("denominator"), null=True, blank=True)
    points = models.DecimalField(_("points"), **POINTS)
    triggered = models.BooleanField(_("veto triggered"), default=False)
    #: How the points came about (rule, bounds, evaluators' scores, items…): codes and values.
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    #: The model of the records (e.g. "cases.case") and their ids: all records counted, and
    #: for a rate the subset in its numerator.
    record_model = models.CharField(_("records"), max_length=60, blank=True)
    records = models.JSONField(_("record ids"), default=list, blank=True)
    hits = models.JSONField(_("record ids in the numerator"), default=list, blank=True)
    #: Set when an upheld appeal changed the points (the computed points are kept).
    appeal = models.ForeignKey(
        "Appeal",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by appeal"),
    )
    computed_points = models.DecimalField(_("computed points"), null=True, blank=True, **POINTS)

    class Meta:
        ordering = ["result", "indicator__order", "indicator_id"]
        verbose_name = _("indicator result")
        verbose_name_plural = _("indicator results")
        constraints = [
            models.UniqueConstraint(
                fields=["result", "indicator"], name="assess_indicator_result_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.result_id} · {self.indicator_id} · {self.points}"


class Appeal(models.Model):
    """An appeal (申诉) against a published score, filed during the public notice and decided
    by the office director."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="appeals", verbose_name=_("scheme")
    )
    target = models.ForeignKey(
        Target, on_delete=models.PROTECT, related_name="appeals", verbose_name=_("for")
    )
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appeals",
        verbose_name=_("indicator"),
    )
    reason = models.TextField(_("reasons"))
    status = models.CharField(
        _("status"), max_length=10, choices=AppealStatus.choices, default=AppealStatus.PENDING
    )
    filed_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name=_("filed by")
    )
    filed_at = models.DateTimeField(_("filed"))
    remedy = models.CharField(_("remedy"), max_length=10, choices=AppealRemedy.choices, blank=True)
    new_points = models.DecimalField(_("new points"), null=True, blank=True, **POINTS)
    decided_by = models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        ordering = ["-filed_at", "-id"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")

    def __str__(self) -> str:
        return f"{self.target} · {self.get_status_display()}"
