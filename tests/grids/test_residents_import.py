"""Bulk import of residents: row-level errors, all-or-nothing vs --partial, CSV and XLSX, command and task."""

import re
from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from gridmgmt.errors import NotAllowed
from grids import pii, residents_import
from grids.models import Resident, ResidentImportJob
from grids.residents_import import ImportFileError
from grids.tasks import import_residents_task

from .resident_factories import HEADER, csv_bytes, id_number, resident, row, xlsx_bytes

pytestmark = pytest.mark.django_db


def _import(data: bytes, filename: str = "residents.csv", **kwargs):
    return residents_import.residents_import(data=data, filename=filename, **kwargs)


def _where(result) -> list[tuple[int, str]]:
    return [(e.row, e.column) for e in result.errors]


@pytest.fixture
def mixed_file(world):
    """Rows 2 and 9 are good; every other row has exactly one problem."""
    registered = id_number(seq=901)
    resident(world.g4, id_no=registered)
    duplicate = id_number(seq=902)
    g1 = world.g1.code
    bad_check = id_number(seq=903)
    bad_check = bad_check[:17] + ("0" if bad_check[17] != "0" else "1")
    rows = [
        row(g1),  # 2: good
        row(g1, id_no=bad_check),  # 3: check character
        row(g1, moved_in_on="2019-02-30"),  # 4: date
        row("36010200100199"),  # 5: unknown grid
        row(g1, id_no=duplicate),  # 6: good so far ...
        row(world.g2.code, id_no=duplicate),  # 7: ... but this repeats row 6's ID
        row(g1, id_no=registered),  # 8: already registered
        row(world.g2.code, care_tags="独居老人;残疾人"),  # 9: good
        row(g1, phone="12345"),  # 10: phone
        row(g1, name=""),  # 11: missing name
        row(g1, care_tags="vip"),  # 12: care tag
        row(g1, id_no=id_number(birth=date(2010, 5, 5)), moved_in_on="2009-01-01"),  # 13: before birth
        row(g1, id_no="36010219900307123"),  # 14: 17 characters
    ]
    return csv_bytes(rows)


# --- row-level errors -----------------------------------------------------------------------------------


def test_it_reports_each_bad_row_with_row_number_column_and_reason(world, mixed_file):
    result = _import(mixed_file)
    assert _where(result) == [
        (3, "id_number"),
        (4, "moved_in_on"),
        (5, "grid_code"),
        (7, "id_number"),
        (8, "id_number"),
        (10, "phone"),
        (11, "name"),
        (12, "care_tags"),
        (13, "moved_in_on"),
        (14, "id_number"),
    ]
    messages = {e.row: e.message for e in result.errors}
    assert messages[3].startswith("wrong check character")
    assert messages[4] == "'2019-02-30' is not a date (use YYYY-MM-DD)"
    assert messages[5] == "unknown grid code 36010200100199"
    assert messages[7] == "the same ID number as row 6"
    assert messages[8] == "this ID number is already registered"
    assert messages[11] == "a name is required"
    assert "unknown care tag 'vip'" in messages[12]
    assert messages[13] == "the moved-in date is before the birth date in the ID number"
    assert messages[14] == "an ID number has 18 characters, this one has 17"
    assert str(result.errors[0]).startswith("row 3, column id_number: wrong check character")


def test_without_partial_a_bad_row_means_nothing_is_imported(world, mixed_file):
    before = Resident.objects.count()
    result = _import(mixed_file)
    assert (result.total, result.imported, result.bad_rows) == (13, 0, 10)
    assert Resident.objects.count() == before


def test_with_partial_the_good_rows_are_imported(world, mixed_file):
    before = Resident.objects.count()
    result = _import(mixed_file, partial=True)
    assert (result.total, result.imported, result.bad_rows) == (13, 3, 10)
    assert Resident.objects.count() == before + 3
    tagged = Resident.objects.get(grid=world.g2)  # row 7, also in grid 2, was bad
    assert tagged.care_tags == ["elderly_alone", "disability"]


