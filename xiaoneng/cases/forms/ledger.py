"""The ledger's filter form (a GET form: the filters live in the URL so that a view of the
ledger can be bookmarked and shared)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xiaoneng.cases.choices import CaseStatus, Channel, Finding, Satisfaction, Solved, Urgency
from xiaoneng.cases.forms.pages import CategoryChoiceField, category_tree
from xiaoneng.cases.ledger import DEFAULT_SORT, SORTS
from xiaoneng.core.forms import BootstrapMixin
from xiaoneng.org.forms import UnitTreeChoiceField
from xiaoneng.org.selectors import unit_tree

ANY = [("", _("(any)"))]
YES_NO = [*ANY, ("yes", _("Yes")), ("no", _("No"))]
COLOURS = [
    *ANY,
    ("overdue", _("Overdue now")),
    ("due_soon", _("Due soon")),
    ("on_time", _("On time")),
]

#: Filter fields that the export, the print view and the audit row carry over.
FILTER_FIELDS = (
    "q",
    "number",
    "registered_from",
    "registered_to",
    "channel",
    "category",
    "urgency",
    "status",
    "colour",
    "handling_unit",
    "lead_unit",
    "subject_unit",
    "major",
    "supervised",
    "finding",
    "satisfaction",
    "returned",
    "redone",
    "sort",
)


def _sort_choices() -> list[tuple[str, str]]:
    return [(key, key) for name in SORTS for key in (name, "-" + name)]


class LedgerFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Text"), max_length=100, required=False)
    number = forms.CharField(label=_("Register number"), max_length=20, required=False)
    registered_from = forms.DateField(
        label=_("Registered from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    registered_to = forms.DateField(
        label=_("Registered until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[*ANY, *Channel.choices], required=False
    )
    category = forms.Field(required=False)  # replaced in __init__ (needs the category tree)
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=[*ANY, *Urgency.choices], required=False
    )
    status = forms.MultipleChoiceField(
        label=_("Status"), choices=CaseStatus.choices, required=False
    )
    colour = forms.ChoiceField(label=_("Deadlines"), choices=COLOURS, required=False)
    handling_unit = forms.Field(required=False)  # replaced in __init__ (needs the unit tree)
    lead_unit = forms.Field(required=False)
    subject_unit = forms.Field(required=False)
    major = forms.ChoiceField(label=_("Major issue"), choices=YES_NO, required=False)
    supervised = forms.ChoiceField(label=_("Supervised handling"), choices=YES_NO, required=False)
    finding = forms.MultipleChoiceField(label=_("Finding"), choices=Finding.choices, required=False)
    satisfaction = forms.MultipleChoiceField(
        label=_("Satisfaction"), choices=Satisfaction.choices, required=False
    )
    solved = forms.ChoiceField(label=_("Solved"), choices=[*ANY, *Solved.choices], required=False)
    on_time = forms.BooleanField(label=_("Concluded on time"), required=False)
    returned = forms.BooleanField(label=_("Returned by a unit (退单)"), required=False)
    redone = forms.BooleanField(label=_("Redone"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), choices=_sort_choices, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"] = CategoryChoiceField(
            tree=category_tree(active_only=False),
            label=_("Category"),
            empty_label=str(ANY[0][1]),
            required=False,
        )
        units = unit_tree()
        self.fields["handling_unit"] = UnitTreeChoiceField(
            tree=units, label=_("Handling unit"), empty_label=str(ANY[0][1]), required=False
        )
        self.fields["lead_unit"] = UnitTreeChoiceField(
            tree=units, label=_("Lead handling unit"), empty_label=str(ANY[0][1]), required=False
        )
        self.fields["subject_unit"] = UnitTreeChoiceField(
            tree=units,
            label=_("Unit complained about"),
            empty_label=str(ANY[0][1]),
            required=False,
        )
        self.style_fields()

    def filters(self) -> dict:
        """The valid filters (an invalid field is reported on the form and left out)."""
        self.is_valid()
        data = dict(getattr(self, "cleaned_data", {}))
        data.setdefault("sort", DEFAULT_SORT)
        if not data["sort"]:
            data["sort"] = DEFAULT_SORT
        return data

    def audit_data(self) -> dict:
        """The filters as given (codes and values) for the audit row."""
        return {
            name: self.data.get(name)
            for name in FILTER_FIELDS
            if self.data.get(name) not in (None, "")
        }

    def describe(self) -> str:
        """The valid filters in words ("Status: In progress; Channel: Phone"), for a reader."""
        parts = []
        for name, value in self.filters().items():
            if name == "sort" or value in (None, "", [], False):
                continue
            field = self.fields[name]
            choices = dict(getattr(field, "choices", None) or [])
            if isinstance(value, list):
                shown = "、".join(str(choices.get(v, v)) for v in value)
            elif value is True:
                shown = str(_("Yes"))
            else:
                shown = str(choices.get(value, value)) if isinstance(value, str) else str(value)
            parts.append(f"{field.label}: {shown}")
        return "; ".join(parts)
