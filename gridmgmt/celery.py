"""The Celery application; configuration comes from Django settings (CELERY_*)."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridmgmt.settings")

app = Celery("gridmgmt")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def _database_connections_tidy(task=None, **_signal) -> None:
    """Around each task, what Django does around each web request: drop a connection that is broken or
    older than CONN_MAX_AGE, and health-check the kept one before its first query (CONN_HEALTH_CHECKS).

    Celery's own Django fixup would instead close every connection before and after every task, so each
    task paid for a new PostgreSQL connection (a backend process forked per task: ~10 % of the worker's
    time and more of PostgreSQL's). settings.CELERY_DB_REUSE_MAX makes the fixup keep them.
    """
    if task is not None and getattr(task.request, "is_eager", False):
        return  # run in the caller's own process and transaction (eager mode): its connection is not ours
    from django.db import close_old_connections

    close_old_connections()