def test_a_clean_file_imports_every_row_encrypted(world):
    rows = [row(world.g1.code), row(world.g2.code, phone="", household="", care_tags="veteran")]
    result = _import(csv_bytes(rows))
    assert (result.total, result.imported, result.errors) == (2, 2, [])
    stored = {pii.decrypt(r.id_number_encrypted): r for r in Resident.objects.all()}
    assert set(stored) == {rows[0]["id_number"], rows[1]["id_number"]}
    first = stored[rows[0]["id_number"]]
    assert first.name == "李四" and pii.decrypt(first.phone_encrypted) == rows[0]["phone"]
    assert first.moved_in_on == date(2018, 9, 1) and first.household_no == "H001"
    assert first.id_number_hash == pii.hash_id_number(rows[0]["id_number"])


def test_blank_lines_are_skipped_but_keep_the_row_numbers(world):
    data = (
        csv_bytes([row(world.g1.code)]) + b",,,,,,,\n\n" + csv_bytes([row("99")])[len(",".join(HEADER)) + 2 :]
    )
    result = _import(data)
    assert result.total == 2
    assert _where(result) == [(5, "grid_code")]


# --- file-level problems --------------------------------------------------------------------------------


def test_a_missing_required_column_imports_nothing_even_with_partial(world):
    header = [c for c in HEADER if c != "moved_in_on"]
    result = _import(csv_bytes([row(world.g1.code)], header=header), partial=True)
    assert result.fatal and result.imported == 0
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (1, "moved_in_on", "missing required column")
    ]
    assert not Resident.objects.exists()


def test_unknown_and_repeated_columns_are_reported(world):
    result = _import(csv_bytes([], header=[*HEADER, "remarks", "name"]))
    assert result.fatal
    assert [(e.row, e.column) for e in result.errors] == [(1, "remarks"), (1, "name")]
    assert "unknown column" in result.errors[0].message


def test_chinese_headers_and_gb18030_encoding_are_read(world):
    header = ["网格编码", "姓名", "身份证号", "手机", "地址", "户号", "入住日期", "关怀标签"]
    values = row(world.g1.code, care_tags="留守儿童", moved_in_on="2020/07/01")
    data = csv_bytes(
        [{h: values[c] for h, c in zip(header, HEADER, strict=True)}], header=header, encoding="gb18030"
    )
    result = _import(data)
    assert (result.imported, result.errors) == (1, [])
    r = Resident.objects.get()
    assert (r.care_tags, r.moved_in_on) == (["left_behind_child"], date(2020, 7, 1))


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "empty.csv", "the file is empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old.xls", "old Excel .xls files"),
        (b"not a zip", "fake.xlsx", "not an XLSX workbook"),
        (b"PK\x03\x04broken zip", "broken.xlsx", "cannot be read"),
        (b"\xff\xfe\xfd\x81\x30", "binary.csv", "neither UTF-8 nor GB18030"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(world, data, filename, message):
    with pytest.raises(ImportFileError, match=message):
        _import(data, filename=filename)


def test_a_grid_admin_imports_into_their_own_grids_only(world):
    result = _import(csv_bytes([row(world.g1.code), row(world.g3.code)]), actor=world.gridadmin, partial=True)
    assert result.imported == 1
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (3, "grid_code", f"grid {world.g3.code} is not one of your grids")
    ]


# --- XLSX -----------------------------------------------------------------------------------------------


def test_xlsx_rows_with_date_cells_are_imported(world):
    good = id_number(seq=771)
    data = xlsx_bytes(
        [
            [
                world.g1.code,
                "吴一",
                good,
                "13600001111",
                "广场南路 1 号",
                "H-2",
                datetime(2017, 3, 4),
                "低保",
            ],
            [
                int(world.g2.code),
                "吴二",
                id_number(seq=772),
                13600002222,
                "广场南路 2 号",
                None,
                date(2016, 1, 2),
                None,
            ],
        ]
    )
    result = _import(data, filename="residents.xlsx")
    assert (result.total, result.imported, result.errors) == (2, 2, [])
    r = Resident.objects.get(id_number_hash=pii.hash_id_number(good))
    assert (r.moved_in_on, r.care_tags, r.household_no) == (date(2017, 3, 4), ["low_income"], "H-2")


