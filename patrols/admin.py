"""Admin for patrols and visits: read-only. Patrol records are append-only and chained, visits are written
through the pages and the API, plans are set by supervisors on the site (patrols.plans), so nothing here
writes."""

from django.contrib import admin

from places.admin import ReadOnlyAdmin

from .models import Patrol, PatrolPlan, Visit, VisitPlan


@admin.register(Patrol)
class PatrolAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "patroller",
        "started_at",
        "ended_at",
        "state",
        "review",
        "point_count",
        "distance_m",
    )
    list_filter = ("state", "review")
    list_select_related = ("patroller",)
    exclude = ("track",)


@admin.register(PatrolPlan)
class PatrolPlanAdmin(ReadOnlyAdmin):
    list_display = ("id", "grid", "community", "minutes_per_day", "weekly_coverage", "updated_at")
    list_select_related = ("grid", "community")


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ("id", "visitor", "grid", "visited_at", "position")
    list_filter = ("position",)
    list_select_related = ("visitor", "grid")
    # Resident, house and organisation are left out: the admin is no way around the registry's logged reveal.
    fields = ("visitor", "grid", "visited_at", "position", "distance_m", "accuracy")


@admin.register(VisitPlan)
class VisitPlanAdmin(ReadOnlyAdmin):
    list_display = ("target", "tag", "every_days", "community")
    list_select_related = ("community",)
