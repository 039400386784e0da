"""Plausibility of a patrol's track: what it flags, never what it silently drops.

Pure functions over the stored points (no database): `track_check` reads the points in the device's time
order and names every kind of doubt with a code (the API's contract: speed, jump, accuracy, order, future,
silence, late; `outside` and `copied` need the grid layer and earlier patrols and are added by
patrols.services). Each flag says how often it happened, a message template with its parameters (shown in
the reader's language), and where (points or segments, for the map).

Which points make the track: those with usable accuracy, not time-stamped in the future nor out of order
within their batch, in `recorded_at` order (batches that arrived out of order are merged by time: an outbox
may send an older batch after a newer one). Points recorded before the server heard of the start, or after
it heard of the end, belong to the track: a phone without signal starts and ends patrols late. A teleport is
not walked: the segment of a jump adds no distance and no coverage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext_noop

from gridmgmt.figures import percent_value
from grids.geometry import distance_m

# The most places one flag lists for the map: enough to see the pattern, bounded for the page.
WHERE_LIMIT = 200

MESSAGES = {
    "speed": gettext_noop("%(count)s segments faster than %(limit)s km/h (fastest %(worst)s km/h)"),
    "jump": gettext_noop(
        "%(count)s jumps of %(limit)s m or more at an impossible speed (longest %(worst)s m)"
    ),
    "accuracy": gettext_noop("%(count)s points less accurate than %(limit)s m"),
    "order": gettext_noop("%(count)s points time-stamped out of order"),
    "future": gettext_noop("%(count)s points time-stamped in the future"),
    "silence": gettext_noop("%(count)s silences longer than %(limit)s minutes (longest %(worst)s minutes)"),
    "late": gettext_noop("%(count)s points sent more than %(limit)s minutes after they were recorded"),
    "outside": gettext_noop("%(share)s%% of the track lies outside the patroller's grids"),
    "copied": gettext_noop("%(share)s%% of the track repeats patrol %(other)s"),
}


@dataclass(frozen=True)
class Point:
    lat: float
    lng: float
    accuracy: float
    recorded_at: dt.datetime
    received_at: dt.datetime
    batch: int  # the batch's id: order is judged within what one device sent at once
    seq: int


@dataclass
class Flag:
    code: str
    count: int = 0
    worst: float = 0.0
    where: list = field(default_factory=list)
    params: dict = field(default_factory=dict)

    def add(self, where, worst: float = 0.0) -> None:
        self.count += 1
        self.worst = max(self.worst, worst)
        if len(self.where) < WHERE_LIMIT:
            self.where.append(where)

    def as_dict(self) -> dict:
        params = {"count": self.count, **self.params}
        if "worst" in MESSAGES[self.code]:
            params["worst"] = round(self.worst)
        return {
            "code": self.code,
            "count": self.count,
            "message": MESSAGES[self.code],
            "params": params,
            "where": self.where,
        }


@dataclass
class Checked:
    """The track's points (in time order), its walked segments and the flags raised."""

    track: list[Point]
    segments: list[tuple[Point, Point]]
    flags: list[dict]
    distance_m: float


def _limits() -> dict:
    return {
        "speed": settings.PATROL_MAX_SPEED_KMH,
        "jump_m": settings.PATROL_JUMP_M,
        "jump_speed": settings.PATROL_JUMP_SPEED_KMH,
        "accuracy": settings.PATROL_MAX_ACCURACY_M,
        "silence": settings.PATROL_SILENCE_S,
        "late": settings.PATROL_LATE_S,
        "future": settings.PATROL_FUTURE_S,
    }


def _at(p: Point) -> list:
    return [round(p.lat, 6), round(p.lng, 6)]


def track_check(points: Sequence[Point], *, started_at: dt.datetime, ended_at: dt.datetime) -> Checked:
    """Flag what is implausible in `points` (in arrival order) of a patrol that ran from `started_at` to
    `ended_at`, and return the track made of the usable points."""
    limit = _limits()
    flags = {
        "speed": Flag("speed", params={"limit": round(limit["speed"])}),
        "jump": Flag("jump", params={"limit": round(limit["jump_m"])}),
        "accuracy": Flag("accuracy", params={"limit": round(limit["accuracy"])}),
        "order": Flag("order"),
        "future": Flag("future"),
        "silence": Flag("silence", params={"limit": round(limit["silence"] / 60)}),
        "late": Flag("late", params={"limit": round(limit["late"] / 60)}),
    }
    usable: list[Point] = []
    previous: dict[int, Point] = {}
    for p in points:
        before = previous.get(p.batch)
        previous[p.batch] = p
        if p.recorded_at - p.received_at > dt.timedelta(seconds=limit["future"]):
            flags["future"].add(_at(p))
            continue
        if (p.received_at - p.recorded_at).total_seconds() > limit["late"]:
            flags["late"].add(_at(p))  # still part of the track: an outbox may hold points a while
        # A device records in time order and sends a batch as recorded: going back in time within a batch
        # is not something a phone does. (Batches themselves may arrive in any order.)
        if before is not None and (
            p.recorded_at < before.recorded_at
            or (p.recorded_at == before.recorded_at and (p.lat, p.lng) != (before.lat, before.lng))
        ):
            flags["order"].add(_at(p))
            continue
        if p.accuracy > limit["accuracy"]:
            flags["accuracy"].add(_at(p))
            continue
        usable.append(p)
    usable.sort(key=lambda p: (p.recorded_at, p.seq))
    track: list[Point] = []
    for p in usable:  # one position per instant: a duplicate timestamp from two batches is the same fix
        if track and p.recorded_at == track[-1].recorded_at:
            continue
        track.append(p)

    segments: list[tuple[Point, Point]] = []
    walked = 0.0
    for a, b in zip(track, track[1:], strict=False):
        seconds = (b.recorded_at - a.recorded_at).total_seconds()
        metres = distance_m(a.lat, a.lng, b.lat, b.lng)
        kmh = metres / seconds * 3.6 if seconds > 0 else float("inf")
        if seconds > limit["silence"]:
            flags["silence"].add([_at(a), _at(b)], seconds / 60)
        if metres >= limit["jump_m"] and kmh > limit["jump_speed"]:
            flags["jump"].add([_at(a), _at(b)], metres)
            continue  # a teleport is not walked
        if kmh > limit["speed"]:
            flags["speed"].add([_at(a), _at(b)], kmh)
        segments.append((a, b))
        walked += metres
    # The silences at either end: a patrol that records nothing for its first or last stretch.
    ends = (
        [(started_at, track[0].recorded_at), (track[-1].recorded_at, ended_at)]
        if track
        else [(started_at, ended_at)]
    )
    for begin, end in ends:
        gap = (end - begin).total_seconds()
        if gap > limit["silence"]:
            near = _at(track[0] if begin == started_at and track else track[-1]) if track else None
            flags["silence"].add([near, near] if near else [], gap / 60)
    raised = [f.as_dict() for f in flags.values() if f.count]
    return Checked(track=track, segments=segments, flags=raised, distance_m=walked)


def share_flag(code: str, share: float, **params) -> dict:
    """A flag about the whole track (outside, copied): its share as a percentage by the one rounding rule."""
    percent = float(percent_value(share))
    return {
        "code": code,
        "count": 1,
        "message": MESSAGES[code],
        "params": {"share": percent, **params},
        "where": [],
    }