def test_xlsx_row_errors_and_partial(world):
    data = xlsx_bytes(
        [
            [world.g1.code, "好人", id_number(seq=781), "", "路 1 号", "", "2015-05-05", ""],
            [world.g1.code, "数字", 3.60102199003071e17, "", "路 2 号", "", "2015-05-05", ""],
            [world.g1.code, "坏日期", id_number(seq=782), "", "路 3 号", "", "05/05/2015", ""],
        ]
    )
    result = _import(data, filename="r.xlsx")
    assert _where(result) == [(3, "id_number"), (4, "moved_in_on")]
    assert "format the column as text" in result.errors[0].message
    assert result.imported == 0 and not Resident.objects.exists()
    assert _import(data, filename="r.xlsx", partial=True).imported == 1


# --- the command ----------------------------------------------------------------------------------------


def test_the_command_imports_a_clean_file(world, tmp_path):
    path = tmp_path / "ok.csv"
    path.write_bytes(csv_bytes([row(world.g1.code), row(world.g2.code)]))
    out = StringIO()
    call_command("import_residents", str(path), stdout=out)
    assert "2 of 2 residents imported" in out.getvalue()
    assert Resident.objects.count() == 2


def test_the_command_lists_errors_and_fails_without_partial(world, tmp_path, mixed_file):
    path = tmp_path / "mixed.csv"
    path.write_bytes(mixed_file)
    err = StringIO()
    with pytest.raises(CommandError, match="10 of 13 rows have problems; nothing was imported"):
        call_command("import_residents", str(path), stderr=err)
    assert "row 5, column grid_code: unknown grid code 36010200100199" in err.getvalue()
    assert Resident.objects.count() == 1  # only the one the fixture registered


def test_the_command_with_partial_imports_the_good_rows(world, tmp_path, mixed_file):
    path = tmp_path / "mixed.csv"
    path.write_bytes(mixed_file)
    out, err = StringIO(), StringIO()
    call_command("import_residents", str(path), "--partial", stdout=out, stderr=err)
    assert "3 of 13 residents imported, 10 bad rows skipped" in out.getvalue()
    assert err.getvalue().count("\n") == 10


def test_the_command_reports_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_residents", str(tmp_path / "nope.csv"))


# --- browser upload, Celery task (run synchronously), progress JSON -------------------------------------


def _upload(world, data: bytes, name: str = "residents.csv", partial: bool = False) -> ResidentImportJob:
    upload = SimpleUploadedFile(name, data, content_type="text/csv")
    return residents_import.resident_import_job_create(actor=world.gridadmin, upload=upload, partial=partial)


def test_the_upload_is_stored_encrypted_and_deleted_after_the_task_ran(
    world, django_capture_on_commit_callbacks
):
    rows = [row(world.g1.code), row(world.g2.code)]
    with django_capture_on_commit_callbacks() as callbacks:
        job = _upload(world, csv_bytes(rows))
    assert len(callbacks) == 1  # the task is enqueued after commit
    stored = job.upload.open("rb").read()
    job.upload.close()
    assert rows[0]["id_number"].encode() not in stored and rows[0]["phone"].encode() not in stored
    path = job.upload.path

    assert import_residents_task(job.id) == ResidentImportJob.Status.DONE
    job.refresh_from_db()
    assert (job.status, job.total, job.processed, job.imported, job.error_count) == ("done", 2, 2, 2, 0)
    assert not job.upload and not __import__("os").path.exists(path)
    assert job.finished_at is not None and job.message == "residents imported: 2"
    # A redelivered message finds the job finished and does nothing.
    assert import_residents_task(job.id) == "done"
    assert Resident.objects.count() == 2


def test_a_job_with_bad_rows_is_rejected_and_keeps_the_errors(world, mixed_file):
    job = _upload(world, mixed_file)
    assert import_residents_task(job.id) == "rejected"
    job.refresh_from_db()
    assert job.imported == 0 and job.error_count == 10
    first = job.errors[0]
    assert (first["row"], first["column"]) == (3, "id_number")
    assert first["template"] and first["message"]  # the English text, and the template a page translates
    assert "nothing was imported" in job.message


