from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from xiaoneng.audit.actions import known_actions
from xiaoneng.audit.chain import ExportedHead, parse_exported_head
from xiaoneng.audit.selectors import AuditEntryFilters
from xiaoneng.org.selectors import unit_tree

_SUCCESS_CHOICES = [("", _("All")), ("yes", _("Succeeded")), ("no", _("Failed"))]
_HEAD_FILE_LIMIT = 16 * 1024


def _action_choices(current: str) -> list:
    """Grouped by the code's first part; each group starts with "all of this app" (the
    prefix). A free-typed prefix from the URL that is not listed is kept as an option."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, label in known_actions():
        prefix = code.split(".", 1)[0]
        groups.setdefault(prefix, [(prefix, _("All %(prefix)s.* actions") % {"prefix": prefix})])
        groups[prefix].append((code, f"{label} ({code})"))
    choices: list = [("", _("All actions"))]
    values = {""}
    for prefix, options in groups.items():
        choices.append((prefix, options))
        values.update(value for value, _label in options)
    if current and current not in values:
        choices.insert(1, (current, current))
    return choices


class AuditEntryFilterForm(forms.Form):
    actor = forms.CharField(label=_("Actor"), required=False, max_length=150)
    unit = forms.TypedChoiceField(label=_("Unit"), required=False, coerce=int, empty_value=None)
    action = forms.CharField(label=_("Action"), required=False, max_length=100)
    success = forms.ChoiceField(label=_("Result"), required=False, choices=_SUCCESS_CHOICES)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=100)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("All units"))] + [
            (unit.pk, "\u3000" * depth + unit.name) for unit, depth in unit_tree()
        ]
        current = (self.data.get("action") or "").strip() if self.is_bound else ""
        self.fields["action"].widget = forms.Select(choices=_action_choices(current))
        for name, field in self.fields.items():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.update({"class": f"{css} {css}-sm", "data-testid": f"filter-{name}"})

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def filters(self) -> AuditEntryFilters:
        """The filters of a valid form (the empty filter otherwise)."""
        if not self.is_bound or not self.is_valid():
            return AuditEntryFilters()
        data = self.cleaned_data
        return AuditEntryFilters(
            actor=data["actor"],
            unit_id=data["unit"],
            action=data["action"],
            success={"yes": True, "no": False}.get(data["success"]),
            date_from=data["date_from"],
            date_to=data["date_to"],
            object_type=data["object_type"],
            object_id=data["object_id"],
        )


class ChainVerifyForm(forms.Form):
    head = forms.FileField(
        label=_("Exported head (optional)"),
        required=False,
        help_text=_("The JSON file written by audit_export_head or downloaded from this page."),
        widget=forms.ClearableFileInput(
            attrs={"class": "form-control form-control-sm", "accept": ".json,application/json"}
        ),
    )

    def clean_head(self) -> ExportedHead | None:
        upload = self.cleaned_data.get("head")
        if not upload:
            return None
        if upload.size > _HEAD_FILE_LIMIT:
            raise forms.ValidationError(_("This is not an exported head."), code="invalid_head")
        try:
            return parse_exported_head(upload.read())
        except ValueError:
            raise forms.ValidationError(
                _("This is not an exported head."), code="invalid_head"
            ) from None
