"""App config for departments, routing, deadlines, notifications and the Celery tasks."""

from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = "Dispatch"

    def ready(self) -> None:
        from .models import Department, RoutingRule
        from .selectors import active_rules

        # Cache upkeep only (no business logic): a rule or department saved here is routed by at once.
        active_rules.forget_when_saved(RoutingRule, Department)
