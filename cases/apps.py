"""App config for categories, cases, the workflow and the audit chain."""

from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .models import Category
        from .selectors import active_minor_categories

        # Cache upkeep only (no business logic): a category saved here is seen by the next report at once.
        for signal in (post_save, post_delete):
            signal.connect(active_minor_categories.saved, sender=Category, dispatch_uid="active-categories")
