from django.contrib import admin

from xiaoneng.assessments.models import Appeal, Scheme, TargetGroup


class ReadOnlyAdmin(admin.ModelAdmin):
    """Read-only: assessments change only through their services (audited)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TargetGroup)
class TargetGroupAdmin(ReadOnlyAdmin):
    list_display = ["name", "is_active", "created_at"]


@admin.register(Scheme)
class SchemeAdmin(ReadOnlyAdmin):
    list_display = ["name", "target_kind", "year", "period_kind", "status"]
    list_filter = ["status", "target_kind", "year"]
    search_fields = ["name"]


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ["scheme", "target", "status", "filed_at", "decided_at"]
    list_filter = ["status"]
