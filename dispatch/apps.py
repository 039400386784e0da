"""App config for routing, queues, the deadline sweep and their Celery tasks."""

from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = "Dispatch"

    def ready(self) -> None:
        from cases.hooks import case_reported
        from cases.views import role_home_register
        from departments.models import Department
        from gridmgmt.roles import Role

        from .models import RoutingRule
        from .selectors import active_rules
        from .tasks import route_case_soon  # also registers our Celery tasks, which services publish by name
        from .views import queue_page

        # Cache upkeep only (no business logic): a rule or department saved here is routed by at once.
        active_rules.forget_when_saved(RoutingRule, Department)
        # The dispatch center's home page is its triage queue.
        role_home_register(Role.DISPATCHER, queue_page)
        # Every reported case is routed by a task, published once the report has committed.
        case_reported.subscribe(route_case_soon)
