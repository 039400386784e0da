"""App config for notices to users: the outgoing queue, its recipients and the sending task."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from . import tasks  # noqa: F401 - registers our Celery tasks, which services publish by name
