"""Every write to a patrol: start, points by batch, end, the computed figures, a supervisor's decision, and
the link from a case reported on patrol. Views, the API, tasks and the demo all call these.

A patrol's record is append-only and hash-chained (patrols.audit). Points arrive in batches keyed by the
client: a resent batch (the page retried, the outbox replayed) adds nothing and answers as the first time.
Batches may arrive in any order and after the end (an outbox that was offline): they are kept, and the
figures are computed again — until a supervisor has decided on the patrol, after which its record is closed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy, gettext_noop

from cases.models import Case
from gridmgmt import policy
from gridmgmt.bulk import rows_insert
from gridmgmt.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from gridmgmt.tasking import enqueue_on_commit
from gridmgmt.text import text_check
from grids import selectors as grid_selectors

from . import audit, coverage, plausibility
from .models import Patrol, PatrolBatch, PatrolCase, PatrolEvent, PatrolPoint, TrackPrint

logger = logging.getLogger(__name__)

COMPUTE_TASK = "patrols.tasks.patrol_compute_task"

ONLY_PATROLLERS = gettext_noop("only grid administrators with a grid start patrols")
NOT_YOURS = gettext_noop("this is not your patrol")
REVIEWED = gettext_noop("a supervisor has decided on this patrol: its record is closed")
ONLY_SUPERVISORS = gettext_noop("only supervisors decide on flagged patrols")


# --- input --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PointIn:
    lat: float
    lng: float
    accuracy: float
    recorded_at: dt.datetime


def number_parse(raw, *, what, field: str, low: float, high: float) -> float:
    """A number within [low, high] (NaN and booleans refused), or InvalidInput naming `what` (a word, or
    the place in a batch such as `points[3].lat`)."""
    if isinstance(raw, bool) or raw is None or raw == "":
        raise InvalidInput(gettext_noop("%(what)s is not a number"), what=what, field=field)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise InvalidInput(gettext_noop("%(what)s is not a number"), what=what, field=field) from None
    if not (low <= value <= high):  # also refuses NaN
        raise InvalidInput(
            gettext_noop("%(what)s must be between %(low)s and %(high)s"),
            what=what,
            low=low,
            high=high,
            field=field,
        )
    return value


# Epoch times from a browser's Geolocation API come in milliseconds; numbers above this are taken as such.
_EPOCH_MS_ABOVE = 100_000_000_000


def _instant(raw, *, field: str) -> dt.datetime:
    """An ISO 8601 time (without a zone: the server's zone, as Django reads local times) or epoch seconds
    or milliseconds (what `GeolocationPosition.timestamp` gives)."""
    value = None
    if isinstance(raw, int | float) and not isinstance(raw, bool) and 0 < raw < 10**14:
        seconds = raw / 1000 if raw > _EPOCH_MS_ABOVE else raw
        value = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    elif isinstance(raw, str) and len(raw) <= 40:
        try:
            value = parse_datetime(raw)
        except ValueError:  # well formed but impossible (month 13)
            value = None
        if value is not None and timezone.is_naive(value):
            value = timezone.make_aware(value)
    if value is None:
        raise InvalidInput(
            gettext_noop("%(name)s must be a date and time such as 2026-12-07T09:30:00+08:00"),
            name=field,
            field=field,
        )
    return value


def _number_at(raw, place: str, *, low: float, high: float) -> float:
    return number_parse(raw, what=place, field=place, low=low, high=high)


def points_parse(raw) -> list[PointIn]:
    """The `points` of a batch: a list of {lat, lng, accuracy, recorded_at}; the first fault is named by
    its place (`points[3].lat`), so a client can show exactly what it sent wrong."""
    if not isinstance(raw, list) or not raw:
        raise InvalidInput(gettext_noop("points must be a non-empty list"), field="points")
    limit = settings.PATROL_MAX_POINTS_PER_BATCH
    if len(raw) > limit:
        raise InvalidInput(gettext_noop("a batch holds at most %(n)s points"), n=limit, field="points")
    parsed = []
    for i, item in enumerate(raw):
        where = f"points[{i}]"
        if not isinstance(item, dict):
            raise InvalidInput(gettext_noop("%(name)s must be an object"), name=where, field=where)
        parsed.append(
            PointIn(
                lat=_number_at(item.get("lat"), f"{where}.lat", low=-90, high=90),
                lng=_number_at(item.get("lng"), f"{where}.lng", low=-180, high=180),
                accuracy=_number_at(item.get("accuracy"), f"{where}.accuracy", low=0, high=100_000),
                recorded_at=_instant(item.get("recorded_at"), field=f"{where}.recorded_at"),
            )
        )
    return parsed


def batch_key_check(raw) -> str:
    if not isinstance(raw, str) or not (1 <= len(raw) <= 64) or not raw.isprintable():
        raise InvalidInput(gettext_noop("batch must be a key of 1 to 64 printable characters"), field="batch")
    return raw


# --- start, points, end -------------------------------------------------------------------------------------


def _locked(patrol_id: int) -> Patrol:
    return Patrol.objects.select_for_update().get(pk=patrol_id)


def patrol_start(*, actor, at: dt.datetime | None = None) -> tuple[Patrol, bool]:
    """Start a patrol for `actor`, or answer with the one already running (a double tap, a second phone):
    (patrol, created)."""
    if not policy.can_patrol(actor):
        raise NotAllowed(ONLY_PATROLLERS)
    running = Patrol.objects.filter(patroller=actor, state=Patrol.State.RUNNING).first()
    if running is not None:
        return running, False
    at = at or timezone.now()
    try:
        with transaction.atomic():
            patrol = Patrol.objects.create(patroller=actor, started_at=at)
            audit.event_append(patrol=patrol, action=PatrolEvent.Action.START, actor=actor, at=at)
            patrol.save(update_fields=["audit_seq", "audit_head"])
    except IntegrityError:  # another request of the same person started one first
        return Patrol.objects.get(patroller=actor, state=Patrol.State.RUNNING), False
    return patrol, True


@dataclass(frozen=True)
class BatchResult:
    patrol: Patrol
    batch: str
    added: int  # points this request added: 0 for a resent batch
    replay: bool


def _check_own_open(patrol: Patrol, actor) -> None:
    if patrol.patroller_id != actor.pk:
        raise NotAllowed(NOT_YOURS)
    if patrol.review in (Patrol.Review.ACCEPTED, Patrol.Review.REJECTED):
        raise InvalidTransition(REVIEWED)


def patrol_points_add(
    *, patrol: Patrol, actor, batch: str, points: Sequence[PointIn] | list, now: dt.datetime | None = None
) -> BatchResult:
    """Append a batch of points. A batch key seen before adds nothing (whatever the resend carries).

    Points may arrive after the patrol ended (an outbox that was offline): they are kept and the figures
    computed again, unless a supervisor has decided on the patrol.
    """
    if patrol.patroller_id != actor.pk:
        raise NotAllowed(NOT_YOURS)
    batch = batch_key_check(batch)
    # Callers with points already read (the demo, benches) pass PointIn; anything else is checked here.
    ready = isinstance(points, list | tuple) and points and all(isinstance(p, PointIn) for p in points)
    parsed = list(points) if ready else points_parse(points)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            locked = _locked(patrol.pk)
            existing = PatrolBatch.objects.filter(patrol=locked, key=batch).first()
            if existing is not None:
                return BatchResult(patrol=locked, batch=batch, added=0, replay=True)
            _check_own_open(locked, actor)
            if locked.point_count + len(parsed) > settings.PATROL_MAX_POINTS:
                raise InvalidInput(
                    gettext_noop("a patrol holds at most %(n)s points: end this one and start another"),
                    n=settings.PATROL_MAX_POINTS,
                    field="points",
                )
            row = PatrolBatch.objects.create(
                patrol=locked, key=batch, received_at=now, point_count=len(parsed), digest=""
            )
            rows = [
                PatrolPoint(
                    patrol_id=locked.pk,
                    batch_id=row.pk,
                    seq=locked.point_count + i + 1,
                    lat=p.lat,
                    lng=p.lng,
                    accuracy=p.accuracy,
                    recorded_at=p.recorded_at,
                    received_at=now,
                )
                for i, p in enumerate(parsed)
            ]
            rows_insert(PatrolPoint, rows)
            # Floats and microsecond instants come back from the database exactly as sent.
            row.digest = audit.points_digest(rows)
            row.save(update_fields=["digest"])
            audit.event_append(
                patrol=locked,
                action=PatrolEvent.Action.POINTS,
                actor=actor,
                at=now,
                data={"batch": batch, "count": len(rows), "digest": row.digest},
            )
            locked.point_count += len(rows)
            fields = ["point_count", "audit_seq", "audit_head"]
            if locked.state == Patrol.State.COMPUTED:  # late points: the figures are computed again
                locked.state = Patrol.State.ENDED
                fields.append("state")
                enqueue_on_commit(COMPUTE_TASK, locked.pk)
            locked.save(update_fields=fields)
    except IntegrityError:  # the same batch key committed by a concurrent request first
        return BatchResult(patrol=Patrol.objects.get(pk=patrol.pk), batch=batch, added=0, replay=True)
    return BatchResult(patrol=locked, batch=batch, added=len(rows), replay=False)


def patrol_end(*, patrol: Patrol, actor, at: dt.datetime | None = None) -> Patrol:
    """End a running patrol. Ending it again changes nothing.

    Its figures are computed by a worker after commit; a patrol of ordinary length (up to
    `PATROL_COMPUTE_AT_END_POINTS` points: tens of milliseconds) is computed at once as well, when the end is
    committed on its own, so the patroller sees the coverage on the next page. The task then finds it done.
    """
    if patrol.patroller_id != actor.pk:
        raise NotAllowed(NOT_YOURS)
    at = at or timezone.now()
    with transaction.atomic():
        locked = _locked(patrol.pk)
        if locked.state != Patrol.State.RUNNING:
            return locked
        locked.state, locked.ended_at = Patrol.State.ENDED, max(at, locked.started_at)
        audit.event_append(patrol=locked, action=PatrolEvent.Action.END, actor=actor, at=locked.ended_at)
        locked.save(update_fields=["state", "ended_at", "audit_seq", "audit_head"])
        enqueue_on_commit(COMPUTE_TASK, locked.pk)
    if (
        locked.point_count <= settings.PATROL_COMPUTE_AT_END_POINTS
        and not transaction.get_connection().in_atomic_block
    ):
        try:
            return patrol_compute(patrol_id=locked.pk) or locked
        except Exception:  # noqa: BLE001 - the end is committed; the task computes it again
            logger.exception("patrol %s: computing the figures at its end failed; the task will", locked.pk)
    return locked


# --- figures ------------------------------------------------------------------------------------------------


def _points_of(patrol: Patrol) -> list[plausibility.Point]:
    rows = PatrolPoint.objects.filter(patrol=patrol).order_by("seq")
    return [
        plausibility.Point(
            lat=lat, lng=lng, accuracy=acc, recorded_at=rec, received_at=recv, batch=batch_id, seq=seq
        )
        for lat, lng, acc, rec, recv, batch_id, seq in rows.values_list(
            "lat", "lng", "accuracy", "recorded_at", "received_at", "batch_id", "seq"
        )
    ]


def _copied_from(patrol: Patrol, prints: list[int]) -> tuple[int, float] | None:
    """The earlier patrol whose fingerprints this track repeats most, with the share repeated."""
    if not prints:
        return None
    from django.db.models import Count

    best = (
        TrackPrint.objects.filter(print_hash__in=prints, patrol_id__lt=patrol.pk)
        .values("patrol_id")
        .annotate(shared=Count("id"))
        .order_by("-shared", "patrol_id")
        .first()
    )
    if best is None:
        return None
    return best["patrol_id"], best["shared"] / len(prints)


@dataclass(frozen=True)
class Figures:
    """What the computation derives from the points (the same for the task, the bench and the tests)."""

    checked: plausibility.Checked
    grid_ids: list[int]
    coverage: dict[int, float]
    minutes: dict[int, float]
    outside: float | None
    prints: list[int]


def figures_compute(points: Sequence[plausibility.Point], *, started_at, ended_at, own: set[int]) -> Figures:
    """Flags, touched grids, coverage of the touched and `own` grids, minutes per grid, outside share."""
    checked = plausibility.track_check(points, started_at=started_at, ended_at=ended_at)
    line = coverage.segments_line(checked.segments)
    touched: dict[int, object] = {}
    if line is not None:
        touched = dict(grid_selectors.grids_intersecting(line))
    grids = {**grid_selectors.grid_geometries(own), **touched}
    shares: dict[int, float] = {}
    minutes: dict[int, float] = {}
    outside = None
    if grids:
        lat0 = checked.track[0].lat if checked.track else next(iter(grids.values())).centroid.y
        projection = coverage.Projection(lat0)
        area = (
            coverage.buffered(line, width_m=settings.PATROL_BUFFER_M, projection=projection)
            if line is not None
            else None
        )
        shares = coverage.coverage_shares(area, grids, projection=projection)
    if checked.segments:
        mids_lat = [(a.lat + b.lat) / 2 for a, b in checked.segments]
        mids_lng = [(a.lng + b.lng) / 2 for a, b in checked.segments]
        at_mid = grid_selectors.grid_locate_many(zip(mids_lat, mids_lng, strict=True))
        minutes = coverage.minutes_in(checked.segments, lambda _lats, _lngs: at_mid)
        if own:
            outside = coverage.outside_share(checked.segments, at_mid, own)
    return Figures(
        checked=checked,
        grid_ids=sorted(touched),
        coverage=shares,
        minutes=minutes,
        outside=outside,
        # Every position, flagged or not: a forger replaying old points verbatim (times and all) is caught.
        prints=coverage.track_prints(sorted(points, key=lambda p: (p.recorded_at, p.seq))),
    )


def patrol_compute(*, patrol_id: int) -> Patrol | None:
    """Compute an ended patrol's figures and flags; a clean patrol counts at once, a flagged one waits for a
    supervisor. Idempotent: a patrol already computed (or still running) is left as it is."""
    with transaction.atomic():
        patrol = Patrol.objects.select_for_update().filter(pk=patrol_id).first()
        if patrol is None or patrol.state != Patrol.State.ENDED:
            return patrol
        own = policy.patrol_grid_ids(patrol.patroller)
        figures = figures_compute(
            _points_of(patrol), started_at=patrol.started_at, ended_at=patrol.ended_at, own=own
        )
        flags = list(figures.checked.flags)
        if figures.outside is not None and figures.outside > settings.PATROL_OUTSIDE_SHARE:
            flags.append(plausibility.share_flag("outside", figures.outside))
        copied = _copied_from(patrol, figures.prints)
        if copied is not None and copied[1] >= settings.PATROL_COPIED_SHARE:
            flags.append(plausibility.share_flag("copied", copied[1], other=copied[0]))
        TrackPrint.objects.filter(patrol=patrol).delete()
        TrackPrint.objects.bulk_create([TrackPrint(patrol=patrol, print_hash=h) for h in figures.prints])
        now = timezone.now()
        patrol.state = Patrol.State.COMPUTED
        patrol.computed_at = now
        # From the start (or the first point, when the phone started before the server heard of it) to the end
        # (or the last point, sent after the end by an outbox).
        track = figures.checked.track
        began = min([patrol.started_at, *([track[0].recorded_at] if track else [])])
        finished = max([patrol.ended_at, *([track[-1].recorded_at] if track else [])])
        patrol.duration_s = int((finished - began).total_seconds())
        patrol.distance_m = round(figures.checked.distance_m, 1)
        patrol.buffer_m = settings.PATROL_BUFFER_M
        patrol.grid_ids = figures.grid_ids
        patrol.coverage = {str(k): round(v, 4) for k, v in sorted(figures.coverage.items())}
        patrol.minutes_by_grid = {str(k): round(v, 2) for k, v in sorted(figures.minutes.items())}
        patrol.track = coverage.track_geojson(figures.checked.segments)
        patrol.flags = flags
        if patrol.review not in (Patrol.Review.ACCEPTED, Patrol.Review.REJECTED):
            patrol.review = Patrol.Review.PENDING if flags else Patrol.Review.CLEAN
        audit.event_append(
            patrol=patrol,
            action=PatrolEvent.Action.COMPUTE,
            actor=None,
            at=now,
            data={
                "points": patrol.point_count,
                "distance_m": patrol.distance_m,
                "coverage": patrol.coverage,
                "flags": sorted({f["code"] for f in flags}),
                "review": patrol.review,
            },
        )
        patrol.save()
    return patrol


# --- review and links ---------------------------------------------------------------------------------------


def patrol_review(*, patrol: Patrol, actor, accept: bool, note: str) -> Patrol:
    """A supervisor's decision on a flagged patrol: it counts in evaluation only if accepted. Recorded once,
    with who, when and why, in the patrol's chain."""
    if not policy.can_review_patrols(actor):
        raise NotAllowed(ONLY_SUPERVISORS)
    note = (note or "").strip()
    if not note:
        raise InvalidInput(gettext_noop("say why: the decision is kept with the patrol"), field="note")
    if len(note) > 2000:
        raise InvalidInput(gettext_noop("the reason is longer than %(n)s characters"), n=2000, field="note")
    text_check(note, what=gettext_lazy("the reason"), field="note")
    with transaction.atomic():
        locked = _locked(patrol.pk)
        if locked.review != Patrol.Review.PENDING:
            raise Conflict(gettext_noop("only a flagged patrol awaiting review can be decided"))
        now = timezone.now()
        locked.review = Patrol.Review.ACCEPTED if accept else Patrol.Review.REJECTED
        locked.reviewed_by, locked.reviewed_at, locked.review_note = actor, now, note
        audit.event_append(
            patrol=locked,
            action=PatrolEvent.Action.REVIEW,
            actor=actor,
            at=now,
            data={"decision": locked.review, "note": note},
        )
        locked.save(
            update_fields=["review", "reviewed_by", "reviewed_at", "review_note", "audit_seq", "audit_head"]
        )
    return locked


def patrol_case_link(case_id: int) -> None:
    """Subscriber of cases.hooks.case_reported: a case its reporter filed while on patrol joins the patrol."""
    case = Case.objects.filter(pk=case_id).only("id", "reporter_id", "reported_at", "number").first()
    if case is None or case.reporter_id is None:
        return
    with transaction.atomic():
        patrol = (
            Patrol.objects.select_for_update()
            .filter(
                patroller_id=case.reporter_id, state=Patrol.State.RUNNING, started_at__lte=case.reported_at
            )
            .first()
        )
        if patrol is None or PatrolCase.objects.filter(case_id=case_id).exists():
            return
        now = timezone.now()
        PatrolCase.objects.create(patrol=patrol, case_id=case_id, linked_at=now)
        audit.event_append(
            patrol=patrol,
            action=PatrolEvent.Action.CASE,
            actor=None,
            at=now,
            data={"case": case.number or ""},
        )
        patrol.save(update_fields=["audit_seq", "audit_head"])


def patrols_uncomputed(*, older_than: dt.timedelta = dt.timedelta(minutes=2)) -> list[int]:
    """Ended patrols whose figures were never computed (the broker was down at their end)."""
    cutoff = timezone.now() - older_than
    return list(
        Patrol.objects.filter(state=Patrol.State.ENDED, ended_at__lt=cutoff).values_list("pk", flat=True)
    )
