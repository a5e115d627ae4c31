"""Parsing the assessment screens' input."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from xiaoneng.assessments.choices import (
    GRADES,
    Aggregation,
    AppealRemedy,
    Grade,
    IndicatorKind,
    NoData,
    PeriodKind,
    Rule,
    TargetKind,
    TierDirection,
)
from xiaoneng.assessments.indicators.registry import sources
from xiaoneng.assessments.models import Indicator, Scheme, TargetGroup
from xiaoneng.assessments.services import IndicatorData
from xiaoneng.core.forms import BootstrapMixin
from xiaoneng.org.choices import ADMIN_ROLES, UnitKind
from xiaoneng.org.models import Unit, User

POINTS = {"max_digits": 8, "decimal_places": 2}


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class UnitChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Unit) -> str:
        return obj.name


def _assessable_units():
    return (
        Unit.objects.filter(is_active=True)
        .exclude(kind=UnitKind.DISTRICT)
        .order_by("order", "code")
    )


class GroupForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    units = UnitChoiceField(
        label=_("Units"), queryset=Unit.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["units"].queryset = _assessable_units()
        self.style_fields()


class PeriodFields(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    period_kind = forms.ChoiceField(label=_("Period"), choices=PeriodKind.choices)
    period_no = forms.TypedChoiceField(
        label=_("Half-year or quarter"),
        coerce=int,
        required=False,
        empty_value=0,
        choices=[(0, "—"), (1, "1"), (2, "2"), (3, "3"), (4, "4")],
        help_text=_("For a half-year 1–2, for a quarter 1–4."),
    )


class SchemeForm(BootstrapMixin, PeriodFields):
    name = forms.CharField(label=_("Name"), max_length=120)
    target_kind = forms.ChoiceField(label=_("Assesses"), choices=TargetKind.choices)
    group = forms.ModelChoiceField(label=_("Group of units"), queryset=TargetGroup.objects.none())
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    copy_from = forms.ModelChoiceField(
        label=_("Copy the indicators of"),
        queryset=Scheme.objects.none(),
        required=False,
        help_text=_("Start from an earlier scheme, e.g. last year's: its indicators, grades "
                    "and evaluators are copied."),
    )  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    field_order = ["name", "target_kind", "group", "year", "period_kind", "period_no"]

    def __init__(self, *args, creating: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = TargetGroup.objects.filter(is_active=True)
        if creating:
            self.fields["copy_from"].queryset = Scheme.objects.order_by("-year", "name")
        else:
            del self.fields["copy_from"]
            del self.fields["target_kind"]
        self.style_fields()


class CopyForm(BootstrapMixin, PeriodFields):
    name = forms.CharField(label=_("Name of the new scheme"), max_length=120)
    field_order = ["name", "year", "period_kind", "period_no"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


def _decimal(label, *, required=False, **kwargs):
    return forms.DecimalField(label=label, required=required, **POINTS, **kwargs)


def _tiers(text: str) -> list[list[str]]:
    """Tier lines "threshold share" (also separated by a comma or a colon)."""
    tiers = []
    for line in (text or "").splitlines():
        parts = [p for p in re.split(r"[\s,，:：]+", line.strip()) if p]
        if not parts:
            continue
        if len(parts) != 2:
            raise forms.ValidationError(
                _("Write each tier on its own line as a threshold and a share, e.g. “95 100”.")
            )
        tiers.append(parts)
    return tiers


class IndicatorForm(BootstrapMixin, forms.Form):
    """One indicator of any kind; the screen shows the fields of the chosen kind."""

    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=IndicatorKind.choices)
    parent = forms.TypedChoiceField(
        label=_("Under the group"), required=False, coerce=int, empty_value=None
    )
    weight = _decimal(_("Points"), min_value=Decimal(0), initial=Decimal(10))
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    source = forms.ChoiceField(label=_("Data source"), required=False)
    rule = forms.ChoiceField(label=_("Scoring rule"), choices=Rule.choices, required=False)
    lower = _decimal(_("No points at"))
    upper = _decimal(_("Full points at"))
    direction = forms.ChoiceField(
        label=_("Tiers compare"), choices=TierDirection.choices, required=False
    )
    tiers = forms.CharField(
        label=_("Tiers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "95 100\n90 80"}),
        help_text=_("One tier per line: the threshold and the share of the points in per cent."),
    )
    otherwise = _decimal(_("Share below every tier (%)"), initial=Decimal(0))
    per = _decimal(_("Points deducted per occurrence"))
    cap = _decimal(_("Largest deduction"))
    no_data = forms.ChoiceField(label=_("Without data"), choices=NoData.choices, required=False)
    score_min = _decimal(_("Lowest score"), initial=Decimal(0))
    score_max = _decimal(_("Highest score"), initial=Decimal(100))
    aggregation = forms.ChoiceField(
        label=_("Scores combined by"), choices=Aggregation.choices, required=False
    )
    max_deduction = _decimal(_("Largest deduction"), min_value=Decimal(0))
    threshold = _decimal(_("Triggered from the value"), initial=Decimal(1))
    cap_grade = forms.ChoiceField(label=_("Grade at most"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, scheme: Scheme, indicator: Indicator | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.scheme = scheme
        groups = scheme.indicators.filter(kind=IndicatorKind.GROUP)
        if indicator is not None:
            groups = groups.exclude(pk=indicator.pk)
        self.groups = {g.pk: g for g in groups}
        self.fields["parent"].choices = [("", _("(top level)"))] + [
            (g.pk, g.name) for g in self.groups.values()
        ]
        available = sources(target_kind=scheme.target_kind)
        self.source_kinds = {s.code: s.kind for s in available}
        self.fields["source"].choices = [("", "—")] + [(s.code, s.label) for s in available]
        self.param_fields: dict[str, list[str]] = {}
        for source in available:
            for param in source.params:
                name = f"param_{param.name}"
                if name not in self.fields:
                    self.fields[name] = forms.ChoiceField(
                        label=param.label, choices=param.choices(), required=False,
                        initial=param.default,
                    )  # fmt: skip
                self.param_fields.setdefault(source.code, []).append(name)
        self.fields["cap_grade"].choices = [(g, Grade(g).label) for g in GRADES[scheme.target_kind]]
        self.style_fields()

    def clean_tiers(self):
        return _tiers(self.cleaned_data.get("tiers", ""))

    def data_for_service(self) -> IndicatorData:
        d = self.cleaned_data
        params = {
            name.removeprefix("param_"): d.get(name)
            for names in self.param_fields.values()
            for name in names
            if d.get(name)
        }
        rule_params = {
            Rule.LINEAR: {"lower": d.get("lower"), "upper": d.get("upper")},
            Rule.TIERS: {
                "direction": d.get("direction") or TierDirection.AT_LEAST,
                "tiers": d.get("tiers") or [],
                "otherwise": d.get("otherwise"),
            },
            Rule.PER_OCCURRENCE: {"per": d.get("per"), "cap": d.get("cap")},
        }.get(d.get("rule"), {})
        return IndicatorData(
            name=d["name"],
            kind=d["kind"],
            parent=self.groups.get(d.get("parent")),
            weight=d.get("weight") if d.get("weight") is not None else Decimal(0),
            description=d.get("description", ""),
            source=d.get("source", ""),
            params=params,
            rule=d.get("rule", ""),
            rule_params=rule_params,
            no_data=d.get("no_data") or NoData.FULL,
            score_min=d.get("score_min"),
            score_max=d.get("score_max"),
            aggregation=d.get("aggregation") or Aggregation.MEAN,
            max_deduction=d.get("max_deduction") or Decimal(0),
            threshold=d.get("threshold"),
            cap_grade=d.get("cap_grade", ""),
        )

    @staticmethod
    def initial_for(indicator: Indicator, version: int) -> dict:
        p = indicator.rule_params or {}
        initial = {
            "name": indicator.name,
            "kind": indicator.kind,
            "parent": indicator.parent_id,
            "weight": indicator.weight,
            "description": indicator.description,
            "source": indicator.source,
            "rule": indicator.rule,
            "lower": p.get("lower"),
            "upper": p.get("upper"),
            "direction": p.get("direction"),
            "tiers": "\n".join(f"{t} {s}" for t, s in p.get("tiers", [])),
            "otherwise": p.get("otherwise"),
            "per": p.get("per"),
            "cap": p.get("cap"),
            "no_data": indicator.no_data,
            "score_min": indicator.score_min,
            "score_max": indicator.score_max,
            "aggregation": indicator.aggregation,
            "max_deduction": indicator.max_deduction,
            "threshold": indicator.threshold,
            "cap_grade": indicator.cap_grade,
            "version": version,
        }
        for name, value in (indicator.params or {}).items():
            initial[f"param_{name}"] = value
        return initial


class GradesForm(BootstrapMixin, VersionForm):
    """The lowest total and the quota of each grade of the scheme's kind, best first."""

    def __init__(self, *args, scheme: Scheme, **kwargs):
        super().__init__(*args, **kwargs)
        self.grades = list(GRADES[scheme.target_kind])
        for grade in self.grades:
            label = Grade(grade).label
            self.fields[f"min_{grade}"] = _decimal(label, required=True, min_value=Decimal(0))
            self.fields[f"quota_{grade}"] = forms.DecimalField(
                label=label, required=False, max_digits=5, decimal_places=2,
                min_value=Decimal(0), max_value=Decimal(100),
            )  # fmt: skip
        self.style_fields()

    def rows(self) -> list[tuple]:
        d = self.cleaned_data
        return [(g, d[f"min_{g}"], d.get(f"quota_{g}")) for g in self.grades]

    def grade_rows(self):
        return [
            {"grade": Grade(g).label, "min": self[f"min_{g}"], "quota": self[f"quota_{g}"]}
            for g in self.grades
        ]


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        unit = obj.unit.display_name if obj.unit_id else ""
        return f"{obj.name} · {unit}" if unit else obj.name


