from django.contrib import admin

from xiaoneng.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: notifications are written by services, never by hand."""

    list_display = ("created_at", "recipient", "code", "read_at")
    list_filter = ("code",)
    search_fields = ("recipient__username", "recipient__name", "code")
    list_select_related = ("recipient",)
    readonly_fields = ("recipient", "code", "params", "url", "created_at", "read_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
