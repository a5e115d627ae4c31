from django.contrib import admin

from xiaoneng.portal.models import BlockRule, PublicRating


class ReadOnlyAdmin(admin.ModelAdmin):
    """Read-only: the portal's records change only through its services (audited)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BlockRule)
class BlockRuleAdmin(ReadOnlyAdmin):
    list_display = ["kind", "value", "reason", "expires_at", "created_at", "lifted_at"]
    list_filter = ["kind"]
    search_fields = ["value", "reason"]


@admin.register(PublicRating)
class PublicRatingAdmin(ReadOnlyAdmin):
    list_display = ["case", "round", "rating", "solved", "created_at"]
    list_filter = ["rating", "solved"]
