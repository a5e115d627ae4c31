from django import forms
from django.utils.translation import gettext_lazy as _

from xiaoneng.workdays.choices import DeadlineUnit, OverrideKind
from xiaoneng.workdays.models import FIRST_YEAR, LAST_YEAR

#: The longest time limit the due-date helper computes (units of any kind).
MAX_AMOUNT = 3650


class _BootstrapForm(forms.Form):
    """Adds Bootstrap's classes to every widget."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


class CalendarOverrideForm(_BootstrapForm):
    date = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    kind = forms.ChoiceField(label=_("Type"), choices=OverrideKind.choices)
    name = forms.CharField(
        label=_("Name"),
        max_length=64,
        help_text=_("For example: the holiday it belongs to, or the reason for the change."),
    )


class CalendarYearForm(_BootstrapForm):
    year = forms.IntegerField(label=_("Year"), min_value=FIRST_YEAR, max_value=LAST_YEAR)
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        help_text=_("For example: the number and date of the State Council notice."),
    )


class DueDateForm(_BootstrapForm):
    start = forms.DateTimeField(
        label=_("Event time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    amount = forms.IntegerField(label=_("Time limit"), min_value=1, max_value=MAX_AMOUNT)
    unit = forms.ChoiceField(
        label=_("Unit"), choices=DeadlineUnit.choices, initial=DeadlineUnit.WORKING_DAYS
    )
