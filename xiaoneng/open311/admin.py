from django.contrib import admin

from xiaoneng.open311.models import ApiClient, Service, ServiceAttribute, ServiceRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    """Changes go through the staff screens (and their audit rows); the admin only reads."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Service)
class ServiceAdmin(ReadOnlyAdmin):
    list_display = ["service_code", "service_name", "category", "type", "is_active"]


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(ReadOnlyAdmin):
    list_display = ["service", "order", "code", "datatype", "required"]


@admin.register(ApiClient)
class ApiClientAdmin(ReadOnlyAdmin):
    list_display = ["name", "key_prefix", "is_active", "last_used_at"]
    exclude = ["key_hash"]


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ReadOnlyAdmin):
    list_display = ["case", "client", "service", "created_at"]
    list_select_related = ["case", "client", "service"]
