"""Admin for the base data. The facility taxonomy is configuration and is edited here (a deployment names
the case category each class reports to); the records themselves are written through the pages, the API
and the imports (places.services), so here they are read-only."""

from django.contrib import admin

from .models import Building, Facility, FacilityClass, House, Occupancy, Organisation, Road


@admin.register(FacilityClass)
class FacilityClassAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "parent", "case_category_code")
    search_fields = ("code", "name", "name_en")
    readonly_fields = ("code", "parent")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Road)
class RoadAdmin(ReadOnlyAdmin):
    list_display = ("name", "district")
    search_fields = ("name",)


@admin.register(Building)
class BuildingAdmin(ReadOnlyAdmin):
    list_display = ("address", "grid", "use", "floors", "units")
    list_filter = ("use",)
    search_fields = ("address",)
    list_select_related = ("grid",)


@admin.register(House)
class HouseAdmin(ReadOnlyAdmin):
    list_display = ("address", "grid", "use", "area_m2")
    list_filter = ("use",)
    search_fields = ("address",)
    list_select_related = ("grid",)


@admin.register(Occupancy)
class OccupancyAdmin(ReadOnlyAdmin):
    list_display = ("house", "relation", "population", "since", "until")
    list_select_related = ("house",)
    exclude = ("resident", "landlord")  # their names are PII: the pages mask and log them


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    list_display = ("name", "credit_code", "kind", "grid")
    list_filter = ("kind",)
    search_fields = ("name", "credit_code")
    exclude = ("legal_representative_encrypted", "contact_name_encrypted", "contact_phone_encrypted")


@admin.register(Facility)
class FacilityAdmin(ReadOnlyAdmin):
    list_display = ("code", "facility_class", "grid", "department", "state")
    list_filter = ("state",)
    search_fields = ("code", "name")
    list_select_related = ("facility_class", "grid", "department")
