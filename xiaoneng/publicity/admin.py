from django.contrib import admin

from xiaoneng.publicity.models import Bulletin, BulletinCase


class BulletinCaseInline(admin.TabularInline):
    model = BulletinCase
    extra = 0
    can_delete = False
    readonly_fields = ["case", "order"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Bulletin)
class BulletinAdmin(admin.ModelAdmin):
    """Read-only: bulletins change only through their services."""

    list_display = ["number", "title", "status", "visibility", "drafted_at"]
    list_filter = ["status", "visibility", "kind"]
    search_fields = ["number", "title"]
    inlines = [BulletinCaseInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
