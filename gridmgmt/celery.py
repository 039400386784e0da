"""The Celery application; configuration comes from Django settings (CELERY_*)."""

import os
import warnings

from celery import Celery, signals
from celery.exceptions import SecurityWarning

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridmgmt.settings")

if os.environ.get("GRIDMGMT_LOCAL_RUN"):
    # bin/run (a developer's machine, often a container running as root): not the place for the warning
    # that a worker should not run as root. A deployment's worker, started otherwise, still gives it.
    warnings.filterwarnings("ignore", category=SecurityWarning)

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


def _ready_file_touch(**_signal) -> None:
    """bin/run waits for the worker and beat before it prints where the app is: each touches the file named
    by its GRIDMGMT_READY_FILE (unset everywhere else: nothing happens)."""
    path = os.environ.get("GRIDMGMT_READY_FILE")
    if path:
        with open(path, "a"):
            os.utime(path)


signals.worker_ready.connect(_ready_file_touch, weak=False)
signals.beat_init.connect(_ready_file_touch, weak=False)
