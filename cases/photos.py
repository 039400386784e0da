"""Checking uploaded photos, attaching them to a case, and the EXIF-free copies that pages serve."""

import hashlib
import io
import uuid
import warnings
from collections.abc import Iterable
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext_noop
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from gridmgmt.errors import InvalidInput
from gridmgmt.tasking import enqueue_on_commit

from .models import Case, CasePhoto

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 6
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}
# A decompression bomb is a small file declaring a huge bitmap (a 30 KB PNG of 20000 × 20000 pixels): the
# worker making the copies would need gigabytes to decode it. Phone cameras stay well below this limit.
MAX_PHOTO_PIXELS = 40_000_000
# Stricter than Pillow's own guard (which only warns above Image.MAX_IMAGE_PIXELS, 89 MP by default, and
# refuses above twice that), so every image Pillow would warn about is refused here first.
assert Image.MAX_IMAGE_PIXELS is None or MAX_PHOTO_PIXELS <= Image.MAX_IMAGE_PIXELS
# Stored originals are named from what the file is, never from what the client called it (evil.html).
_EXTENSIONS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
DERIVATIVES_TASK = "cases.tasks.photo_derivatives_task"  # published by name: tasks.py imports this module


def _too_many_pixels(name: str, size: tuple[int, int] | None) -> InvalidInput:
    limit = MAX_PHOTO_PIXELS // 1_000_000
    if size is None:
        return InvalidInput(
            gettext_noop("%(name)s is not a readable image: more than the %(limit)s megapixels accepted"),
            name=name,
            limit=limit,
            field="photos",
        )
    return InvalidInput(
        gettext_noop(
            "%(name)s is not a readable image: %(width)s×%(height)s pixels, more than the %(limit)s"
            " megapixels accepted"
        ),
        name=name,
        width=size[0],
        height=size[1],
        limit=limit,
        field="photos",
    )


def photo_validate(upload: UploadedFile) -> str:
    """A photo must be a real image of an allowed format, at most 10 MB and 40 megapixels; returns its
    format (Pillow's name: "JPEG", "PNG", …). An upload is checked once: a caller may check it early (outside
    its transaction) and the service that stores it does not decode it again."""
    if checked := getattr(upload, "_photo_format", None):
        return checked
    name = getattr(upload, "name", "photo")
    if upload.size is not None and upload.size > MAX_PHOTO_BYTES:
        raise InvalidInput(
            gettext_noop("%(name)s is larger than %(n)s MB"),
            name=name,
            n=MAX_PHOTO_BYTES // (1024 * 1024),
            field="photos",
        )
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            # Pillow's warning threshold lies above MAX_PHOTO_PIXELS: the size check below refuses first.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                width, height = image.size
                if width * height > MAX_PHOTO_PIXELS:
                    raise _too_many_pixels(name, (width, height))
                image_format = image.format
                image.verify()
    except Image.DecompressionBombError as exc:  # above twice Pillow's limit: refused inside open()
        raise _too_many_pixels(name, None) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput(
            gettext_noop("%(name)s is not a readable image: send a JPEG, PNG, WebP or GIF photo"),
            name=name,
            field="photos",
        ) from exc
    finally:
        upload.seek(0)
    if image_format not in ALLOWED_FORMATS:
        raise InvalidInput(
            gettext_noop("%(name)s: %(format)s images are not accepted: send a JPEG, PNG, WebP or GIF photo"),
            name=name,
            format=image_format,
            field="photos",
        )
    # verify() reads the structure, not the pixels: a file cut short passes it, and could then never be
    # shown. Decoding every frame's pixels is the proof (the same work the display copy needs later).
    try:
        with Image.open(upload) as image:
            for _frame in ImageSequence.Iterator(image):
                image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InvalidInput(
            gettext_noop(
                "%(name)s is incomplete or damaged (its image data ends early or does not decode): send the"
                " whole photo again"
            ),
            name=name,
            field="photos",
        ) from exc
    finally:
        upload.seek(0)
    upload._photo_format = image_format
    return image_format


def photos_validate(uploads: Iterable[UploadedFile]) -> list[UploadedFile]:
    uploads = list(uploads)
    if len(uploads) > MAX_PHOTOS:
        raise InvalidInput(gettext_noop("at most %(n)s photos per step"), n=MAX_PHOTOS, field="photos")
    for upload in uploads:
        photo_validate(upload)
    return uploads


def photo_sha256(upload) -> str:
    """The SHA-256 of the file as uploaded (the original kept as evidence)."""
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in iter(lambda: upload.read(1 << 16), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def photos_attach(
    *, case: Case, uploads: list[UploadedFile], kind: str, actor, at, taken: list | None = None
) -> list[CasePhoto]:
    """Store the uploads with their SHA-256 (and camera time, `taken`, when the caller read it); their
    display copies and thumbnails are made by a task after commit. The caller puts the hashes into the
    step's event (`photo_hashes`), so a file swapped later no longer matches the chain."""
    photos = []
    for index, upload in enumerate(uploads):
        sha256 = photo_sha256(upload)
        upload.name = f"{uuid.uuid4().hex}.{_EXTENSIONS[photo_validate(upload)]}"
        photos.append(
            CasePhoto.objects.create(
                case=case,
                image=upload,
                kind=kind,
                uploaded_by=actor,
                created_at=at,
                sha256=sha256,
                taken_at=taken[index] if taken else None,
            )
        )
    for photo in photos:
        enqueue_on_commit(DERIVATIVES_TASK, photo.pk)
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


def photo_copy_response(photo: CasePhoto, variant: str, *, cache: str) -> FileResponse:
    """Serve the EXIF-free copy ("display" or "thumb") of a photo; never the original upload.

    The caller has checked who may see the photo. Copies are made here if the task has not run yet (no
    worker, broker down) rather than showing nothing.
    """
    if variant not in ("thumb", "display"):
        raise Http404("No such photo variant")
    if not (photo.display and photo.thumbnail):
        try:
            photo = photo_derivatives_make(photo_id=photo.pk)
        except (OSError, ValueError, Image.DecompressionBombError) as exc:  # an unreadable original
            raise Http404("The photo cannot be read") from exc
    field = photo.thumbnail if variant == "thumb" else photo.display
    try:
        handle = field.open("rb")
    except (OSError, ValueError) as exc:
        raise Http404("The photo file is missing") from exc
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = f"{cache}, max-age=86400"
    return response
