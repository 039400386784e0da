"""A base-data file uploaded in the browser, run as a BaseDataImportJob: stored encrypted (occupancy and
organisation files hold personal data), imported by a Celery task that saves its progress for the page to
poll, re-enqueued by the reconcile task when no worker took it: the resident import's machinery
(grids.residents_import) with the base-data import inside."""

from django.http import Http404
from django.utils.translation import gettext_noop

from gridmgmt import policy
from gridmgmt.errors import InvalidInput, NotAllowed
from gridmgmt.messages import Message
from grids import residents_import
from grids.residents_import import ImportResult, import_job_store

from ..models import BaseDataImportJob
from .importing import base_data_import
from .reading import GEOJSON_SUFFIXES

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
    wrong_type = gettext_noop("upload a .csv, .xlsx or .geojson file")
    job = Job(kind=kind, created_by=actor)
    return import_job_store(job, upload, suffixes=UPLOAD_SUFFIXES, wrong_type=wrong_type, task=IMPORT_TASK)


def import_job_get_for(user, pk: int) -> Job:
    """An import job for the person who uploaded it (or a superuser); 404 for everyone else."""
    job = Job.objects.filter(pk=pk).first()
    if job is None or not (user.is_superuser or job.created_by_id == user.pk):
        raise Http404("No such import")
    return job


def import_job_run(*, job_id: int) -> str:
    """Run one job (grids.residents_import.import_job_run: claimed once, progress saved, outcome kept)."""
    return residents_import.import_job_run(Job, job_id=job_id, run=_import, summary=_summary)


def _import(job: Job, data: bytes, progress) -> ImportResult:
    return base_data_import(
        kind=job.kind, data=data, filename=job.filename, actor=job.created_by, progress=progress
    )


def _summary(job: Job, result: ImportResult) -> Message:
    if result.errors:
        return residents_import.rejected_summary(result)
    return Message(IMPORTED[job.kind], imported=result.imported)


def import_jobs_reconcile() -> list[int]:
    """Re-enqueue jobs no worker took (broker down) or whose worker died mid-run; returns their ids."""
    return residents_import.import_jobs_reconcile(Job, IMPORT_TASK)
