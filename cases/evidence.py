"""Evidence a step of a case must bring, and the on-site proof of a verification.

The rules are data (`EvidenceRule`, per category: a minor class's own row, else its major class's, else
`DEFAULT_RULES`): how many photos a report, a resolution and a verification need, and whether the step must
be taken on site. A step that lacks them is refused in the service, so the web, the API, Open311 and tasks
are held to the same rule.

On-site proof is never one claim trusted alone: the device's position and its accuracy are compared with the
case's location (`ON_SITE_RADIUS_M`); the camera's own time (EXIF) and the time the device gives for the
photo are compared with each other and with the server's clock; and where the verifier is on a patrol, the
patrol's track must have been there (the patrols app answers through `track_witness_register`). What is
found goes into the step's event (hash-chained): `{"evidence": {...}}` with its `flags`.
"""

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_noop
from PIL import Image

from gridmgmt.caching import ProcessCache
from gridmgmt.errors import InvalidInput
from grids.geometry import distance_m

from .models import Case, EvidenceRule
from .words import category_name

Step = EvidenceRule.Step
Position = EvidenceRule.Position


@dataclass(frozen=True)
class Rule:
    min_photos: int
    position: str


# The shipped default: a photo of the fix, a photo at verification, and verification on site.
DEFAULT_RULES = {
    Step.REPORT: Rule(0, Position.NONE),
    Step.RESOLVE: Rule(1, Position.NONE),
    Step.VERIFY: Rule(1, Position.REQUIRE),
}

# What an on-site check can find wrong; each is named on the case's timeline and counted in evaluation.
FLAG_NO_POSITION = "no_position"
FLAG_OFF_SITE = "off_site"
FLAG_IMPRECISE = "imprecise"
FLAG_TRACK_ABSENT = "track_absent"
FLAG_PHOTO_STALE = "photo_stale"
FLAG_PHOTO_FUTURE = "photo_future"
FLAG_PHOTO_TIMES_DISAGREE = "photo_times_disagree"
# Two clocks (camera, device) disagreeing by more than this are flagged; clocks drift, not by this much.
PHOTO_TIMES_TOLERANCE = dt.timedelta(minutes=10)
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


def _rules_load() -> dict[tuple[int, str], Rule]:
    return {
        (category_id, step): Rule(min_photos, position)
        for category_id, step, min_photos, position in EvidenceRule.objects.values_list(
            "category_id", "step", "min_photos", "position"
        )
    }


# Every report, resolution and verification asks for its rule: each process keeps the (few) rows for
# CATEGORIES_CACHE_SECONDS, and forgets them when one is saved here (cases.apps).
evidence_rules = ProcessCache(_rules_load, seconds_setting="CATEGORIES_CACHE_SECONDS")


def rule_for(category, step: str) -> Rule:
    """The rule of `step` for a case of `category`: the minor class's own, else its major class's, else the
    default."""
    rules = evidence_rules.get()
    for category_id in (category.pk, category.parent_id):
        if (category_id, step) in rules:
            return rules[(category_id, step)]
    return DEFAULT_RULES[step]


@dataclass(frozen=True)
class DevicePosition:
    """Where the device was when the step was taken, as it says, and when it says the photo was taken."""

    lat: float
    lng: float
    accuracy: float  # metres (the radius of 68 % confidence, as GeolocationCoordinates.accuracy)

    def as_data(self) -> dict:
        return {"lat": round(self.lat, 7), "lng": round(self.lng, 7), "accuracy": round(self.accuracy, 1)}


_POSITION_BAD = gettext_noop(
    "the device position needs numeric latitude (±90), longitude (±180) and accuracy in metres (0–10000)"
)


def position_parse(lat, lng, accuracy) -> DevicePosition | None:
    """A device position from form or API values; None when none was given (all three empty)."""
    given = [value for value in (lat, lng, accuracy) if value not in (None, "")]
    if not given:
        return None
    try:
        lat, lng, accuracy = float(lat), float(lng), float(accuracy)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(_POSITION_BAD, field="position") from exc
    finite = all(math.isfinite(v) for v in (lat, lng, accuracy))
    if not finite or not (-90 <= lat <= 90 and -180 <= lng <= 180 and 0 <= accuracy <= 10_000):
        raise InvalidInput(_POSITION_BAD, field="position")
    return DevicePosition(lat, lng, accuracy)


