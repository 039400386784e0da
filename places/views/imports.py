"""Browser pages: import base data (upload, then a progress page polling the job) and export downloads."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from gridmgmt import policy
from gridmgmt.errors import DomainError, InvalidInput
from gridmgmt.roles import Role, user_roles
from grids.residents_import import import_job_status

from ..io import jobs
from ..io.columns import LAYOUTS, Kind
from ..io.exporting import FORMATS, base_data_export
from ..models import BaseDataImportJob

_FIELD_LABELS = {"kind": gettext_lazy("What the file holds"), "file": gettext_lazy("File to import")}


def _may_import(user) -> bool:
    editable = policy.base_data_editable_grid_ids(user)
    return editable is None or bool(editable)


def _export_kinds(user) -> list[str]:
    """The kinds `user` may export: what the lists show them (department staff: their facilities)."""
    scope = policy.base_data_grid_scope(user)
    if scope is None or scope:
        return list(Kind.values)
    if Role.DEPARTMENT_STAFF in user_roles(user):
        return [Kind.FACILITIES]
    return []


def _layouts() -> list[dict]:
    """Each kind's columns for the page: those the import reads, the required groups, those exported."""
    return [
        {
            "kind": kind,
            "label": label,
            "columns": LAYOUTS[kind].columns,
            "required": [" / ".join(group) for group in LAYOUTS[kind].required],
            "import_only": [c for c in LAYOUTS[kind].columns if c not in LAYOUTS[kind].exported],
        }
        for kind, label in Kind.choices
    ]


@login_required
def base_data_import(request):
    """Upload a file (a Celery worker imports it, the progress page follows), and download exports."""
    may_import, export_kinds = _may_import(request.user), _export_kinds(request.user)
    if not may_import and not export_kinds:
        raise PermissionDenied(_("Only those who keep or read the base data import or export it."))
    context = {
        "may_import": may_import,
        "kinds": Kind.choices,
        "layouts": _layouts(),
        "exports": [(kind, label) for kind, label in Kind.choices if kind in export_kinds],
        "formats": list(FORMATS),
        "jobs": BaseDataImportJob.objects.filter(created_by=request.user)[:10],
        "chosen": request.POST.get("kind", ""),
    }
    if request.method != "POST":
        return render(request, "places/import.html", context)
    if not may_import:
        raise PermissionDenied(_("Only grid administrators import base data."))
    try:
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput(gettext_noop("choose a file"), field="file")
        job = jobs.import_job_create(actor=request.user, kind=request.POST.get("kind", ""), upload=upload)
    except DomainError as exc:
        context["error"] = {
            "field": exc.field,
            "label": _FIELD_LABELS.get(exc.field or ""),
            "text": exc.localized(),
        }
        return render(request, "places/import.html", context, status=exc.status)
    return redirect("places-import-job", pk=job.pk)


@login_required
def base_data_import_job(request, pk: int):
    job = jobs.import_job_get_for(request.user, pk)
    return render(request, "places/import_progress.html", {"job": job, "status": import_job_status(job)})


@login_required
def base_data_import_job_status(request, pk: int):
    """The small JSON document the progress page polls."""
    return JsonResponse(import_job_status(jobs.import_job_get_for(request.user, pk)))


@login_required
def base_data_export_download(request, kind: str, fmt: str):
    """A file of the rows of `kind` the reader may see; personal data is never in it in clear."""
    if kind not in Kind.values or fmt not in FORMATS:
        raise Http404("No such export")
    if kind not in _export_kinds(request.user):
        raise PermissionDenied(_("This base data is not yours to export."))
    export = base_data_export(kind=kind, fmt=fmt, user=request.user)
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


urlpatterns: list = [
    path("import/", base_data_import, name="places-import"),
    path("import/<int:pk>/", base_data_import_job, name="places-import-job"),
    path("import/<int:pk>/status/", base_data_import_job_status, name="places-import-job-status"),
    path("export/<slug:kind>.<slug:fmt>", base_data_export_download, name="places-export"),
]
