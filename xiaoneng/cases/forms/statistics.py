"""The statistics page's period picker and group-by switch."""

from __future__ import annotations

import calendar
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.core.forms import BootstrapMixin

#: The longest period one page computes (about ten years).
MAX_DAYS = 3700


class StatisticsForm(BootstrapMixin, forms.Form):
    PERIODS = (
        ("year", _("Year")),
        ("quarter", _("Quarter")),
        ("month", _("Month")),
        ("range", _("From … to …")),
    )
    GROUPS = (
        ("unit", _("By handling unit")),
        ("category", _("By category")),
        ("month", _("By month")),
    )

    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100, required=False)
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        choices=[(str(q), str(q)) for q in range(1, 5)],
        coerce=int,
        required=False,
    )
    month = forms.TypedChoiceField(
        label=_("Month"),
        choices=[(str(m), str(m)) for m in range(1, 13)],
        coerce=int,
        required=False,
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    group = forms.ChoiceField(label=_("Group by"), choices=GROUPS, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        period = data.get("period") or "year"
        year = data.get("year") or today.year
        data["period"], data["year"] = period, year
        data["group"] = data.get("group") or "unit"
        if period == "year":
            start, end = date(year, 1, 1), date(year, 12, 31)
        elif period == "quarter":
            quarter = data.get("quarter") or (today.month - 1) // 3 + 1
            start = date(year, 3 * quarter - 2, 1)
            end_month = 3 * quarter
            end = date(year, end_month, calendar.monthrange(year, end_month)[1])
        elif period == "month":
            month = data.get("month") or today.month
            start = date(year, month, 1)
            end = date(year, month, calendar.monthrange(year, month)[1])
        else:
            start, end = data.get("date_from"), data.get("date_to")
            if self.errors:
                return data
            if not start or not end:
                raise ValidationError(_("Give both the first and the last day of the period."))
            if start > end:
                self.add_error("date_to", _("The last day must not be before the first day."))
                return data
            if (end - start).days > MAX_DAYS:
                self.add_error("date_to", _("Choose a period of at most ten years."))
                return data
        data["start"], data["end"] = start, end
        return data
