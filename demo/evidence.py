"""The demo's evidence: photos of a fix and of its verification, made on the spot (no files shipped), with
the camera time of the step in their EXIF, and the verifier's phone position a few metres from the case."""

import datetime as dt
import io
import math
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from cases.evidence import DevicePosition
from grids.geometry import M_PER_DEG_LAT, M_PER_DEG_LON_EQUATOR

_EXIF_IFD, _DATETIME_ORIGINAL = 0x8769, 0x9003
# A street scene in flat colours: sky, pavement, and a kerb line, with the step's own tint.
_TINTS = {"evidence": (96, 150, 96), "verification": (90, 120, 170)}


def demo_photo(kind: str, at: dt.datetime, rng: random.Random) -> SimpleUploadedFile:
    """A 640 × 480 JPEG whose EXIF says it was taken at `at` (local time, as a phone writes it)."""
    image = Image.new("RGB", (640, 480), (200, 210, 220))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 300, 640, 480), fill=(150, 150, 140))
    draw.line((0, 300 + rng.randint(-20, 20), 640, 300 + rng.randint(-20, 20)), fill=(90, 90, 90), width=6)
    x, y = rng.randint(120, 420), rng.randint(200, 320)
    draw.ellipse((x, y, x + 120, y + 80), fill=_TINTS.get(kind, (160, 120, 80)))
    exif = Image.Exif()
    exif.get_ifd(_EXIF_IFD)[_DATETIME_ORIGINAL] = timezone.localtime(at).strftime("%Y:%m:%d %H:%M:%S")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=70, exif=exif)
    return SimpleUploadedFile(f"{kind}.jpg", buffer.getvalue(), content_type="image/jpeg")


def demo_position(case, rng: random.Random) -> DevicePosition:
    """Where the verifier's phone says it is: within 40 m of the case, 5–20 m accurate."""
    metres, bearing = rng.uniform(3, 40), rng.uniform(0, 2 * math.pi)
    lat = case.lat + metres * math.cos(bearing) / M_PER_DEG_LAT
    lng = case.lng + metres * math.sin(bearing) / (M_PER_DEG_LON_EQUATOR * math.cos(math.radians(case.lat)))
    return DevicePosition(lat, lng, round(rng.uniform(5, 20), 1))
