"""Forms of the complaint centre's read screens and of registration (挂号). They parse input;
the services validate the rules and write."""

from __future__ import annotations

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.cases.choices import CaseStatus, Channel, ReplyMethod, Urgency
from xiaoneng.cases.models import Category
from xiaoneng.core.forms import BootstrapMixin
from xiaoneng.org.forms import UnitTreeMultipleChoiceField
from xiaoneng.org.models import Unit

_INDENT = "\u00a0\u00a0\u00a0\u00a0"

#: The channels staff enter cases from; web and API cases come from the portal and the API.
STAFF_CHANNELS = (
    Channel.PHONE,
    Channel.LETTER,
    Channel.VISIT,
    Channel.FINDING,
    Channel.REFERRAL,
    Channel.MEDIA,
)

#: At most this many files with one registration.
MAX_ATTACHMENTS = 10

_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{2,30}$")
_ID_NUMBER = re.compile(r"^([0-9]{15}|[0-9]{17}[0-9Xx])$")


def category_tree(*, active_only: bool) -> list[tuple[Category, int]]:
    """Categories in tree order with their depth (an active child of an inactive parent is
    shown at the top)."""
    categories = list(Category.objects.order_by("order", "code"))
    if active_only:
        categories = [c for c in categories if c.is_active]
    ids = {c.pk for c in categories}
    by_parent: dict[int | None, list[Category]] = {}
    for category in categories:
        parent = category.parent_id if category.parent_id in ids else None
        by_parent.setdefault(parent, []).append(category)
    ordered: list[tuple[Category, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for category in by_parent.get(parent, []):
            ordered.append((category, depth))
            walk(category.pk, depth + 1)

    walk(None, 0)
    return ordered


class CategoryChoiceField(forms.TypedChoiceField):
    """Picks one category from the tree; cleans to a Category (or None when left empty)."""

    def __init__(self, *, tree: list[tuple[Category, int]], empty_label: str, **kwargs):
        self.categories = {str(c.pk): c for c, _depth in tree}
        choices = [("", empty_label)]
        for category, depth in tree:
            label = _INDENT * depth + category.name
            if not category.is_active:
                label = _("%(name)s (no longer in use)") % {"name": label}
            choices.append((str(category.pk), label))
        super().__init__(
            choices=choices, coerce=lambda pk: self.categories[pk], empty_value=None, **kwargs
        )

    def prepare_value(self, value):
        return str(value.pk) if isinstance(value, Category) else value

    def valid_value(self, value):
        return str(value) in self.categories


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (empty when none was chosen)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        items = data if isinstance(data, list | tuple) else [data]
        files = [super(MultipleFileField, self).clean(item, initial) for item in items if item]
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(
                _("Attach at most %(count)s files at a time.") % {"count": MAX_ATTACHMENTS}
            )
        return files


class CaseRegisterForm(BootstrapMixin, forms.Form):
    """Registration of a case (挂号) by an intake clerk."""

    channel = forms.ChoiceField(label=_("Channel"))
    anonymous = forms.BooleanField(label=_("Anonymous complaint"), required=False)
    complainant_name = forms.CharField(label=_("Complainant's name"), max_length=64, required=False)
    complainant_phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    complainant_id_number = forms.CharField(label=_("ID number"), max_length=32, required=False)
    complainant_address = forms.CharField(label=_("Address"), max_length=200, required=False)
    complainant_email = forms.EmailField(label=_("E-mail"), required=False)
    reply_wanted = forms.BooleanField(label=_("The complainant wants a reply"), required=False)
    reply_method = forms.ChoiceField(label=_("Reply by"), required=False)
    subject_units = forms.Field(required=False)  # replaced in __init__ (needs the unit tree)
    subject_persons = forms.CharField(
        label=_("Persons complained about"),
        max_length=200,
        required=False,
        help_text=_("Names or posts, as the complainant gave them."),
    )
    category = forms.Field()  # replaced in __init__ (needs the category tree)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    summary = forms.CharField(label=_("Summary"), max_length=200)
    content = forms.CharField(label=_("Content"), widget=forms.Textarea(attrs={"rows": 6}))
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    occurred_on = forms.DateField(
        label=_("Date of the events"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_("Letters, photos or recordings that came with the complaint."),
    )

    def __init__(
        self,
        *args,
        unit_tree: list[tuple[Unit, int]],
        category_tree: list[tuple[Category, int]],
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [(c.value, c.label) for c in STAFF_CHANNELS]
        self.fields["reply_method"].choices = [("", _("(not chosen)")), *ReplyMethod.choices]
        self.fields["subject_units"] = UnitTreeMultipleChoiceField(
            tree=unit_tree,
            label=_("Units complained about"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        self.fields["category"] = CategoryChoiceField(
            tree=category_tree, label=_("Category"), empty_label=_("(choose a category)")
        )
        self.style_fields()

    def clean_complainant_phone(self) -> str:
        phone = self.cleaned_data["complainant_phone"].strip()
        if phone and not _PHONE.match(phone):
            raise forms.ValidationError(_("Enter a phone number of digits only."))
        return phone

    def clean_complainant_id_number(self) -> str:
        value = self.cleaned_data["complainant_id_number"].strip().upper()
        if value and not _ID_NUMBER.match(value):
            raise forms.ValidationError(_("An ID number has 18 characters (or 15 digits)."))
        return value

    def clean_occurred_on(self):
        value = self.cleaned_data["occurred_on"]
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("The date of the events cannot be in the future."))
        return value

    def clean(self):
        data = super().clean()
        if data.get("anonymous"):
            for name in (
                "complainant_name",
                "complainant_phone",
                "complainant_id_number",
                "complainant_address",
                "complainant_email",
            ):
                data[name] = ""
            if data.get("reply_wanted") and data.get("reply_method") not in ("", "portal"):
                self.add_error(
                    "reply_method",
                    _("An anonymous complainant can only be answered on the portal."),
                )
        elif not (
            data.get("complainant_name")
            or data.get("complainant_phone")
            or self.errors.get("complainant_phone")
        ):
            self.add_error(
                "complainant_name",
                _("Give the complainant's name or phone number, or mark the complaint anonymous."),
            )
        if not data.get("reply_wanted"):
            data["reply_method"] = ""
        return data


class CaseFilterForm(BootstrapMixin, forms.Form):
    """The filters of the case list (all optional)."""

    q = forms.CharField(
        label=_("Number or summary"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    category = forms.Field(required=False)  # replaced in __init__

    def __init__(self, *args, category_tree: list[tuple[Category, int]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses")), *CaseStatus.choices]
        self.fields["channel"].choices = [("", _("All channels")), *Channel.choices]
        self.fields["category"] = CategoryChoiceField(
            tree=category_tree,
            label=_("Category"),
            empty_label=_("All categories"),
            required=False,
        )
        self.style_fields()


class QueueFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(
        label=_("Number or summary"),
        max_length=100,
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "placeholder": _("Search by register number or summary"),
            }
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()
