"""App config for departments, routing, deadlines, notifications and the Celery tasks."""

from django.apps import AppConfig


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = "Dispatch"
