"""The forms of the Open311 staff screens."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xiaoneng.cases.models import Category
from xiaoneng.core.forms import BootstrapMixin
from xiaoneng.open311.choices import LIST_DATATYPES, AttributeDatatype
from xiaoneng.open311.models import CODE_VALIDATOR, Open311Settings, Service, ServiceAttribute
from xiaoneng.open311.services import SETTINGS_FIELDS
from xiaoneng.org.models import Unit


def _https_url_field(model_field, **kwargs):
    """Model URL fields as form fields that assume https for an address typed without one."""
    if model_field.name == "endpoint_url":
        kwargs["assume_scheme"] = "https"
    return model_field.formfield(**kwargs)


class SettingsForm(BootstrapMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Open311Settings
        fields = list(SETTINGS_FIELDS)
        formfield_callback = _https_url_field

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


class ServiceForm(BootstrapMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Service
        fields = [
            "service_code",
            "category",
            "service_name",
            "description",
            "type",
            "keywords",
            "group",
            "service_notice",
            "order",
            "is_active",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "service_notice": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        editing = self.instance.pk is not None
        current = Q(pk=self.instance.category_id) if editing else Q(pk__in=[])
        self.fields["category"].queryset = Category.objects.filter(
            Q(is_active=True) | current
        ).order_by("order", "code")
        if editing:
            self.fields["service_code"].disabled = True
        self.style_fields()

    def validate_unique(self):
        """The service checks the code (ignoring case) and reports it on the field."""


def parse_values(text: str) -> list[dict]:
    """The choices of a list attribute from lines of ``key=name`` (or just ``key``)."""
    values, keys = [], set()
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        key, _sep, name = line.partition("=")
        key, name = key.strip(), name.strip() or key.strip()
        if not key or len(key) > 50 or len(name) > 100:
            raise ValidationError(
                _(
                    "Line %(line)s: write the choice as key=name (key up to 50 characters, "
                    "name up to 100)."
                ),
                params={"line": number},
            )
        if key in keys:
            raise ValidationError(_("The key %(key)s is listed twice."), params={"key": key})
        keys.add(key)
        values.append({"key": key, "name": name})
    return values


def values_text(values: list[dict]) -> str:
    return "\n".join(f"{v['key']}={v['name']}" for v in values)


class AttributeForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label=_("Code"), max_length=50, validators=[CODE_VALIDATOR])
    description = forms.CharField(
        label=_("Question"),
        max_length=300,
        help_text=_("What the person is asked, e.g. the number on the ticket."),
    )
    order = forms.IntegerField(label=_("Order"), min_value=1, max_value=999, initial=1)
    datatype = forms.ChoiceField(label=_("Datatype"), choices=AttributeDatatype.choices)
    variable = forms.BooleanField(
        label=_("Asks for input"),
        required=False,
        initial=True,
        help_text=_("When off, the attribute only shows its question to the person."),
    )
    required = forms.BooleanField(label=_("Required"), required=False)
    datatype_description = forms.CharField(
        label=_("Datatype description"), max_length=200, required=False
    )
    values = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For the list datatypes: one choice a line, written as key=name."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()

    @classmethod
    def initial_for(cls, attribute: ServiceAttribute) -> dict:
        return {
            "code": attribute.code,
            "description": attribute.description,
            "order": attribute.order,
            "datatype": attribute.datatype,
            "variable": attribute.variable,
            "required": attribute.required,
            "datatype_description": attribute.datatype_description,
            "values": values_text(attribute.values),
        }

    def clean_values(self) -> list[dict]:
        return parse_values(self.cleaned_data.get("values", ""))

    def clean(self):
        data = super().clean()
        if data.get("datatype") in LIST_DATATYPES and "values" in data and not data["values"]:
            self.add_error("values", _("A list needs at least one choice."))
        return data


class ClientForm(BootstrapMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=50, help_text=_("For example 12345 hotline.")
    )
    contact = forms.CharField(
        label=_("Contact"),
        max_length=200,
        required=False,
        help_text=_("Who runs the client and how to reach them."),
    )
    unit = forms.ModelChoiceField(
        label=_("Receiving unit"),
        queryset=Unit.objects.none(),
        help_text=_(
            "The unit whose service account registers the cases, normally the efficiency office."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(is_active=True).order_by("order", "code")
        self.style_fields()