def test_the_job_page_shows_its_outcome_and_row_errors_in_the_readers_language(world, mixed_file, client):
    job = _upload(world, mixed_file)
    import_residents_task(job.id)
    job.refresh_from_db()
    client.force_login(job.created_by)
    url = reverse("resident-import-job-status", args=[job.pk])
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert english["message"] == job.message and "nothing was imported" in english["message"]
    assert chinese["message"] != english["message"] and "未导入" in chinese["message"]
    assert chinese["errors"][0]["row"] == english["errors"][0]["row"]
    assert chinese["errors"][0]["message"] != english["errors"][0]["message"]
    assert re.search(r"[\u4e00-\u9fff]", chinese["errors"][0]["message"])  # written in Chinese
    page = client.get(reverse("resident-import-job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert chinese["message"] in page.content.decode()


def test_a_partial_job_imports_the_good_rows(world, mixed_file):
    job = _upload(world, mixed_file, partial=True)
    assert import_residents_task(job.id) == "done"
    job.refresh_from_db()
    assert job.imported == 3 and job.error_count == 10
    assert job.message == "residents imported: 3; bad rows skipped: 10"


def test_the_upload_refuses_other_file_types_and_people_without_grids(world):
    with pytest.raises(Exception, match="upload a .csv or .xlsx file"):
        _upload(world, b"x", name="residents.txt")
    upload = SimpleUploadedFile("r.csv", b"x")
    with pytest.raises(NotAllowed):
        residents_import.resident_import_job_create(actor=world.supervisor, upload=upload, partial=False)


def test_the_upload_page_and_progress_json(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.gridadmin)
    assert client.get(reverse("resident-import")).status_code == 200
    upload = SimpleUploadedFile("r.csv", csv_bytes([row(world.g1.code)]), content_type="text/csv")
    with django_capture_on_commit_callbacks():
        response = client.post(reverse("resident-import"), {"file": upload, "partial": "1"})
    job = ResidentImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "resident-import-job", args=[job.pk]
    )
    assert job.partial and job.created_by == world.gridadmin

    page = client.get(reverse("resident-import-job", args=[job.pk])).content.decode()
    assert (
        reverse("resident-import-job-status", args=[job.pk]) in page
        and "js/resident_import_progress.js" in page
    )
    status = client.get(reverse("resident-import-job-status", args=[job.pk])).json()
    assert (status["status"], status["finished"]) == ("pending", False)

    import_residents_task(job.id)
    status = client.get(reverse("resident-import-job-status", args=[job.pk])).json()
    assert (status["status"], status["finished"], status["imported"], status["errors"]) == (
        "done",
        True,
        1,
        [],
    )


@pytest.mark.parametrize("persona", ["other_gridadmin", "outsider", "supervisor"])
def test_someone_elses_import_job_is_not_found(client, world, persona):
    job = _upload(world, csv_bytes([row(world.g1.code)]))
    client.force_login(getattr(world, persona))
    assert client.get(reverse("resident-import-job", args=[job.pk])).status_code == 404
    assert client.get(reverse("resident-import-job-status", args=[job.pk])).status_code == 404


@pytest.mark.parametrize(("persona", "status"), [("outsider", 403), ("staff", 403), ("supervisor", 403)])
def test_the_upload_page_is_forbidden_without_grids(client, world, persona, status):
    client.force_login(getattr(world, persona))
    assert client.get(reverse("resident-import")).status_code == status


def test_a_colleague_uploading_rows_for_my_grid_gets_row_errors(world):
    upload = SimpleUploadedFile("r.csv", csv_bytes([row(world.g1.code)]))
    job = residents_import.resident_import_job_create(
        actor=world.other_gridadmin, upload=upload, partial=True
    )
    import_residents_task(job.id)
    job.refresh_from_db()
    assert job.imported == 0 and job.errors[0]["message"] == f"grid {world.g1.code} is not one of your grids"


def test_reconcile_re_enqueues_jobs_no_worker_took(world, monkeypatch):
    sent = []
    monkeypatch.setattr(residents_import, "enqueue", lambda task, *args: sent.append(args))
    fresh = _upload(world, csv_bytes([row(world.g1.code)]))
    old = _upload(world, csv_bytes([row(world.g1.code)]))
    dead = _upload(world, csv_bytes([row(world.g1.code)]))
    an_hour_ago = timezone.now() - timedelta(hours=1)
    ResidentImportJob.objects.filter(pk=old.pk).update(created_at=an_hour_ago)
    ResidentImportJob.objects.filter(pk=dead.pk).update(
        created_at=an_hour_ago, status="running", started_at=an_hour_ago
    )
    assert sorted(residents_import.resident_import_jobs_reconcile()) == sorted([old.pk, dead.pk])
    assert sorted(sent) == sorted([(old.pk,), (dead.pk,)])
    assert ResidentImportJob.objects.get(pk=fresh.pk).status == "pending"
    assert import_residents_task(dead.pk) == "done"


# --- scale ----------------------------------------------------------------------------------------------


def test_five_thousand_rows_import_in_batches(world):
    codes = [g.code for g in (world.g1, world.g2, world.g3, world.g4)]
    rows = [
        row(codes[i % 4], id_no=id_number(birth=date(1950 + i % 60, 1 + i % 12, 1 + i % 28), seq=i % 1000))
        for i in range(5000)
    ]
    assert len({r["id_number"] for r in rows}) == 5000
    progress = []
    result = _import(csv_bytes(rows), progress=lambda done, total: progress.append((done, total)))
    assert (result.imported, result.errors) == (5000, [])
    assert Resident.objects.count() == 5000
    assert progress[0] == (1000, 5000) and progress[-1] == (5000, 5000)


def test_the_command_refuses_a_file_with_a_bad_header(world, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([row(world.g1.code)], header=[c for c in HEADER if c != "grid_code"]))
    err = StringIO()
    with pytest.raises(CommandError, match="cannot be imported as it is"):
        call_command("import_residents", str(path), "--partial", stderr=err)
    assert "row 1, column grid_code: missing required column" in err.getvalue()
    assert not Resident.objects.exists()


def test_inserted_rows_carry_timestamps_birth_date_gender_and_no_move_out(world):
    before = timezone.now()
    id_no = id_number(birth=date(1984, 2, 29), seq=123)  # sequence 123: odd, so male
    result = _import(csv_bytes([row(world.g1.code, id_no=id_no, care_tags="")]))
    assert result.imported == 1
    r = Resident.objects.get()
    assert (r.birth_date, r.gender, r.moved_out_on, r.care_tags) == (date(1984, 2, 29), "M", None, [])
    assert before <= r.created_at == r.updated_at <= timezone.now()


@pytest.mark.parametrize("partial", [False, True])
def test_an_id_registered_between_check_and_insert_imports_nothing(world, monkeypatch, partial):
    raced = id_number(seq=931)
    resident(world.g4, id_no=raced)
    monkeypatch.setattr(residents_import, "_check_registered", lambda good, result: None)
    result = _import(csv_bytes([row(world.g1.code), row(world.g1.code, id_no=raced)]), partial=partial)
    assert result.fatal and result.imported == 0
    assert "registered meanwhile" in result.errors[-1].message
    assert Resident.objects.count() == 1  # the first row's insert was rolled back with the second


def test_xlsx_id_number_in_an_integer_cell_is_reported(world):
    data = xlsx_bytes(
        [[world.g1.code, "整数", int(id_number(seq=791)[:17] + "0"), "", "路 1 号", "", "2015-05-05", ""]]
    )
    result = _import(data, filename="r.xlsx")
    assert _where(result) == [(2, "id_number")]
    assert "format the column as text" in result.errors[0].message


def test_xlsx_blank_rows_keep_spreadsheet_row_numbers(world):
    values = [[row(code)[column] for column in HEADER] for code in (world.g1.code, "99")]
    data = xlsx_bytes([values[0], [None] * len(HEADER), values[1]])
    result = _import(data, filename="r.xlsx")
    assert result.total == 2
    assert _where(result) == [(4, "grid_code")]
