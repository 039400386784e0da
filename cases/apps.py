"""App config for categories, cases, the workflow and the audit chain."""

from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from grids.selectors import workload_count_register

        from . import tasks  # noqa: F401 - registers our Celery tasks, which services publish by name
        from .models import Category
        from .selectors import active_minor_categories, cases_open_rows, cases_overdue_rows

        # Cache upkeep only (no business logic): a category saved here is seen by the next report at once.
        active_minor_categories.forget_when_saved(Category)
        # The grid administrators' workload page (grids) counts our open and overdue cases per grid.
        workload_count_register("open_cases", cases_open_rows)
        workload_count_register("overdue_cases", cases_overdue_rows)
