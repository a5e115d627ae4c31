from django.contrib import admin

from xiaoneng.audit.models import AuditEntry
from xiaoneng.audit.selectors import audit_reader_allowed


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only, and only for the audit administrator (三员分立): nobody adds, changes or
    deletes audit entries, superusers included."""

    list_display = ("position", "time", "actor_name", "unit_name", "action", "success", "ip")
    list_filter = ("success",)
    search_fields = ("action", "actor_name", "object_repr", "request_id")
    list_select_related = ("actor", "unit")
    ordering = ("-position",)
    date_hierarchy = "time"
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_module_permission(self, request):
        return audit_reader_allowed(user=request.user)

    def has_view_permission(self, request, obj=None):
        return audit_reader_allowed(user=request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