def taken_at_parse(value) -> dt.datetime | None:
    """The time the device says the photo was taken: ISO 8601 (zoneless = the site's zone) or epoch
    milliseconds (what a browser's File.lastModified gives)."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        moment = value
    else:
        text = str(value).strip()
        try:
            moment = (
                dt.datetime.fromtimestamp(int(text) / 1000, tz=dt.UTC)
                if text.isdigit()
                else dt.datetime.fromisoformat(text)
            )
        except (ValueError, OverflowError, OSError) as exc:
            raise InvalidInput(
                gettext_noop("the photo time must be an ISO 8601 date and time or epoch milliseconds"),
                field="taken_at",
            ) from exc
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


# EXIF: DateTimeOriginal and its offset live in the Exif sub-IFD.
_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 0x9003
_OFFSET_TIME_ORIGINAL = 0x9011


def photo_taken_at(upload) -> dt.datetime | None:
    """When the camera says the photo was taken (EXIF DateTimeOriginal, with its offset if given, else in
    the site's zone); None when the file says nothing readable."""
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            exif = image.getexif().get_ifd(_EXIF_IFD)
    except (OSError, ValueError, SyntaxError):
        return None
    finally:
        upload.seek(0)
    text = exif.get(_DATETIME_ORIGINAL)
    if not isinstance(text, str):
        return None
    try:
        moment = dt.datetime.strptime(text.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = exif.get(_OFFSET_TIME_ORIGINAL)
    if isinstance(offset, str):
        try:
            return dt.datetime.fromisoformat(moment.isoformat() + offset.strip("\x00 "))
        except ValueError:
            pass
    return timezone.make_aware(moment)


# The patrols app answers "was this person's running patrol there?": "near", "absent", or None (no patrol
# running, nothing to say). Registered from its AppConfig.ready (it stands above cases).
TrackWitness = Callable[[object, float, float, dt.datetime], str | None]
_track_witnesses: list[TrackWitness] = []


def track_witness_register(witness: TrackWitness) -> None:
    if witness not in _track_witnesses:
        _track_witnesses.append(witness)


def _track(actor, lat: float, lng: float, at: dt.datetime) -> str | None:
    answers = [witness(actor, lat, lng, at) for witness in _track_witnesses]
    if "near" in answers:
        return "near"
    return "absent" if "absent" in answers else None


_STEP_PHOTOS = {
    Step.REPORT: gettext_noop("a report of %(category)s needs at least %(n)s photo(s) of the problem"),
    Step.RESOLVE: gettext_noop("resolving a case of %(category)s needs at least %(n)s photo(s) of the fix"),
    Step.VERIFY: gettext_noop(
        "verifying a case of %(category)s needs at least %(n)s photo(s) taken at the verification"
    ),
}


def photos_required(category, step: str, count: int, *, rule: Rule | None = None) -> Rule:
    """Refuse a step with fewer photos than its rule asks for; returns the rule."""
    rule = rule or rule_for(category, step)
    if count < rule.min_photos:
        raise InvalidInput(
            _STEP_PHOTOS[step], category=category_name(category), n=rule.min_photos, field="photos"
        )
    return rule


def on_site_check(
    *,
    case: Case,
    step: str,
    actor,
    rule: Rule,
    position: DevicePosition | None,
    photo_times: Sequence[dt.datetime | None],
    device_taken_at: dt.datetime | None,
    now: dt.datetime,
) -> dict:
    """What the step's position and photo times show, as the event's `evidence` data; InvalidInput when
    the rule requires the step on site and it is not (or says nothing of where it is)."""
    radius = settings.ON_SITE_RADIUS_M
    flags: list[str] = []
    data: dict = {"rule": rule.position, "radius_m": radius}
    if position is None:
        if rule.position == Position.REQUIRE:
            raise InvalidInput(
                gettext_noop(
                    "this step must be taken on site: allow the device to share its position and send it"
                    " with the step"
                ),
                field="position",
            )
        if rule.position == Position.FLAG:
            flags.append(FLAG_NO_POSITION)
    else:
        distance = distance_m(position.lat, position.lng, case.lat, case.lng)
        data.update(position=position.as_data(), distance_m=round(distance, 1))
        if position.accuracy > radius:
            flags.append(FLAG_IMPRECISE)
        if distance > radius:
            flags.append(FLAG_OFF_SITE)
        data["on_site"] = distance <= radius and position.accuracy <= radius
        if rule.position == Position.REQUIRE and not data["on_site"]:
            raise InvalidInput(
                gettext_noop(
                    "the device is %(distance)s m from the case (accuracy %(accuracy)s m); this step must be"
                    " taken within %(radius)s m of it"
                ),
                distance=round(distance),
                accuracy=round(position.accuracy),
                radius=round(radius),
                field="position",
            )
        track = _track(actor, position.lat, position.lng, now) if rule.position != Position.NONE else None
        if track is not None:
            data["track"] = track
            if track == "absent":
                flags.append(FLAG_TRACK_ABSENT)
    flags += _photo_time_flags(photo_times, device_taken_at, now, data)
    data["flags"] = flags
    return data


def _photo_time_flags(
    photo_times: Sequence[dt.datetime | None],
    device_taken_at: dt.datetime | None,
    now: dt.datetime,
    data: dict,
) -> list[str]:
    camera = [t for t in photo_times if t is not None]
    if device_taken_at is not None:
        data["device_taken_at"] = device_taken_at.isoformat()
    if camera:
        data["camera_taken_at"] = [t.isoformat() for t in camera]
    flags = []
    moments = camera + ([device_taken_at] if device_taken_at else [])
    oldest_allowed = now - dt.timedelta(minutes=settings.EVIDENCE_PHOTO_MAX_AGE_MINUTES)
    if any(t < oldest_allowed for t in moments):
        flags.append(FLAG_PHOTO_STALE)
    if any(t > now + FUTURE_TOLERANCE for t in moments):
        flags.append(FLAG_PHOTO_FUTURE)
    if camera and device_taken_at and any(abs(t - device_taken_at) > PHOTO_TIMES_TOLERANCE for t in camera):
        flags.append(FLAG_PHOTO_TIMES_DISAGREE)
    return flags
