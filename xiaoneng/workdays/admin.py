"""Read-only admin pages: every change goes through the services, which validate, write the
audit row and refresh the calendar engine (use the calendar page to change the calendar)."""

from django.contrib import admin

from xiaoneng.workdays.models import CalendarOverride, CalendarYear


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(_ReadOnlyAdmin):
    list_display = ("date", "kind", "name", "created_by", "updated_at")
    list_filter = ("kind",)
    search_fields = ("name",)
    date_hierarchy = "date"
    list_select_related = ("created_by",)


@admin.register(CalendarYear)
class CalendarYearAdmin(_ReadOnlyAdmin):
    list_display = ("year", "entered_by", "entered_at", "note")
    list_select_related = ("entered_by",)
