"""App config for the grid's base data (一标三实 + 部件)."""

from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "places"
    verbose_name = "Base data"

    def ready(self) -> None:
        from . import tasks  # noqa: F401 - registers our Celery tasks, which services publish by name
