"""Checking uploaded photos and attaching them to a case."""

from collections.abc import Iterable

from django.core.files.uploadedfile import UploadedFile
from PIL import Image, UnidentifiedImageError

from gridmgmt.errors import InvalidInput

from .models import Case, CasePhoto

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 6
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}


def photo_validate(upload: UploadedFile) -> None:
    """A photo must be a real image of an allowed format and at most 10 MB."""
    name = getattr(upload, "name", "photo")
    if upload.size is not None and upload.size > MAX_PHOTO_BYTES:
        raise InvalidInput(f"{name} is larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB", field="photos")
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            image_format = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput(f"{name} is not a readable image", field="photos") from exc
    finally:
        upload.seek(0)
    if image_format not in ALLOWED_FORMATS:
        raise InvalidInput(f"{name}: {image_format} images are not accepted", field="photos")


def photos_validate(uploads: Iterable[UploadedFile]) -> list[UploadedFile]:
    uploads = list(uploads)
    if len(uploads) > MAX_PHOTOS:
        raise InvalidInput(f"at most {MAX_PHOTOS} photos per step", field="photos")
    for upload in uploads:
        photo_validate(upload)
    return uploads


def photos_attach(*, case: Case, uploads: list[UploadedFile], kind: str, actor, at) -> list[CasePhoto]:
    return [
        CasePhoto.objects.create(case=case, image=upload, kind=kind, uploaded_by=actor, created_at=at)
        for upload in uploads
    ]
