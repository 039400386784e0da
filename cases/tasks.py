"""Celery tasks for cases: thin wrappers that take ids and call the photo functions."""

from celery import shared_task
from django.db import OperationalError

from . import photos


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, retry_kwargs={"max_retries": 5})
def photo_derivatives_task(photo_id: int) -> None:
    """The EXIF-free display copy and thumbnail of a newly attached photo (idempotent)."""
    photos.photo_derivatives_make(photo_id=photo_id)
