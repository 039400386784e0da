"""App config for categories, cases, the workflow and the audit chain."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from grids.selectors import workload_count_register
        from places.profile import profile_count_register, profile_layer_register

        from . import profile as grid_profile
        from . import tasks  # noqa: F401 - registers our Celery tasks, which services publish by name
        from .evidence import evidence_rules
        from .models import Category, EvidenceRule
        from .selectors import active_minor_categories, cases_open_rows, cases_overdue_rows

        # Cache upkeep only (no business logic): a category saved here is seen by the next report at once.
        active_minor_categories.forget_when_saved(Category)
        evidence_rules.forget_when_saved(EvidenceRule)
        # The grid administrators' workload page (grids) counts our open and overdue cases per grid.
        workload_count_register("open_cases", cases_open_rows)
        workload_count_register("overdue_cases", cases_overdue_rows)
        # The grid profile (places) shows the same two figures and the open cases on its map.
        profile_count_register(
            "open_cases", _("Open cases"), grid_profile.open_cases_count, grid_profile.open_cases_link
        )
        profile_count_register(
            "overdue_cases",
            _("Overdue cases"),
            grid_profile.overdue_cases_count,
            grid_profile.overdue_cases_link,
        )
        profile_layer_register("cases", _("Open cases"), grid_profile.open_case_features)
