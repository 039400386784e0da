"""Admin for jurisdictions, grids and assignments."""

from django.contrib import admin

from . import pii
from . import services as grid_services
from .models import Grid, GridAssignment, Jurisdiction, Resident, ResidentAccessLog, ResidentImportJob


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
    """Names and administrators are edited here; geometry changes go through `import_grids`, which
    validates the whole layer (overlaps, gaps, nesting) and bumps the layer version."""

    list_display = ("code", "name", "community", "area_m2")
    search_fields = ("code", "name")
    list_select_related = ("community",)
    fields = (
        "code",
        "name",
        "community",
        "area_m2",
        "min_lng",
        "min_lat",
        "max_lng",
        "max_lat",
        "properties",
    )
    readonly_fields = ("code", "community", "area_m2", "min_lng", "min_lat", "max_lng", "max_lat")
    inlines = [GridAssignmentInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        grid_services.grid_save(
            code=obj.code, name=obj.name, boundary=obj.boundary, properties=obj.properties
        )


# --- Resident registry: masked, read-only. Writes go through grids.services (the registry pages and the
# import), so validation, encryption and the hash cannot be bypassed; clear values only via logged reveals.


@admin.register(Resident)
class ResidentAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "masked_name",
        "masked_id_number",
        "masked_phone",
        "grid",
        "moved_in_on",
        "moved_out_on",
    )
    list_filter = ("moved_out_on", "gender")
    list_select_related = ("grid",)
    search_fields = ("grid__code", "household_no")
    fields = (
        "grid",
        "masked_name",
        "masked_id_number",
        "masked_phone",
        "gender",
        "birth_date",
        "household_no",
        "address",
        "moved_in_on",
        "moved_out_on",
        "care_tags",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description="name")
    def masked_name(self, obj: Resident) -> str:
        return pii.mask_name(obj.name)

    @admin.display(description="ID number")
    def masked_id_number(self, obj: Resident) -> str:
        return obj.id_number_masked

    @admin.display(description="phone")
    def masked_phone(self, obj: Resident) -> str:
        return obj.phone_masked

    def get_search_results(self, request, queryset, search_term):
        # A full ID number is found through its keyed hash; the clear number is never in the database.
        term = search_term.strip().upper()
        if len(term) == 18:
            return queryset.filter(id_number_hash=pii.hash_id_number(term)), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ResidentAccessLog)
class ResidentAccessLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "username", "roles", "basis", "field", "resident", "ip")
    list_filter = ("field", "basis")
    search_fields = ("username", "ip")
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the access log is evidence: nobody edits or deletes it


@admin.register(ResidentImportJob)
class ResidentImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "filename",
        "created_by",
        "status",
        "total",
        "imported",
        "error_count",
        "created_at",
    )
    list_filter = ("status",)
    exclude = ("upload",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
