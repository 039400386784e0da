"""App config for the jurisdiction hierarchy, grids and their administrators."""

from django.apps import AppConfig


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = "Grids"

    def ready(self) -> None:
        from . import tasks  # noqa: F401 - registers our Celery tasks, which services publish by name
