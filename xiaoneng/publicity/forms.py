"""Parsing the bulletin screens' input."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from xiaoneng.publicity.choices import Visibility


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class BulletinCreateForm(forms.Form):
    """Choose closed cases from the recent ones, or type their register numbers."""

    cases = forms.MultipleChoiceField(
        label=_("Recently closed cases"), required=False, widget=forms.CheckboxSelectMultiple
    )
    numbers = forms.CharField(
        label=_("Register numbers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        help_text=_("One or more register numbers, separated by spaces, commas or new lines."),
    )
    title = forms.CharField(
        label=_("Title"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control"}),
        help_text=_("Leave empty for the standard title."),
    )

    def __init__(self, *args, case_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cases"].choices = list(case_choices)

    def clean(self):
        data = super().clean()
        raw = data.get("numbers") or ""
        data["number_list"] = [n for n in re.split(r"[\s,，、;；]+", raw.strip().upper()) if n]
        if not data.get("cases") and not data["number_list"]:
            raise forms.ValidationError(_("Choose at least one closed case."))
        return data


class BulletinEditForm(VersionForm):
    title = forms.CharField(
        label=_("Title"), max_length=200, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 20, "class": "form-control"}),
        help_text=_(
            "Separate paragraphs with a blank line. A paragraph starting with 一、二、… is a "
            "case heading."
        ),
        strip=True,
    )


class BulletinRejectForm(VersionForm):
    note = forms.CharField(
        label=_("What must change"),
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


class BulletinPublishForm(VersionForm):
    visibility = forms.ChoiceField(
        label=_("Publish"),
        choices=Visibility.choices,
        initial=Visibility.INTERNAL,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class BulletinFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, **kwargs):
        from xiaoneng.publicity.choices import BulletinStatus

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *BulletinStatus.choices]
        self.fields["status"].widget.attrs["class"] = "form-select"
