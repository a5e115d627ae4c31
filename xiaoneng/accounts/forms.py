from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from xiaoneng.accounts.choices import PolicyProfile
from xiaoneng.accounts.models import POLICY_FIELDS, SecurityPolicy

PASSWORD_MAX = 256


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Login name"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autofocus": True, "autocapitalize": "none"}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=PASSWORD_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("Current password"),
        max_length=PASSWORD_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password1 = forms.CharField(
        label=_("New password"),
        max_length=PASSWORD_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        max_length=PASSWORD_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = password_validators_help_text_html()

    def clean(self):
        data = super().clean()
        first, second = data.get("new_password1"), data.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("The two new passwords differ."))
        return data

    def add_service_error(self, error) -> None:
        """Show a ValidationError of the password_change service on the right fields."""
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                target = {"new_password": "new_password1"}.get(field, field)
                self.add_error(target if target in self.fields else None, errors)
        else:
            self.add_error(None, error)


class SecurityPolicyForm(forms.Form):
    """The policy fields (limits come from the model) and the version the form was loaded with.
    A plain form, not a ModelForm: the policy object is shared and must not be touched."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(SecurityPolicy, fields=POLICY_FIELDS))
        for name in POLICY_FIELDS:
            self.fields[name].widget.attrs.update({"class": "form-control", "inputmode": "numeric"})

    def policy_values(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name in POLICY_FIELDS}

    def add_service_error(self, error) -> None:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error)


class PolicyProfileForm(forms.Form):
    profile = forms.ChoiceField(choices=PolicyProfile.choices)
    version = forms.IntegerField()
