"""Admin for categories (with SLA limits) and a read-only view of cases and their history.

Cases change only through the workflow services, never by editing rows here.
"""

from django.contrib import admin

from .models import Case, CaseEvent, Category, EvidenceRule, SupervisionLevel


class EvidenceRuleInline(admin.TabularInline):
    """A district's evidence rules for the class: a minor class without its own row takes its major class's,
    and a class without either the shipped default (cases.evidence.DEFAULT_RULES)."""

    model = EvidenceRule
    extra = 0
    max_num = len(EvidenceRule.Step.choices)
    fields = ("step", "min_photos", "position")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "kind",
        "parent",
        "handling_minutes",
        "around_the_clock",
        "publicity",
        "is_active",
    )
    list_filter = ("kind", "parent", "around_the_clock", "publicity", "is_active")
    search_fields = ("code", "name", "name_en")
    inlines = [EvidenceRuleInline]


@admin.register(EvidenceRule)
class EvidenceRuleAdmin(admin.ModelAdmin):
    list_display = ("category", "step", "min_photos", "position")
    list_filter = ("step", "position")
    search_fields = ("category__code", "category__name")
    list_select_related = ("category",)
    autocomplete_fields = ("category",)


@admin.register(SupervisionLevel)
class SupervisionLevelAdmin(admin.ModelAdmin):
    """The supervision ladder (督办): who must act at each rank and how long a case stays there."""

    list_display = ("rank", "name", "name_en", "audience", "after_minutes", "is_active")
    list_editable = ("after_minutes", "is_active")


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
