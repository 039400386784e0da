"""App config for departments, routing, deadlines, notifications and the Celery tasks."""

from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = "Dispatch"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .models import Department, RoutingRule
        from .selectors import active_rules

        # Cache upkeep only (no business logic): a rule or department saved here is routed by at once.
        for model in (RoutingRule, Department):
            for signal in (post_save, post_delete):
                signal.connect(
                    active_rules.saved, sender=model, dispatch_uid=f"active-rules-{model.__name__}"
                )
