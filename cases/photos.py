"""Checking uploaded photos, attaching them to a case, and the EXIF-free copies that pages serve."""

import io
import warnings
from collections.abc import Iterable
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

from gridmgmt.errors import InvalidInput
from gridmgmt.tasking import enqueue_on_commit

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
        # Pillow only warns between its pixel limit and twice that; a worker would still have to decode
        # the whole bitmap for the copies, so both count as "not a readable image".
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                image_format = image.format
                image.verify()
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ) as exc:
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
    """Store the uploads; their display copies and thumbnails are made by a task after commit."""
    from .tasks import photo_derivatives_task

    photos = [
        CasePhoto.objects.create(case=case, image=upload, kind=kind, uploaded_by=actor, created_at=at)
        for upload in uploads
    ]
    for photo in photos:
        enqueue_on_commit(photo_derivatives_task, photo.pk)
    return photos


# --- copies for pages: EXIF stripped (it may hold GPS position, device and owner), orientation applied ---
DISPLAY_MAX_PX = 1600
THUMBNAIL_MAX_PX = 320


def _flatten(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparency goes onto white, palette and greyscale images are expanded."""
    if image.mode in ("RGBA", "LA", "P", "PA"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg(image: Image.Image, max_px: int) -> bytes:
    copy = image.copy()
    copy.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    # No exif= argument: Pillow writes no EXIF block, so nothing of the original's metadata survives.
    copy.save(buffer, format="JPEG", quality=85, optimize=True, progressive=True)
    return buffer.getvalue()


def photo_derivatives_make(*, photo_id: int) -> CasePhoto | None:
    """Make the display copy and thumbnail of one photo, once (idempotent: a second call does nothing)."""
    photo = CasePhoto.objects.filter(pk=photo_id).first()
    if photo is None or (photo.display and photo.thumbnail):
        return photo
    with photo.image.open("rb") as source, Image.open(source) as original:
        image = _flatten(ImageOps.exif_transpose(original))  # bake the EXIF rotation in before it goes
        display, thumbnail = _jpeg(image, DISPLAY_MAX_PX), _jpeg(image, THUMBNAIL_MAX_PX)
    stem = PurePosixPath(photo.image.name).stem
    photo.display.save(f"{stem}.jpg", ContentFile(display), save=False)
    photo.thumbnail.save(f"{stem}.jpg", ContentFile(thumbnail), save=False)
    updated = CasePhoto.objects.filter(pk=photo.pk, display="").update(
        display=photo.display.name, thumbnail=photo.thumbnail.name
    )
    if updated != 1:  # another worker (or a page view) made them first: keep theirs, drop ours
        photo.display.delete(save=False)
        photo.thumbnail.delete(save=False)
        photo.refresh_from_db()
    return photo
