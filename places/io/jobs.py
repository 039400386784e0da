"""A base-data file uploaded in the browser, run as a BaseDataImportJob: stored encrypted (occupancy and
organisation files hold personal data), imported by a Celery task that saves its progress for the page to
poll, re-enqueued by the reconcile task when no worker took it. The resident import's machinery
(grids.residents_import) with the base-data import inside."""

import logging
import uuid
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_noop

from gridmgmt import policy
from gridmgmt.errors import InvalidInput, NotAllowed
from gridmgmt.messages import Message, message_restored
from gridmgmt.tasking import enqueue, enqueue_on_commit
from grids import pii
from grids.residents_import import (
    MAX_STORED_ERRORS,
    MAX_UPLOAD_BYTES,
    ImportResult,
    _job_finish,
    _upload_sniff,
)

from ..models import BaseDataImportJob
from .importing import base_data_import
from .reading import GEOJSON_SUFFIXES

logger = logging.getLogger(__name__)
Job = BaseDataImportJob
IMPORT_TASK = "places.tasks.import_base_data_task"  # published by name: tasks.py imports this module
UPLOAD_SUFFIXES = (".csv", ".xlsx", *GEOJSON_SUFFIXES)
# One sentence per kind: a stored sentence keeps its words in English, so the kind is no parameter.
IMPORTED = {
    Job.Kind.BUILDINGS: gettext_noop("buildings imported: %(imported)s"),
    Job.Kind.HOUSES: gettext_noop("houses imported: %(imported)s"),
    Job.Kind.OCCUPANCIES: gettext_noop("occupancies imported: %(imported)s"),
    Job.Kind.ORGANISATIONS: gettext_noop("organisations imported: %(imported)s"),
    Job.Kind.FACILITIES: gettext_noop("facilities imported: %(imported)s"),
}


def import_job_create(*, actor, kind: str, upload) -> Job:
    """Store an upload (encrypted) and have a worker import it after commit."""
    editable = policy.base_data_editable_grid_ids(actor)
    if editable is not None and not editable:
        raise NotAllowed(gettext_noop("you may import base data into your own grids only"))
    if kind not in Job.Kind.values:
        raise InvalidInput(gettext_noop("choose what the file holds"), field="kind")
    name = (getattr(upload, "name", "") or "upload").rsplit("/", 1)[-1][:200]
    if not name.lower().endswith(UPLOAD_SUFFIXES):
        raise InvalidInput(gettext_noop("upload a .csv, .xlsx or .geojson file"), field="file")
    if upload.size > MAX_UPLOAD_BYTES:
        megabytes = MAX_UPLOAD_BYTES // (1024 * 1024)
        raise InvalidInput(gettext_noop("the file is larger than %(n)s MB"), n=megabytes, field="file")
    _upload_sniff(upload, name)
    job = Job(kind=kind, created_by=actor, filename=name)
    job.upload.save(f"{uuid.uuid4().hex}.bin", ContentFile(pii.encrypt_bytes(upload.read())), save=False)
    job.save()
    enqueue_on_commit(IMPORT_TASK, job.id)
    return job


def import_job_get_for(user, pk: int) -> Job:
    """An import job for the person who uploaded it (or a superuser); 404 for everyone else."""
    job = Job.objects.filter(pk=pk).first()
    if job is None or not (user.is_superuser or job.created_by_id == user.pk):
        raise Http404("No such import")
    return job


class _ProgressSaver:
    """Saves a running job's progress where the page sees it at once.

    Occupancies, organisations and facilities are written inside the import's transaction, which would hide
    (and, when the file is refused, undo) progress saved through the same connection; on PostgreSQL it goes
    through a connection of its own. SQLite has one writer at a time, so there it shares the connection.
    """

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.side = None if connection.vendor == "sqlite" else connections.create_connection(DEFAULT_DB_ALIAS)

    def __call__(self, processed: int, total: int) -> None:
        if self.side is None:
            Job.objects.filter(pk=self.job_id).update(processed=processed, total=total)
            return
        table = self.side.ops.quote_name(Job._meta.db_table)
        sql = f"UPDATE {table} SET processed = %s, total = %s WHERE id = %s"
        with self.side.cursor() as cursor:
            cursor.execute(sql, [processed, total, self.job_id])

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


