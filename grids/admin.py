"""Admin for jurisdictions, grids and assignments."""

from django.contrib import admin

from .models import Grid, GridAssignment, Jurisdiction


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    exclude = ("boundary",)


class GridAssignmentInline(admin.TabularInline):
    model = GridAssignment
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "community", "area_m2")
    search_fields = ("code", "name")
    list_select_related = ("community",)
    readonly_fields = ("min_lng", "min_lat", "max_lng", "max_lat", "area_m2")
    inlines = [GridAssignmentInline]
