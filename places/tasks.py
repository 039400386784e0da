"""Celery tasks for the base data: thin wrappers that take ids and call services."""