def import_job_run(*, job_id: int) -> str:
    """Run one job; safe to call twice (a redelivered task finds the job claimed or finished)."""
    # Claim it: only one worker moves a job from pending to running.
    if not Job.objects.filter(pk=job_id, status=Job.Status.PENDING).update(
        status=Job.Status.RUNNING, started_at=timezone.now()
    ):
        return Job.objects.filter(pk=job_id).values_list("status", flat=True).first() or ""
    job = Job.objects.select_related("created_by").get(pk=job_id)
    progress = _ProgressSaver(job.pk)
    try:
        result = _import(job, progress)
    except OperationalError:
        # The database hiccupped: give the job back so the task's retry can claim it again.
        Job.objects.filter(pk=job.id).update(status=Job.Status.PENDING)
        raise
    except InvalidInput as exc:
        _job_finish(job, status=Job.Status.FAILED, message=exc.sentence)
        return job.status
    except (pii.PiiKeyError, FileNotFoundError) as exc:
        unreadable = gettext_noop("the uploaded file could not be read back (%(error)s): upload it again")
        _job_finish(job, status=Job.Status.FAILED, message=Message(unreadable, error=str(exc)))
        return job.status
    except BaseException:
        logger.exception("base-data import job %s failed", job.id)
        internal = Message(gettext_noop("internal error: see the worker log"))
        _job_finish(job, status=Job.Status.FAILED, message=internal)
        raise
    finally:
        progress.close()
    job.total = job.processed = result.total
    job.imported = result.imported
    job.error_count = len(result.errors)
    job.errors = [e.as_dict() for e in result.errors[:MAX_STORED_ERRORS]]
    _job_finish(
        job,
        status=Job.Status.REJECTED if result.errors else Job.Status.DONE,
        message=_summary(job, result),
        fields=["total", "processed", "imported", "error_count", "errors"],
    )
    return job.status


def _import(job: Job, progress: _ProgressSaver) -> ImportResult:
    if job.created_by is None:
        raise InvalidInput(gettext_noop("the account that uploaded this file no longer exists"))
    with job.upload.open("rb") as handle:
        data = pii.decrypt_bytes(handle.read())
    return base_data_import(
        kind=job.kind, data=data, filename=job.filename, actor=job.created_by, progress=progress
    )


def _summary(job: Job, result: ImportResult) -> Message:
    if result.fatal:
        return Message(gettext_noop("the file cannot be imported: nothing was imported"))
    if result.errors:
        return Message(
            gettext_noop("%(bad)s of %(total)s rows are bad: nothing was imported"),
            bad=result.bad_rows,
            total=result.total,
        )
    return Message(IMPORTED[job.kind], imported=result.imported)


def import_job_status(job: Job, *, error_limit: int = 200) -> dict:
    """What the progress page shows and polls, its sentences in the active language."""
    finished = job.status not in (Job.Status.PENDING, Job.Status.RUNNING)
    errors = [
        {"row": e["row"], "column": e["column"], "message": message_restored(e, e.get("message", ""))}
        for e in job.errors[:error_limit]
    ]
    return {
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "finished": finished,
        "total": job.total,
        "processed": job.processed,
        "imported": job.imported,
        "error_count": job.error_count,
        "errors": errors if finished else [],
        "message": message_restored(job.message_sentence, job.message),
    }


def import_jobs_reconcile(*, grace_seconds: int = 60, stale_seconds: int = 1800) -> list[int]:
    """Re-enqueue jobs no worker took (broker down) or whose worker died mid-run; returns their ids."""
    now = timezone.now()
    # The import writes in one transaction, so a dead worker left nothing half-written: run it again.
    stale = Job.objects.filter(status=Job.Status.RUNNING)
    stale.filter(started_at__lt=now - timedelta(seconds=stale_seconds)).update(status=Job.Status.PENDING)
    ids = list(
        Job.objects.filter(
            status=Job.Status.PENDING, created_at__lt=now - timedelta(seconds=grace_seconds)
        ).values_list("id", flat=True)
    )
    for job_id in ids:
        enqueue(IMPORT_TASK, job_id)
    return ids
