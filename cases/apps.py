"""App config for categories, cases, the workflow and the audit chain."""

from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from .models import Category
        from .selectors import active_minor_categories

        # Cache upkeep only (no business logic): a category saved here is seen by the next report at once.
        active_minor_categories.forget_when_saved(Category)
