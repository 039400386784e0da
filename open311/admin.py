"""Admin for Open311 API keys, each service's extra questions, and a read-only view of what clients sent."""

from django.contrib import admin

from .models import ApiKey, AttributeValue, ServiceAttribute, ServiceRequest


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "is_active", "created_at", "last_used_at")
    list_filter = ("is_active",)
    search_fields = ("name",)
    readonly_fields = ("created_at", "last_used_at")


class AttributeValueInline(admin.TabularInline):
    model = AttributeValue
    extra = 1
    fields = ("order", "key", "name")


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin):
    list_display = ("category", "order", "code", "description", "datatype", "required", "variable")
    list_filter = ("datatype", "required", "category__parent")
    list_select_related = ("category",)
    search_fields = ("code", "description", "category__code", "category__name")
    inlines = [AttributeValueInline]


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    list_display = ("case", "api_key", "account_id", "created_at")
    list_select_related = ("case", "api_key")
    search_fields = ("case__number", "token", "account_id")

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in ServiceRequest._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
