"""Admin for departments, routing rules and notifications."""

from django.contrib import admin

from .models import Department, Notification, RoutingRule


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "email", "is_active")
    search_fields = ("code", "name")
    filter_horizontal = ("members",)


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("id", "category", "jurisdiction", "grid", "department", "auto_dispatch", "is_active")
    list_filter = ("department", "auto_dispatch", "is_active")
    list_select_related = ("category", "jurisdiction", "grid", "department")
    raw_id_fields = ("grid",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "recipient", "subject", "sent_at", "attempts")
    list_filter = ("kind",)
    readonly_fields = [f.name for f in Notification._meta.fields]
