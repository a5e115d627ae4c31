"""Forms of the unit and account screens. They parse input; the services validate the rules
and write."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xiaoneng.core.forms import BootstrapMixin, apply_service_error  # noqa: F401
from xiaoneng.org.choices import ADMIN_ROLES, Role, UnitKind
from xiaoneng.org.imports import MAX_UPLOAD_BYTES
from xiaoneng.org.models import Unit, User

_INDENT = "\u00a0\u00a0\u00a0\u00a0"


def tree_choices(tree: list[tuple[Unit, int]]) -> list[tuple[str, str]]:
    """Choices that show the unit tree by indenting each unit under its parent."""
    choices = []
    for unit, depth in tree:
        label = _INDENT * depth + unit.name
        if not unit.is_active:
            label = _("%(name)s (deactivated)") % {"name": label}
        choices.append((str(unit.pk), label))
    return choices


class UnitTreeChoiceField(forms.TypedChoiceField):
    """Picks one unit from the tree; cleans to a Unit (or None when left empty)."""

    def __init__(self, *, tree: list[tuple[Unit, int]], empty_label: str | None = None, **kwargs):
        self.units = {str(unit.pk): unit for unit, _depth in tree}
        choices = tree_choices(tree)
        if empty_label is not None:
            choices = [("", empty_label), *choices]
        super().__init__(
            choices=choices, coerce=lambda pk: self.units[pk], empty_value=None, **kwargs
        )

    def prepare_value(self, value):
        return str(value.pk) if isinstance(value, Unit) else value

    def valid_value(self, value):
        return str(value) in self.units


class UnitTreeMultipleChoiceField(forms.TypedMultipleChoiceField):
    def __init__(self, *, tree: list[tuple[Unit, int]], **kwargs):
        self.units = {str(unit.pk): unit for unit, _depth in tree}
        super().__init__(choices=tree_choices(tree), coerce=lambda pk: self.units[pk], **kwargs)

    def prepare_value(self, value):
        if value is None:
            return value
        return [str(v.pk) if isinstance(v, Unit) else v for v in value]


# --- units -------------------------------------------------------------------------------


class UnitForm(BootstrapMixin, forms.Form):
    code = forms.CharField(label=_("Code"), max_length=32)
    name = forms.CharField(label=_("Name"), max_length=100)
    short_name = forms.CharField(label=_("Short name"), max_length=30, required=False)
    kind = forms.ChoiceField(label=_("Unit type"), choices=UnitKind.choices)
    order = forms.IntegerField(
        label=_("Order"),
        min_value=0,
        initial=0,
        help_text=_("Units under the same parent are listed by this number, then by code."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, tree: list[tuple[Unit, int]], unit: Unit | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # A unit cannot move under itself or below it; the service checks it too.
        excluded: set[int] = set()
        if unit is not None:
            excluded_depth = None
            for item, depth in tree:
                if excluded_depth is not None and depth <= excluded_depth:
                    excluded_depth = None
                if item.pk == unit.pk:
                    excluded_depth = depth
                if excluded_depth is not None:
                    excluded.add(item.pk)
        choices_tree = [
            (item, depth)
            for item, depth in tree
            if item.pk not in excluded and (item.is_active or (unit and item.pk == unit.parent_id))
        ]
        self.fields["parent"] = UnitTreeChoiceField(
            tree=choices_tree,
            label=_("Parent unit"),
            required=False,
            empty_label=_("(none: top of the tree)"),
        )
        self.order_fields(["parent", "code", "name", "short_name", "kind", "order"])
        if unit is None:
            del self.fields["version"]
        self.style_fields()


# --- accounts ----------------------------------------------------------------------------


def business_role_choices() -> list[tuple[str, str]]:
    return [(value, label) for value, label in Role.choices if value not in ADMIN_ROLES]


def admin_role_choices() -> list[tuple[str, str]]:
    return [(value, label) for value, label in Role.choices if value in ADMIN_ROLES]


def language_choices() -> list[tuple[str, str]]:
    return [("", _("Default of the site")), *settings.LANGUAGES]


class UserForm(BootstrapMixin, forms.Form):
    """Create (with ``creating=True``) or edit an account."""

    username = forms.CharField(
        label=_("Login name"),
        max_length=64,
        help_text=_("Letters, digits and . _ @ - only. It cannot be changed later."),
    )
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=64)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    title = forms.CharField(label=pgettext_lazy("job", "Post"), max_length=64, required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        help_text=_("The language of the notifications this person receives."),
    )
    roles = forms.MultipleChoiceField(
        label=_("Business roles"), required=False, widget=forms.CheckboxSelectMultiple
    )
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Leave empty to generate one; it is shown once after saving. The person must "
            "change it at the first sign-in."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args,
        tree: list[tuple[Unit, int]],
        creating: bool,
        user: User | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = language_choices()
        self.fields["roles"].choices = business_role_choices()
        current_unit_id = user.unit_id if user is not None else None
        current_extra = {u.pk for u in user.additional_units.all()} if user is not None else set()
        active_tree = [
            (unit, depth) for unit, depth in tree if unit.is_active or unit.pk == current_unit_id
        ]
        holds_admin_role = user is not None and bool(user.roles & ADMIN_ROLES)
        self.fields["unit"] = UnitTreeChoiceField(
            tree=active_tree,
            label=_("Unit"),
            required=not holds_admin_role,
            empty_label=_("(choose a unit)"),
        )
        self.fields["additional_units"] = UnitTreeMultipleChoiceField(
            tree=[(u, d) for u, d in tree if u.is_active or u.pk in current_extra],
            label=_("Additional units"),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            help_text=_("Other units this person works for, for example as a liaison."),
        )
        if not creating:
            for name in ("username", "roles", "password"):
                del self.fields[name]
        else:
            del self.fields["version"]
        order = ["username", "name", "unit", "additional_units", "title", "phone", "email"]
        self.order_fields([*order, "language", "roles", "password"])
        self.style_fields()

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        try:
            User._meta.get_field("username").run_validators(username)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc
        return username


class UserRolesForm(forms.Form):
    """The roles the actor may change: business roles for the system administrator, the three
    administrator roles for the security administrator."""

    roles = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, grantable: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = grantable
        self.fields["roles"].label = _("Roles")


# --- lists and import --------------------------------------------------------------------


class UserFilterForm(BootstrapMixin, forms.Form):
    """The filters of the account list; invalid values are ignored, never an error page."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    unit = forms.TypedChoiceField(label=_("Unit"), required=False, coerce=int, empty_value=None)
    role = forms.ChoiceField(label=_("Role"), required=False)
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("1", _("Active")), ("0", _("Deactivated"))],
    )

    def __init__(self, *args, tree: list[tuple[Unit, int]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("All units")), *tree_choices(tree)]
        self.fields["role"].choices = [("", _("All roles")), *Role.choices]
        self.fields["q"].widget.attrs["placeholder"] = _("Name, login name or phone")
        self.style_fields()

    def filters(self) -> dict:
        """The filters for ``selectors.user_list``, skipping any field that did not validate."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        active = data.get("active")
        return {
            "search": (data.get("q") or "").strip(),
            "unit_id": data.get("unit"),
            "role": data.get("role") or "",
            "active": None if not active else active == "1",
        }


class ImportUploadForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label=_("Workbook (.xlsx)"),
        widget=forms.FileInput(attrs={"accept": ".xlsx", "class": "form-control"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("The file is larger than %(size)d MB.")
                % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return upload
