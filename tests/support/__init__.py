"""Helpers for tests that run real processes: Celery workers, a private Redis, the web server."""
