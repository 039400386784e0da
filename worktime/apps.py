"""App config for the work calendar and the working-time clock that deadlines are counted on."""

from django.apps import AppConfig


class WorktimeConfig(AppConfig):
    name = "worktime"
    verbose_name = "Worktime"
