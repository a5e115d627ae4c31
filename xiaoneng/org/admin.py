"""Django admin for units, accounts and role assignments.

The staff screens (/org/) are where units and accounts are managed: they go through the
services, which audit every change and enforce the separated administrator duties. Here roles
are read-only, so that the admin site cannot bypass that separation.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from xiaoneng.org.models import RoleAssignment, Unit, User


class ReadOnlyAdminMixin:
    """The admin site only reads: every write goes through the staff screens and services,
    which validate, audit and enforce the separated duties."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Unit)
class UnitAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "short_name", "kind", "parent", "order", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name", "short_name")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)
    readonly_fields = ("version", "created_at")
    ordering = ("order", "code")


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    fields = ("role", "granted_at")
    readonly_fields = ("role", "granted_at")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class XiaonengUserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "name", "unit")


class XiaonengUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(ReadOnlyAdminMixin, BaseUserAdmin):
    form = XiaonengUserChangeForm
    add_form = XiaonengUserCreationForm
    list_display = ("username", "name", "unit", "title", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff", "is_superuser", "role_assignments__role")
    search_fields = ("username", "name", "phone", "email")
    list_select_related = ("unit",)
    ordering = ("username",)
    autocomplete_fields = ("unit",)
    filter_horizontal = ("additional_units", "groups", "user_permissions")
    readonly_fields = ("last_login", "date_joined", "password_changed_at", "version")
    inlines = (RoleAssignmentInline,)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("Person"),
            {"fields": ("name", "unit", "additional_units", "title", "phone", "email", "language")},
        ),
        (
            _("Status"),
            {"fields": ("is_active", "must_change_password", "password_changed_at", "version")},
        ),
        (
            _("Django admin permissions"),
            {"fields": ("is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "name", "unit", "usable_password", "password1", "password2"),
            },
        ),
    )


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    """Read-only: roles are granted on the staff screens, which enforce 三员分立."""

    list_display = ("user", "role", "granted_at")
    list_filter = ("role",)
    search_fields = ("user__username", "user__name")
    list_select_related = ("user",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