class EvaluatorForm(BootstrapMixin, VersionForm):
    user = StaffChoiceField(label=_("Evaluator"), queryset=User.objects.none())
    units = UnitChoiceField(
        label=_("Only the targets of these units"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty: the evaluator scores every unit or person of the scheme."),
    )

    def __init__(self, *args, scheme: Scheme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (
            User.objects.filter(is_active=True, role_assignments__isnull=False)
            .exclude(role_assignments__role__in=ADMIN_ROLES)
            .select_related("unit")
            .distinct()
            .order_by("unit__order", "name")
        )
        self.fields["units"].queryset = scheme.group.units.filter(is_active=True).order_by(
            "order", "code"
        )
        self.style_fields()


class PublicityForm(BootstrapMixin, VersionForm):
    publicity_end = forms.DateField(
        label=_("Public notice ends on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Units may appeal until the end of this day."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class AdjustmentForm(BootstrapMixin, forms.Form):
    indicator = forms.ModelChoiceField(label=_("Item"), queryset=Indicator.objects.none())
    target = forms.ModelChoiceField(label=_("For"), queryset=None)
    points = forms.DecimalField(
        label=_("Points"), **POINTS, help_text=_("Positive to add, negative to deduct.")
    )
    reason = forms.CharField(
        label=_("Reason and evidence"), widget=forms.Textarea(attrs={"rows": 4})
    )
    files = MultipleFileField(
        label=_("Evidence files"),
        required=False,
        help_text=_("Images, PDF, Word or Excel documents; at most five files."),
    )

    def __init__(self, *args, scheme: Scheme, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = scheme.indicators.filter(
            kind=IndicatorKind.ADJUSTMENT
        ).order_by("order")
        self.fields["target"].queryset = targets.order_by("order")
        self.fields["target"].label_from_instance = lambda t: t.label
        self.style_fields()


class DecideForm(BootstrapMixin, VersionForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


class AppealForm(BootstrapMixin, forms.Form):
    indicator = forms.ModelChoiceField(
        label=_("Indicator appealed against"),
        queryset=Indicator.objects.none(),
        required=False,
        empty_label=_("The total and the grade"),
    )
    reason = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, scheme: Scheme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = scheme.indicators.exclude(
            kind=IndicatorKind.GROUP
        ).order_by("order")
        self.style_fields()


class AppealDecideForm(BootstrapMixin, VersionForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("uphold", _("Uphold")), ("reject", _("Reject"))],
    )
    remedy = forms.ChoiceField(
        label=_("Upheld: what changes"), choices=AppealRemedy.choices, required=False
    )
    new_points = _decimal(_("New points"))
    note = forms.CharField(
        label=_("Decision and reasons"), widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


class EvaluationForm(BootstrapMixin, forms.Form):
    """A score and a comment for each of the evaluator's rows."""

    def __init__(self, *args, evaluations, **kwargs):
        super().__init__(*args, **kwargs)
        self.evaluations = list(evaluations)
        for e in self.evaluations:
            ind = e.indicator
            self.fields[f"score_{e.pk}"] = forms.DecimalField(
                label=f"{e.target.label} · {ind.name}", required=False, **POINTS,
                min_value=ind.score_min, max_value=ind.score_max, initial=e.score,
            )  # fmt: skip
            self.fields[f"comment_{e.pk}"] = forms.CharField(
                label=_("Comment"), required=False, max_length=500, initial=e.comment
            )
        self.style_fields()

    def rows(self):
        return [
            {"evaluation": e, "score": self[f"score_{e.pk}"], "comment": self[f"comment_{e.pk}"]}
            for e in self.evaluations
        ]

    def scores(self) -> dict:
        d = self.cleaned_data
        return {
            e.pk: (d.get(f"score_{e.pk}"), d.get(f"comment_{e.pk}", "")) for e in self.evaluations
        }
