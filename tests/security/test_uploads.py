"""Hostile uploads are refused on every upload path with a 400 and a clear message, and nothing is written:
no row, no file. Photos: the report form, the API report, the fix evidence (page and API), Open311 `media`.
Resident registers: the import page."""

import html
import io
import struct
import zipfile
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from PIL import Image

from cases import photos as case_photos
from cases.models import Case, CaseEvent, CasePhoto
from gridmgmt import tasking
from grids import residents_import
from grids.models import ResidentImportJob
from open311.services import api_key_ensure_demo

from ..cases.helpers import drive, report
from ..factories import centre, world_build
from ..grids.resident_factories import csv_bytes, row

# --- the hostile files ------------------------------------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes whose header declares width × height pixels: a decompression bomb."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def real_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (120, 30, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


def truncated_jpeg() -> bytes:
    """A real photo cut short in its image data: its headers are whole, so Pillow's verify() passes it."""
    buffer = io.BytesIO()
    Image.effect_noise((320, 240), 64).convert("RGB").save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()[: len(buffer.getvalue()) * 2 // 3]


SVG_WITH_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"

ATTACKS = {
    # name: (file name, content, what the message says)
    "not_an_image": ("evil.jpg", b"<?php system($_GET['c']); ?>", "evil.jpg is not a readable image"),
    "oversized": (
        "huge.jpg",
        b"\xff\xd8\xff\xe0" + b"\x00" * case_photos.MAX_PHOTO_BYTES,
        "huge.jpg is larger than 10 MB",
    ),
    "bomb_20000x20000": (
        "bomb.png",
        png_declaring(20000, 20000),
        "bomb.png is not a readable image: more than the 40 megapixels accepted",
    ),
    "bomb_8000x6000": (
        "big.png",
        png_declaring(8000, 6000),
        "big.png is not a readable image: 8000×6000 pixels, more than the 40 megapixels accepted",
    ),
    "svg_with_script": ("evil.svg", SVG_WITH_SCRIPT, "evil.svg is not a readable image"),
    "polyglot_jpeg_html": (
        "poly.jpg",
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + HTML,
        "poly.jpg is not a readable image",
    ),
    "html_named_png": ("page.png", HTML, "page.png is not a readable image"),
    "truncated_jpeg": ("cut.jpg", truncated_jpeg(), "cut.jpg is incomplete or damaged"),
}


def test_a_truncated_photo_passes_the_structure_check_but_not_the_decoding():
    """The control for "truncated_jpeg": verify() alone would let it in, and it could never be shown."""
    with Image.open(io.BytesIO(truncated_jpeg())) as image:
        image.verify()
    with pytest.raises(OSError, match="truncated"), Image.open(io.BytesIO(truncated_jpeg())) as image:
        image.load()


def test_the_bombs_are_small_files():
    assert len(ATTACKS["bomb_20000x20000"][1]) < 100 and len(ATTACKS["bomb_8000x6000"][1]) < 100


# --- one world for the module (see tests/cases/test_workflow.py for the pattern) -------------------------


@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
                world = world_build()
                with tasking.suppressed():
                    handling = drive(world, "in_progress", report(world))
            yield SimpleNamespace(world=world, handling=handling)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _client(user) -> Client:
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def _upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def _report_place(s) -> dict:
    lat, lng = centre(s.world.g1)
    return {"lat": lat, "lng": lng, "description": "垃圾堆放"}


def post_report_form(s, upload):
    body = {**_report_place(s), "category": s.world.cats.waste.pk, "photos": [upload]}
    response = _client(s.world.gridadmin).post(reverse("case-report"), body)
    return response, lambda: html.unescape(response.content.decode())


def post_report_api(s, upload):
    body = {**_report_place(s), "category": s.world.cats.waste.code, "photos": [upload]}
    response = _client(s.world.gridadmin).post(reverse("api-cases"), body)
    return response, lambda: response.json()["error"]["message"]


def post_resolve_form(s, upload):
    path = reverse("case-action", kwargs={"pk": s.handling.pk, "action": "resolve"})
    response = _client(s.world.staff).post(path, {"notes": "已清运", "photos": [upload]})
    return response, lambda: html.unescape(response.content.decode())


def post_resolve_api(s, upload):
    path = reverse("api-case-resolve", kwargs={"number": s.handling.number})
    response = _client(s.world.staff).post(path, {"notes": "已清运", "photos": [upload]})
    return response, lambda: response.json()["error"]["message"]


def post_open311_media(s, upload):
    lat, lng = centre(s.world.g1)
    body = {
        "api_key": api_key_ensure_demo().key,
        "service_code": s.world.cats.waste.code,
        "lat": lat,
        "long": lng,
        "media": upload,
    }
    response = Client(raise_request_exception=False).post("/open311/v2/requests.json", body)
    return response, lambda: " | ".join(error["description"] for error in response.json())


PHOTO_PATHS = {
    "report_form": post_report_form,
    "report_api": post_report_api,
    "resolve_form": post_resolve_form,
    "resolve_api": post_resolve_api,
    "open311_media": post_open311_media,
}


def written(media_root: Path) -> tuple:
    files = sorted(str(p.relative_to(media_root)) for p in media_root.rglob("*") if p.is_file())
    return Case.objects.count(), CasePhoto.objects.count(), CaseEvent.objects.count(), files


@pytest.mark.parametrize("attack", list(ATTACKS))
@pytest.mark.parametrize("path", list(PHOTO_PATHS))
def test_a_hostile_photo_is_refused_and_nothing_is_written(db, shared, settings, path, attack):
    name, content, message = ATTACKS[attack]
    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    before = written(media_root)

    with tasking.suppressed():
        response, text = PHOTO_PATHS[path](shared, _upload(name, content))

    assert response.status_code == 400, text()[:500]
    assert message in text()
    assert written(media_root) == before
    shared.handling.refresh_from_db()
    assert shared.handling.state == "in_progress"


@pytest.mark.parametrize("path", list(PHOTO_PATHS))
def test_a_real_photo_is_stored_under_a_name_of_its_own_type(db, shared, path):
    """The control: the same paths accept a real photo, and keep no part of the client's file name."""
    with tasking.suppressed():
        response, _ = PHOTO_PATHS[path](shared, _upload("evil.html", real_jpeg()))

    assert response.status_code in (200, 201, 302)
    stored = CasePhoto.objects.latest("id").image.name
    assert stored.endswith(".jpg") and "evil" not in stored


# --- the resident register import: CSV or XLSX only, and what the name says --------------------------------


def _xlsx(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


IMPORT_ATTACKS = {
    "svg_with_script": ("residents.svg", SVG_WITH_SCRIPT, "upload a .csv or .xlsx file"),
    "image_named_jpg": ("residents.jpg", real_jpeg(), "upload a .csv or .xlsx file"),
    "image_named_csv": ("residents.csv", real_jpeg(), "the file is not CSV text: it holds binary data"),
    "svg_named_csv": ("residents.csv", SVG_WITH_SCRIPT, "the file is not CSV text: it is HTML, SVG or XML"),
    "html_named_csv": ("residents.csv", b"\xef\xbb\xbf\n " + HTML, "the file is not CSV text: it is HTML"),
    "image_named_xlsx": (
        "residents.xlsx",
        real_jpeg(),
        "the file is named .xlsx but is not an XLSX workbook",
    ),
    "zip_not_a_workbook": ("residents.xlsx", _xlsx({"evil.html": HTML}), "a zip archive but not an XLSX"),
    "oversized": ("residents.csv", b"a" * (1024 * 1024 + 1), "the file is larger than 1 MB"),
    "zip_bomb": (
        "residents.xlsx",
        _xlsx({"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": b"<" * (2 * 1024 * 1024)}),
        "the XLSX workbook inflates to more than 1 MB",
    ),
}


@pytest.mark.parametrize("attack", list(IMPORT_ATTACKS))
def test_a_hostile_register_file_is_refused_and_nothing_is_written(db, shared, settings, monkeypatch, attack):
    # Limits scaled down so the test need not send 50 MB or inflate 512 MB; the checks are the same.
    monkeypatch.setattr(residents_import, "MAX_UPLOAD_BYTES", 1024 * 1024)
    monkeypatch.setattr(residents_import, "MAX_XLSX_INFLATED", 1024 * 1024)
    name, content, message = IMPORT_ATTACKS[attack]
    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    files_before = list(media_root.rglob("*"))
    jobs_before = ResidentImportJob.objects.count()

    response = _client(shared.world.gridadmin).post(
        reverse("resident-import"), {"file": _upload(name, content)}
    )

    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    assert ResidentImportJob.objects.count() == jobs_before
    assert list(media_root.rglob("*")) == files_before


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_real_register_file_is_still_accepted(db, shared, kind):
    """The control: a genuine CSV and a genuine workbook pass the same checks."""
    rows = [row(shared.world.g1.code)]
    if kind == "csv":
        content = csv_bytes(rows)
    else:
        import openpyxl

        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.append(list(rows[0]))
        sheet.append(list(rows[0].values()))
        buffer = io.BytesIO()
        workbook.save(buffer)
        content = buffer.getvalue()
    with tasking.suppressed():
        response = _client(shared.world.gridadmin).post(
            reverse("resident-import"), {"file": _upload(f"residents.{kind}", content)}
        )
    assert response.status_code == 302
    assert ResidentImportJob.objects.filter(filename=f"residents.{kind}").exists()
