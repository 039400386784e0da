"""Admin for departments and their staff."""

from django.contrib import admin

from .models import Department


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "email", "is_active")
    search_fields = ("code", "name")
    filter_horizontal = ("members",)
