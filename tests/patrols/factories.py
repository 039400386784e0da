"""Builders for patrol tests: tracks walked at a given pace along given waypoints, and whole patrols."""

import datetime as dt
import math
import uuid
from types import SimpleNamespace

from django.utils import timezone

from patrols import services
from patrols.models import Patrol

M_PER_DEG_LAT = 110_540.0


def walk(
    waypoints: list[tuple[float, float]],
    *,
    start: dt.datetime,
    speed_kmh: float = 4.5,
    every_s: float = 5.0,
    accuracy: float = 8.0,
) -> list[dict]:
    """Points every `every_s` seconds along straight legs between (lat, lng) waypoints at `speed_kmh`."""
    step_m = speed_kmh / 3.6 * every_s
    points, t = [], start
    for (lat1, lng1), (lat2, lng2) in zip(waypoints, waypoints[1:], strict=False):
        kx = 111_320.0 * math.cos(math.radians(lat1))
        length = math.hypot((lat2 - lat1) * M_PER_DEG_LAT, (lng2 - lng1) * kx)
        n = max(1, int(length // step_m))
        for i in range(n):
            f = i / n
            points.append(point(lat1 + (lat2 - lat1) * f, lng1 + (lng2 - lng1) * f, t, accuracy))
            t += dt.timedelta(seconds=every_s)
    lat, lng = waypoints[-1]
    points.append(point(lat, lng, t, accuracy))
    return points


def point(lat: float, lng: float, at: dt.datetime, accuracy: float = 8.0) -> dict:
    return {"lat": lat, "lng": lng, "accuracy": accuracy, "recorded_at": at.isoformat()}


def patrol_walked(
    user, points: list[dict], *, batch_size: int = 50, started_at=None, ended_at=None, compute: bool = True
) -> Patrol:
    """A patrol of `user` that sent `points` in batches and ended, its figures computed as the task would."""
    first = dt.datetime.fromisoformat(points[0]["recorded_at"])
    last = dt.datetime.fromisoformat(points[-1]["recorded_at"])
    patrol, _ = services.patrol_start(actor=user, at=started_at or first)
    for i in range(0, len(points), batch_size):
        # Sent live: each batch a moment after its last point was recorded.
        last_in_batch = points[min(i + batch_size, len(points)) - 1]["recorded_at"]
        received = dt.datetime.fromisoformat(last_in_batch) + dt.timedelta(seconds=2)
        services.patrol_points_add(
            patrol=patrol, actor=user, batch=uuid.uuid4().hex, points=points[i : i + batch_size], now=received
        )
    patrol = services.patrol_end(patrol=patrol, actor=user, at=ended_at or last)
    if compute:
        patrol = services.patrol_compute(patrol_id=patrol.pk)
    return patrol


def patrol_world(world, places) -> SimpleNamespace:
    """What the harnesses reach the patrol pages with: grid 1's administrator has a clean computed patrol, a
    flagged one awaiting review (walked in grid 3, not theirs), a running one, and a visit to grid 1's
    organisation (from `tests.places.factories.grid_base_data`) with a need not yet a case."""
    from patrols import visits

    now = timezone.now()
    lat, lng = (world.g1.min_lat + world.g1.max_lat) / 2, (world.g1.min_lng + world.g1.max_lng) / 2
    clean = patrol_walked(
        world.gridadmin, walk([(lat, lng - 0.003), (lat, lng + 0.003)], start=now - dt.timedelta(hours=5))
    )
    lat3, lng3 = (world.g3.min_lat + world.g3.max_lat) / 2, (world.g3.min_lng + world.g3.max_lng) / 2
    flagged = patrol_walked(
        world.gridadmin, walk([(lat3, lng3 - 0.003), (lat3, lng3 + 0.003)], start=now - dt.timedelta(hours=3))
    )
    running, _ = services.patrol_start(actor=world.gridadmin, at=now - dt.timedelta(minutes=5))
    services.patrol_points_add(
        patrol=running,
        actor=world.gridadmin,
        batch="first",
        points=walk([(lat, lng), (lat + 0.001, lng)], start=now - dt.timedelta(minutes=4)),
        now=now,
    )
    visit = visits.visit_record(
        actor=world.gridadmin,
        organisation=places.organisation,
        visited_at=now - dt.timedelta(hours=1),
        lat=places.organisation.lat,
        lng=places.organisation.lng,
        accuracy=10,
        met="店主",
        notes="消防通道堆放杂物",
        needs=["清理消防通道"],
    )
    return SimpleNamespace(clean=clean, flagged=flagged, running=running, visit=visit, need=visit.needs.get())
