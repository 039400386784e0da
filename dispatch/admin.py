"""Admin for routing rules."""

from django.contrib import admin

from .models import RoutingRule


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("id", "category", "jurisdiction", "grid", "department", "auto_dispatch", "is_active")
    list_filter = ("department", "auto_dispatch", "is_active")
    list_select_related = ("category", "jurisdiction", "grid", "department")
    raw_id_fields = ("grid",)
