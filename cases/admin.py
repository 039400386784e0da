"""Admin for categories (with SLA limits) and a read-only view of cases and their history.

Cases change only through the workflow services, never by editing rows here.
"""

from django.contrib import admin

from .models import Case, CaseEvent, Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "handling_minutes", "around_the_clock", "is_active")
    list_filter = ("kind", "parent", "around_the_clock", "is_active")
    search_fields = ("code", "name", "name_en")


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ("seq", "created_at", "action", "from_state", "to_state", "actor_username", "actor_role", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("number", "category", "state", "grid", "department", "deadline_at", "reported_at")
    list_filter = ("state", "source", "priority")
    search_fields = ("number", "description")
    list_select_related = ("category", "grid", "department")
    inlines = [CaseEventInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Case._meta.fields] + ["duplicate_candidates"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
