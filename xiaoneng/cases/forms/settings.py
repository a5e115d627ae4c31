from django import forms
from django.utils.translation import gettext_lazy as _

from xiaoneng.cases.choices import Stage, Urgency
from xiaoneng.cases.models import CaseSettings, Category
from xiaoneng.core.forms import BootstrapMixin
from xiaoneng.workdays.choices import DeadlineUnit


class CaseSettingsForm(BootstrapMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = CaseSettings
        fields = [
            "unit_head_approval",
            "warning_share",
            "reminder_days_before",
            "supervision_delay_days",
            "handling_limit_max",
            "duplicate_window_days",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


class CategoryForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=64)
    name_en = forms.CharField(label=_("English name"), max_length=100, required=False)
    parent = forms.ModelChoiceField(
        label=_("Parent category"), queryset=Category.objects.none(), required=False
    )
    order = forms.IntegerField(label=_("Order"), min_value=0, initial=0)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, editing: Category | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = Category.objects.filter(parent__isnull=True)
        if editing is not None:
            qs = qs.exclude(pk=editing.pk)
            self.fields["code"].disabled = True
        self.fields["parent"].queryset = qs
        self.style_fields()


class TimeLimitForm(BootstrapMixin, forms.Form):
    stage = forms.ChoiceField(
        label=_("Stage"), choices=[c for c in Stage.choices if c[0] != Stage.SUPERVISION]
    )
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True),
        required=False,
        empty_label=_("Any category"),
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=[("", _("Any urgency")), *Urgency.choices], required=False
    )
    amount = forms.IntegerField(label=_("Time limit"), min_value=1, max_value=365)
    unit = forms.ChoiceField(label=_("Counted in"), choices=DeadlineUnit.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()
