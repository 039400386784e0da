"""Helpers for the browser-console tests (tests/cases/test_console_*.py)."""

import io

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

HTMX = {"HTTP_HX_REQUEST": "true"}


def english(client):
    """Pages in English, so assertions can name the messages as the services word them."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def login(client, user, *, language: str = "en"):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def jpeg_with_exif(name: str = "photo.jpg", size=(64, 48), orientation: int = 1) -> SimpleUploadedFile:
    """A real JPEG carrying EXIF: a camera make, GPS coordinates and an orientation tag."""
    image = Image.new("RGB", size, (30, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0112] = orientation  # Orientation
    exif[0x8825] = {1: "N", 2: (28.0, 41.0, 0.0), 3: "E", 4: (115.0, 53.0, 0.0)}  # GPSInfo
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def queries(client, path: str, **extra) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, **extra)
    assert response.status_code == 200, response.status_code
    return len(ctx), response


def html(response) -> str:
    return response.content.decode()
