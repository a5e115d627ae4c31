"""Read-only views of the accounts tables for the Django admin. Every change goes through the
services (the staff screens), which check versions and write the audit log."""

from django.contrib import admin

from xiaoneng.accounts.models import AccountLock, LoginFailure, PasswordHistory, SecurityPolicy


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SecurityPolicy)
class SecurityPolicyAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "version", "updated_at", "updated_by")


@admin.register(PasswordHistory)
class PasswordHistoryAdmin(ReadOnlyAdmin):
    list_display = ("user", "created_at")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__name")
    exclude = ("password",)


@admin.register(AccountLock)
class AccountLockAdmin(ReadOnlyAdmin):
    list_display = ("username", "user", "failure_count", "last_failure_at", "locked_until")
    list_select_related = ("user",)
    search_fields = ("username",)


@admin.register(LoginFailure)
class LoginFailureAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "username", "ip", "reason")
    list_filter = ("reason",)
    search_fields = ("username", "ip")
    date_hierarchy = "created_at"
