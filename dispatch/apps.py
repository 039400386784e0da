"""App config for departments, routing, deadlines, notifications and the Celery tasks."""

from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = "Dispatch"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .models import Department, RoutingRule
        from .selectors import routing_rules_forget

        # Cache upkeep only (no business logic): a rule or department saved here is routed by at once.
        for model in (RoutingRule, Department):
            post_save.connect(
                routing_rules_forget, sender=model, dispatch_uid=f"rules-forget-{model.__name__}"
            )
            post_delete.connect(
                routing_rules_forget, sender=model, dispatch_uid=f"rules-forget-del-{model.__name__}"
            )
