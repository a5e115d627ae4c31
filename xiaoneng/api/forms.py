"""Forms of the token screens."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from xiaoneng.api.services import PERSONAL_EXPIRY_DAYS, SYSTEM_EXPIRY_DAYS
from xiaoneng.core.forms import BootstrapMixin
from xiaoneng.org.choices import ADMIN_ROLES, Role
from xiaoneng.org.forms import UnitTreeChoiceField
from xiaoneng.org.selectors import unit_tree

NEVER = "never"


def _days_label(days: int):
    return ngettext_lazy("%(days)d day", "%(days)d days", days) % {"days": days}


class TokenForm(BootstrapMixin, forms.Form):
    name = forms.CharField(
        label=_("What is the token for?"),
        max_length=100,
        help_text=_("E.g. “12345 hotline bridge” or “my reporting script”."),
        error_messages={"required": _("Say what the token is for.")},
    )
    expires_in_days = forms.ChoiceField(label=_("Valid for"))

    def __init__(self, *args, system: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = SYSTEM_EXPIRY_DAYS if system else PERSONAL_EXPIRY_DAYS
        self.fields["expires_in_days"].choices = [
            (str(days) if days else NEVER, _days_label(days) if days else _("Until revoked"))
            for days in allowed
        ]
        self.fields["expires_in_days"].initial = "365" if system else "90"
        self.style_fields()

    def clean_expires_in_days(self):
        value = self.cleaned_data["expires_in_days"]
        return None if value == NEVER else int(value)


class ServiceAccountForm(BootstrapMixin, forms.Form):
    username = forms.CharField(
        label=_("Login name"),
        max_length=64,
        help_text=_("Letters, digits and . _ @ - only, e.g. hotline-12345."),
    )
    name = forms.CharField(
        label=_("Name"), max_length=64, help_text=_("E.g. “12345 hotline platform”.")
    )
    unit = forms.Field(required=False)  # replaced in __init__ (needs the unit tree)
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        widget=forms.CheckboxSelectMultiple,
        choices=[(r.value, r.label) for r in Role if r not in ADMIN_ROLES],
        error_messages={"required": _("Give the service account at least one role.")},
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = UnitTreeChoiceField(
            tree=unit_tree(include_inactive=False),
            label=_("Unit"),
            empty_label="—",
            help_text=_("The unit whose records the system works on, as a person of it would."),
        )
        self.order_fields(["username", "name", "unit", "roles", "description"])
        self.style_fields()


class TokenSearchForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    all = forms.BooleanField(label=_("Include revoked and expired tokens"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()
