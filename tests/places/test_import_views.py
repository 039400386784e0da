"""The base-data import page, the job it starts (upload → Celery task → progress → outcome) and the export
downloads, for each persona."""

import json
import os
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from gridmgmt.celery import app as celery_app
from gridmgmt.errors import NotAllowed
from grids import residents_import
from places.io import checks, jobs
from places.models import BaseDataImportJob, Building, House
from places.tasks import import_base_data_task, reconcile_base_data_imports_task
from places.taxonomy import facility_classes_ensure
from tests.factories import centre

from .factories import building, facility
from .test_io import HOUSE, csv_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager(monkeypatch, django_capture_on_commit_callbacks):
    """Tasks published after commit run at once in this process, as a worker would run them."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    return django_capture_on_commit_callbacks


@pytest.fixture
def tower(world):
    return building(world.g1, number="123", name="1", floors=18, units=3)


def houses_file(rows: list[list], name: str = "houses.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, csv_of(HOUSE, rows), content_type="text/csv")


GOOD = [["八一大道123号1栋", 1, "301", "", "rented", "80"], ["八一大道123号1栋", 2, "302", "", "", ""]]
BAD = [GOOD[0], ["八一大道999号1栋", 1, "301", "", "", ""], GOOD[0]]


def upload(world, rows, *, kind="houses", actor=None) -> BaseDataImportJob:
    return jobs.import_job_create(actor=actor or world.gridadmin, kind=kind, upload=houses_file(rows))


# --- the page ---------------------------------------------------------------------------------------------


def test_a_grid_administrator_uploads_and_follows_the_job_to_its_end(client, world, tower, eager):
    client.force_login(world.gridadmin)
    page = client.get(reverse("places-import")).content.decode()
    assert 'name="file"' in page and 'name="kind"' in page
    assert reverse("places-export", args=["houses", "xlsx"]) in page

    with eager(execute=True):
        response = client.post(reverse("places-import"), {"kind": "houses", "file": houses_file(GOOD)})
    job = BaseDataImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("places-import-job", args=[job.pk])
    assert House.objects.count() == 2

    page = client.get(reverse("places-import-job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert reverse("places-import-job-status", args=[job.pk]) in page and "houses imported: 2" in page
    status = client.get(reverse("places-import-job-status", args=[job.pk])).json()
    assert (status["status"], status["finished"], status["imported"], status["errors"]) == (
        "done",
        True,
        2,
        [],
    )


def test_a_file_with_bad_rows_is_rejected_and_the_page_lists_them_in_the_readers_language(
    client, world, tower, eager
):
    client.force_login(world.gridadmin)
    with eager(execute=True):
        client.post(reverse("places-import"), {"kind": "houses", "file": houses_file(BAD)})
    job = BaseDataImportJob.objects.get()
    assert (job.status, job.imported, job.error_count, House.objects.count()) == ("rejected", 0, 2, 0)
    url = reverse("places-import-job-status", args=[job.pk])
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["message"] == "2 of 3 rows are bad: nothing was imported"
    assert [(e["row"], e["column"]) for e in english["errors"]] == [(3, "address"), (4, "room")]
    assert english["errors"][1]["message"] == "the same house as row 2"
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert re.search(r"[\u4e00-\u9fff]", chinese["message"]) and chinese["message"] != english["message"]
    page = client.get(reverse("places-import-job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "the same house as row 2" in page


def test_a_refused_upload_says_why_and_keeps_the_choice(client, world):
    client.force_login(world.gridadmin)
    response = client.post(reverse("places-import"), {"kind": "houses"}, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 400 and 'href="#import-file"' in page and "choose a file" in page
    assert '<option value="houses" selected>' in page
    response = client.post(reverse("places-import"), {"kind": "", "file": houses_file(GOOD)})
    assert response.status_code == 400 and 'href="#import-kind"' in response.content.decode()
    response = client.post(reverse("places-import"), {"kind": "houses", "file": houses_file(GOOD, "h.txt")})
    assert response.status_code == 400 and BaseDataImportJob.objects.count() == 0


@pytest.mark.parametrize(
    ("persona", "form", "exports"),
    [
        ("gridadmin", True, ["buildings", "houses", "occupancies", "organisations", "facilities"]),
        ("supervisor", False, ["buildings", "houses", "occupancies", "organisations", "facilities"]),
        ("dispatcher", False, ["buildings", "houses", "occupancies", "organisations", "facilities"]),
        ("staff", False, ["facilities"]),
    ],
)
def test_each_persona_sees_what_they_may_import_and_export(client, world, persona, form, exports):
    client.force_login(getattr(world, persona))
    page = client.get(reverse("places-import")).content.decode()
    assert ('name="file"' in page) is form
    assert re.findall(r"/places/export/(\w+)\.csv", page) == exports


@pytest.mark.parametrize("persona", ["outsider", "resident"])
def test_the_page_is_forbidden_to_those_without_base_data(client, world, persona):
    client.force_login(getattr(world, persona))
    assert client.get(reverse("places-import")).status_code == 403


def test_readers_who_keep_no_grid_cannot_upload(client, world):
    client.force_login(world.supervisor)
    response = client.post(reverse("places-import"), {"kind": "houses", "file": houses_file(GOOD)})
    assert response.status_code == 403
    with pytest.raises(NotAllowed):
        upload(world, GOOD, actor=world.supervisor)


# --- the job --------------------------------------------------------------------------------------------


def test_the_upload_is_stored_encrypted_and_deleted_once_the_task_ran(world, tower, eager):
    with eager() as callbacks:
        job = upload(world, GOOD)
    assert len(callbacks) == 1  # the task is enqueued after commit
    with job.upload.open("rb") as handle:
        assert "八一大道".encode() not in handle.read()
    path = job.upload.path
    assert import_base_data_task(job.pk) == "done"
    job.refresh_from_db()
    assert not job.upload and not os.path.exists(path)
    assert (job.total, job.processed, job.imported, job.error_count) == (2, 2, 2, 0)
    assert import_base_data_task(job.pk) == "done"  # a redelivered message finds it finished
    assert House.objects.count() == 2


# Committed for real: on PostgreSQL the progress goes through a connection of its own, which sees only
# committed rows, so that the page sees it while the import's own transaction is open (facilities are
# written inside it, houses after the checks). A transactional test before this one may have emptied the
# facility classes the migrations load (serialized_rollback restores them on SQLite but trips over the
# content types on PostgreSQL), so the test makes sure they are there.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["houses", "facilities"])
def test_the_job_saves_its_progress_where_the_page_sees_it_while_it_runs(world, tower, monkeypatch, kind):
    facility_classes_ensure()
    monkeypatch.setattr(checks, "PROGRESS_EVERY", 1)
    seen = []
    original = residents_import.ProgressSaver.__call__

    def saving(self, processed, total):
        original(self, processed, total)
        seen.append(BaseDataImportJob.objects.values_list("processed", "total").get(pk=self.job_id))

    monkeypatch.setattr(residents_import.ProgressSaver, "__call__", saving)
    lat, lng = centre(world.g1)
    data = {
        "houses": csv_of(HOUSE, GOOD),
        "facilities": csv_of(["facility_class", "lat", "lng"], [["0101", lat, lng], ["0102", lat, lng]]),
    }[kind]
    job = jobs.import_job_create(actor=world.gridadmin, kind=kind, upload=SimpleUploadedFile("f.csv", data))
    assert import_base_data_task(job.pk) == "done"
    assert seen[:2] == [(1, 2), (2, 2)]


def test_rows_in_another_administrators_grid_are_refused_naming_the_grid(world, tower):
    job = upload(world, GOOD, actor=world.other_gridadmin)
    assert import_base_data_task(job.pk) == "rejected"
    job.refresh_from_db()
    assert job.errors[0]["message"] == f"grid {world.g1.label} is not one of your grids"


def test_a_job_whose_uploader_is_gone_fails_with_a_reason(world, tower):
    job = upload(world, GOOD)
    BaseDataImportJob.objects.filter(pk=job.pk).update(created_by=None)
    assert import_base_data_task(job.pk) == "failed"
    job.refresh_from_db()
    assert job.message == "the account that uploaded this file no longer exists" and not job.upload


@pytest.mark.parametrize("persona", ["other_gridadmin", "supervisor", "outsider"])
def test_someone_elses_job_is_not_found(client, world, persona):
    job = upload(world, GOOD)
    client.force_login(getattr(world, persona))
    assert client.get(reverse("places-import-job", args=[job.pk])).status_code == 404
    assert client.get(reverse("places-import-job-status", args=[job.pk])).status_code == 404


def test_reconcile_re_enqueues_jobs_no_worker_took(world, tower, monkeypatch):
    sent = []
    monkeypatch.setattr(residents_import, "enqueue", lambda task, *args: sent.append(args))
    fresh, old, dead = upload(world, GOOD), upload(world, GOOD), upload(world, GOOD)
    an_hour_ago = timezone.now() - timedelta(hours=1)
    BaseDataImportJob.objects.filter(pk=old.pk).update(created_at=an_hour_ago)
    BaseDataImportJob.objects.filter(pk=dead.pk).update(
        created_at=an_hour_ago, status="running", started_at=an_hour_ago
    )
    assert reconcile_base_data_imports_task() == 2
    assert sorted(sent) == sorted([(old.pk,), (dead.pk,)])
    assert BaseDataImportJob.objects.get(pk=fresh.pk).status == "pending"
    assert import_base_data_task(dead.pk) == "done"


# --- exports --------------------------------------------------------------------------------------------


def test_an_export_downloads_the_rows_the_reader_may_see(client, world):
    building(world.g1, number="1")
    building(world.g3, number="3")
    client.force_login(world.gridadmin)
    response = client.get(reverse("places-export", args=["buildings", "geojson"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/geo+json"
    assert response["Content-Disposition"].startswith('attachment; filename="buildings-')
    features = json.loads(response.content)["features"]
    assert [f["properties"]["grid_code"] for f in features] == [world.g1.code]
    csv_response = client.get(reverse("places-export", args=["buildings", "csv"]))
    assert csv_response.content.startswith(b"\xef\xbb\xbf") and Building.objects.count() == 2


def test_department_staff_export_their_facilities_only(client, world):
    facility(world.g4, department=world.sanitation, name="ours")
    facility(world.g4, department=world.roads, name="theirs")
    client.force_login(world.staff)
    content = client.get(reverse("places-export", args=["facilities", "csv"])).content.decode("utf-8-sig")
    assert "ours" in content and "theirs" not in content
    assert client.get(reverse("places-export", args=["buildings", "csv"])).status_code == 403


def test_an_unknown_export_is_not_found(client, world):
    client.force_login(world.supervisor)
    assert client.get(reverse("places-export", args=["roads", "csv"])).status_code == 404
    assert client.get(reverse("places-export", args=["houses", "pdf"])).status_code == 404
    client.force_login(world.outsider)
    assert client.get(reverse("places-export", args=["houses", "csv"])).status_code == 403
