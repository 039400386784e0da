"""Project package: settings, URLs, the Celery app, roles and shared helpers."""

from .celery import app as celery_app

__all__ = ("celery_app",)
