"""Patrol services with real geometry: coverage, every plausibility flag from a crafted track, batches that
repeat or arrive out of order, the case link, review, and who may do what."""

import datetime as dt

import pytest
from django.utils import timezone

from cases import services as case_services
from gridmgmt.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from gridmgmt.roles import Role
from patrols import services
from patrols.models import Patrol, PatrolCase, PatrolEvent, PatrolPoint
from tests import factories
from tests.factories import centre

from .factories import patrol_walked, walk

pytestmark = pytest.mark.django_db


def ago(minutes: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=minutes)


def codes(patrol: Patrol) -> set[str]:
    return {flag["code"] for flag in patrol.flags}


def g1_walk(world, *, start=None, **kwargs) -> list[dict]:
    """A 20-minute walk in g1: an L through its middle, well away from its edges."""
    lat, lng = centre(world.g1)
    waypoints = [(lat - 0.003, lng - 0.003), (lat - 0.003, lng + 0.003), (lat + 0.003, lng + 0.003)]
    return walk(waypoints, start=start or ago(40), **kwargs)


# --- coverage with real geometry -------------------------------------------------------------------------


def test_a_clean_walk_counts_at_once_with_its_coverage_minutes_and_distance(world):
    patrol = patrol_walked(world.gridadmin, g1_walk(world))
    assert patrol.state == Patrol.State.COMPUTED
    assert patrol.review == Patrol.Review.CLEAN and patrol.counts
    assert codes(patrol) == set()
    # Two legs of 0.006° (≈ 586 m east, ≈ 663 m north): about 1,250 m walked.
    assert 1_150 < patrol.distance_m < 1_350
    # Buffered 25 m each side: ≈ 1,250 m × 50 m over a grid of ≈ 1.08 km².
    share = patrol.coverage[str(world.g1.pk)]
    assert 0.05 < share < 0.065
    # g2 is one of the administrator's grids: listed with nothing covered.
    assert patrol.coverage[str(world.g2.pk)] == 0.0
    assert patrol.grid_ids == [world.g1.pk]
    assert 15 < patrol.minutes_by_grid[str(world.g1.pk)] < 20
    assert patrol.track["type"] == "MultiLineString"


def test_a_track_along_a_grid_edge_covers_both_grids_half_and_half(world):
    # The shared edge of g1 and g2 is the meridian lng = ORIGIN + STEP.
    edge_lng = world.g1.max_lng
    lat = world.g1.min_lat
    points = walk([(lat + 0.002, edge_lng), (lat + 0.008, edge_lng)], start=ago(40))
    patrol = patrol_walked(world.gridadmin, points)
    left, right = patrol.coverage[str(world.g1.pk)], patrol.coverage[str(world.g2.pk)]
    assert left > 0.01 and right > 0.01
    assert left == pytest.approx(right, rel=0.02)
    assert set(patrol.grid_ids) == {world.g1.pk, world.g2.pk}


def test_a_track_crossing_two_grids_splits_its_time_between_them(world):
    lat, _ = centre(world.g1)
    west, east = world.g1.min_lng + 0.004, world.g2.max_lng - 0.004  # 0.006° in g1, then 0.006° in g2
    points = walk([(lat, west), (lat, east)], start=ago(40))
    patrol = patrol_walked(world.gridadmin, points)
    in_g1 = patrol.minutes_by_grid[str(world.g1.pk)]
    in_g2 = patrol.minutes_by_grid[str(world.g2.pk)]
    assert in_g1 == pytest.approx(in_g2, rel=0.1)
    assert patrol.coverage[str(world.g1.pk)] == pytest.approx(patrol.coverage[str(world.g2.pk)], rel=0.1)
    assert codes(patrol) == set()


def test_the_buffer_width_is_a_setting(world, settings):
    narrow = patrol_walked(world.gridadmin, g1_walk(world, start=ago(120)))
    settings.PATROL_BUFFER_M = 50.0
    wide = patrol_walked(world.gridadmin, g1_walk(world, start=ago(60), accuracy=7.0))
    assert wide.buffer_m == 50.0
    ratio = wide.coverage[str(world.g1.pk)] / narrow.coverage[str(world.g1.pk)]
    assert 1.9 < ratio < 2.1


# --- plausibility: each flag from a crafted track -----------------------------------------------------


def test_a_ride_faster_than_walking_is_flagged_speed(world):
    lat, lng = centre(world.g1)
    start = ago(40)
    walked = walk([(lat - 0.003, lng - 0.003), (lat - 0.003, lng)], start=start)
    last = dt.datetime.fromisoformat(walked[-1]["recorded_at"])
    ride = walk([(lat - 0.003, lng), (lat + 0.003, lng)], start=last + dt.timedelta(seconds=5), speed_kmh=40)
    patrol = patrol_walked(world.gridadmin, walked + ride)
    assert codes(patrol) == {"speed"}
    flag = patrol.flags[0]
    assert flag["count"] >= 5 and flag["params"]["limit"] == 25 and flag["params"]["worst"] >= 38
    assert patrol.review == Patrol.Review.PENDING and not patrol.counts


def test_a_teleport_is_flagged_jump_and_not_walked(world):
    lat, lng = centre(world.g1)
    start = ago(40)
    a = walk([(lat - 0.003, lng - 0.003), (lat - 0.003, lng + 0.003)], start=start)
    t = dt.datetime.fromisoformat(a[-1]["recorded_at"])
    far_lat, far_lng = centre(world.g2)
    b = walk([(far_lat, far_lng), (far_lat + 0.003, far_lng)], start=t + dt.timedelta(seconds=5))
    patrol = patrol_walked(world.gridadmin, a + b)
    assert "jump" in codes(patrol)
    jump = next(f for f in patrol.flags if f["code"] == "jump")
    assert jump["count"] == 1 and len(jump["where"][0]) == 2  # one segment, drawn on the map
    # The jump itself (≈ 1 km) is not counted as walked.
    assert patrol.distance_m < 586 + 332 + 60


def test_inaccurate_points_are_flagged_and_left_out_of_the_track(world):
    points = g1_walk(world)
    for p in points[10:20]:
        p["accuracy"] = 250.0
    patrol = patrol_walked(world.gridadmin, points)
    accuracy = next(f for f in patrol.flags if f["code"] == "accuracy")
    assert accuracy["count"] == 10 and accuracy["params"]["limit"] == 100


def test_points_out_of_order_within_a_batch_are_flagged_order(world):
    points = g1_walk(world)
    points[5], points[6] = points[6], points[5]
    patrol = patrol_walked(world.gridadmin, points)
    assert codes(patrol) == {"order"}


def test_points_from_the_future_are_flagged(world):
    points = g1_walk(world, start=ago(30))
    patrol, _ = services.patrol_start(actor=world.gridadmin, at=ago(31))
    services.patrol_points_add(patrol=patrol, actor=world.gridadmin, batch="a", points=points, now=ago(22))
    # The device's clock says the last points were taken after the server received them.
    patrol = services.patrol_end(patrol=patrol, actor=world.gridadmin, at=timezone.now())
    patrol = services.patrol_compute(patrol_id=patrol.pk)
    assert "future" in codes(patrol)


def test_a_long_silence_is_flagged(world):
    lat, lng = centre(world.g1)
    first = walk([(lat - 0.003, lng - 0.003), (lat - 0.003, lng)], start=ago(60))
    t = dt.datetime.fromisoformat(first[-1]["recorded_at"]) + dt.timedelta(minutes=12)
    second = walk([(lat - 0.003, lng + 0.0001), (lat + 0.002, lng)], start=t)
    patrol = patrol_walked(world.gridadmin, first + second)
    silence = next(f for f in patrol.flags if f["code"] == "silence")
    assert silence["count"] == 1 and silence["params"]["worst"] == 12


def test_silence_before_the_first_point_counts_too(world):
    points = g1_walk(world, start=ago(40))
    patrol = patrol_walked(world.gridadmin, points, started_at=ago(60))
    assert "silence" in codes(patrol)


def test_points_sent_long_after_they_were_recorded_are_flagged_late(world):
    points = g1_walk(world, start=ago(200))
    patrol, _ = services.patrol_start(actor=world.gridadmin, at=ago(201))
    services.patrol_points_add(patrol=patrol, actor=world.gridadmin, batch="all-at-once", points=points)
    patrol = services.patrol_end(patrol=patrol, actor=world.gridadmin, at=ago(170))
    patrol = services.patrol_compute(patrol_id=patrol.pk)
    late = next(f for f in patrol.flags if f["code"] == "late")
    assert late["count"] > 100 and late["params"]["limit"] == 60
    assert patrol.distance_m > 1_000  # late points still make the track: an outbox may hold them


def test_a_track_mostly_outside_ones_grids_is_flagged_outside(world):
    lat, lng = centre(world.g3)  # the other administrator's grid
    points = walk([(lat - 0.003, lng - 0.003), (lat - 0.003, lng + 0.003)], start=ago(30))
    patrol = patrol_walked(world.gridadmin, points)
    outside = next(f for f in patrol.flags if f["code"] == "outside")
    assert outside["params"]["share"] == 100.0
    assert patrol.coverage[str(world.g3.pk)] > 0  # what was covered is still measured


def test_a_track_repeating_an_earlier_patrols_points_is_flagged_copied(world):
    original = patrol_walked(world.gridadmin, g1_walk(world, start=ago(24 * 60)))
    assert codes(original) == set()
    replay = g1_walk(world, start=ago(40))
    # Same places, new times: what a forger replaying yesterday's walk sends.
    for new, old in zip(replay, g1_walk(world, start=ago(24 * 60)), strict=True):
        new["lat"], new["lng"] = old["lat"], old["lng"]
    copy = patrol_walked(world.gridadmin, replay)
    copied = next(f for f in copy.flags if f["code"] == "copied")
    assert copied["params"]["other"] == original.pk and copied["params"]["share"] == 100.0


def test_walking_the_same_street_again_is_not_a_copy(world):
    patrol_walked(world.gridadmin, g1_walk(world, start=ago(24 * 60)))
    # The same route with a device's own fixes (a few metres of noise) shares no fingerprints.
    again = g1_walk(world, start=ago(40))
    for i, p in enumerate(again):
        p["lat"] += ((i * 7919) % 11 - 5) * 0.00002
        p["lng"] += ((i * 104729) % 13 - 6) * 0.00002
    patrol = patrol_walked(world.gridadmin, again)
    assert "copied" not in codes(patrol)


def test_limits_are_settings(world, settings):
    settings.PATROL_MAX_SPEED_KMH = 3.0
    patrol = patrol_walked(world.gridadmin, g1_walk(world))
    assert codes(patrol) == {"speed"}


# --- batches -------------------------------------------------------------------------------------------


def test_a_resent_batch_adds_nothing(world):
    points = g1_walk(world, start=ago(30))
    patrol, _ = services.patrol_start(actor=world.gridadmin, at=ago(31))
    first = services.patrol_points_add(patrol=patrol, actor=world.gridadmin, batch="k1", points=points[:40])
    again = services.patrol_points_add(patrol=patrol, actor=world.gridadmin, batch="k1", points=points[:40])
    other = services.patrol_points_add(patrol=patrol, actor=world.gridadmin, batch="k1", points=points[40:50])
    assert (first.added, again.added, other.added) == (40, 0, 0)
    assert again.replay and other.replay
    assert PatrolPoint.objects.filter(patrol=patrol).count() == 40
    assert Patrol.objects.get(pk=patrol.pk).point_count == 40


def test_batches_arriving_out_of_order_make_the_same_track(world):
    points = g1_walk(world, start=ago(30))
    patrol, _ = services.patrol_start(actor=world.gridadmin, at=ago(31))
    batches = [points[i : i + 30] for i in range(0, len(points), 30)]
    for i in reversed(range(len(batches))):  # the outbox sent the newest first
        services.patrol_points_add(patrol=patrol, actor=world.gridadmin, batch=f"b{i}", points=batches[i])
    last = dt.datetime.fromisoformat(points[-1]["recorded_at"])
    patrol = services.patrol_end(patrol=patrol, actor=world.gridadmin, at=last)
    shuffled = services.patrol_compute(patrol_id=patrol.pk)
    assert codes(shuffled) == set()
    # The same points sent in order (a second patrol, flagged as a copy of the first, which it is).
    in_order = patrol_walked(world.gridadmin, points, batch_size=30, started_at=ago(31), ended_at=last)
    assert codes(in_order) == {"copied"}
    assert shuffled.distance_m == in_order.distance_m
    assert shuffled.coverage == in_order.coverage
    assert shuffled.minutes_by_grid == in_order.minutes_by_grid


def test_points_arriving_after_the_end_are_kept_and_the_figures_computed_again(world):
    points = g1_walk(world, start=ago(30))
    patrol = patrol_walked(world.gridadmin, points[:100])
    before = patrol.distance_m
    services.patrol_points_add(patrol=patrol, actor=world.gridadmin, batch="late-outbox", points=points[100:])
    assert Patrol.objects.get(pk=patrol.pk).state == Patrol.State.ENDED
    patrol = services.patrol_compute(patrol_id=patrol.pk)
    assert patrol.distance_m > before
    assert codes(patrol) == set()
    assert patrol.point_count == len(points)


def test_points_recorded_before_the_server_heard_of_the_start_belong_to_the_track(world):
    # Started without signal: the phone recorded for ten minutes before its start reached the server.
    points = g1_walk(world, start=ago(40))
    patrol = patrol_walked(world.gridadmin, points, started_at=ago(30))
    assert codes(patrol) == set()
    assert patrol.duration_s >= 16 * 60 and patrol.distance_m > 1_000


def test_an_old_patrol_replayed_verbatim_is_flagged_copied(world):
    points = g1_walk(world, start=ago(24 * 60))
    original = patrol_walked(world.gridadmin, points)
    patrol, _ = services.patrol_start(actor=world.gridadmin, at=ago(20))
    services.patrol_points_add(patrol=patrol, actor=world.gridadmin, batch="old", points=points)
    services.patrol_end(patrol=patrol, actor=world.gridadmin)
    replay = services.patrol_compute(patrol_id=patrol.pk)
    assert {"copied", "late"} <= codes(replay)
    copied = next(f for f in replay.flags if f["code"] == "copied")
    assert copied["params"]["other"] == original.pk


def test_times_may_be_epoch_milliseconds_or_local(world):
    patrol, _ = services.patrol_start(actor=world.gridadmin)
    now = timezone.now()
    lat, lng = centre(world.g1)
    sent = [
        {"lat": lat, "lng": lng, "accuracy": 5, "recorded_at": int(now.timestamp() * 1000) - 10_000},
        {"lat": lat, "lng": lng + 0.0001, "accuracy": 5, "recorded_at": now.timestamp() - 5},
        {
            "lat": lat,
            "lng": lng + 0.0002,
            "accuracy": 5,
            "recorded_at": timezone.localtime(now).replace(tzinfo=None).isoformat(),
        },
    ]
    services.patrol_points_add(patrol=patrol, actor=world.gridadmin, batch="b", points=sent)
    stored = list(
        PatrolPoint.objects.filter(patrol=patrol).order_by("seq").values_list("recorded_at", flat=True)
    )
    assert abs((stored[0] - (now - dt.timedelta(seconds=10))).total_seconds()) < 0.01
    assert abs((stored[1] - (now - dt.timedelta(seconds=5))).total_seconds()) < 0.01
    assert abs((stored[2] - now).total_seconds()) < 0.01


@pytest.mark.parametrize(
    ("points", "field"),
    [
        ([], "points"),
        ("nope", "points"),
        (
            [{"lat": 91, "lng": 115.9, "accuracy": 5, "recorded_at": "2026-12-07T09:00:00+08:00"}],
            "points[0].lat",
        ),
        (
            [{"lat": 28.6, "lng": "x", "accuracy": 5, "recorded_at": "2026-12-07T09:00:00+08:00"}],
            "points[0].lng",
        ),
        (
            [{"lat": 28.6, "lng": 115.9, "accuracy": -1, "recorded_at": "2026-12-07T09:00:00+08:00"}],
            "points[0].accuracy",
        ),
        (
            [{"lat": 28.6, "lng": 115.9, "accuracy": 5, "recorded_at": "2026-13-07T09:00:00Z"}],
            "points[0].recorded_at",
        ),
        ([{"lat": 28.6, "lng": 115.9, "accuracy": 5, "recorded_at": True}], "points[0].recorded_at"),
        ([{"lat": 28.6, "lng": 115.9, "accuracy": 5, "recorded_at": "yesterday"}], "points[0].recorded_at"),
        (
            [{"lat": float("nan"), "lng": 115.9, "accuracy": 5, "recorded_at": "2026-12-07T09:00:00Z"}],
            "points[0].lat",
        ),
        ([17], "points[0]"),
    ],
)
def test_bad_points_are_refused_naming_the_first_fault(world, points, field):
    patrol, _ = services.patrol_start(actor=world.gridadmin)
    with pytest.raises(InvalidInput) as refused:
        services.patrol_points_add(patrol=patrol, actor=world.gridadmin, batch="b", points=points)
    assert refused.value.field == field
    assert PatrolPoint.objects.count() == 0


def test_a_batch_over_the_limit_is_refused(world, settings):
    settings.PATROL_MAX_POINTS_PER_BATCH = 10
    patrol, _ = services.patrol_start(actor=world.gridadmin)
    with pytest.raises(InvalidInput):
        services.patrol_points_add(
            patrol=patrol, actor=world.gridadmin, batch="b", points=g1_walk(world)[:11]
        )


@pytest.mark.parametrize("key", ["", "x" * 65, None, 7, "tab\tkey"])
def test_a_batch_needs_a_printable_key(world, key):
    patrol, _ = services.patrol_start(actor=world.gridadmin)
    with pytest.raises(InvalidInput) as refused:
        services.patrol_points_add(patrol=patrol, actor=world.gridadmin, batch=key, points=g1_walk(world)[:2])
    assert refused.value.field == "batch"


# --- lifecycle, scopes, review ------------------------------------------------------------------------


def test_a_second_start_answers_with_the_running_patrol(world):
    first, created = services.patrol_start(actor=world.gridadmin)
    second, created_again = services.patrol_start(actor=world.gridadmin)
    assert created and not created_again and first.pk == second.pk


def test_only_grid_administrators_with_a_grid_patrol(world):
    lonely = factories.user("lonely", roles=(Role.GRID_ADMIN,))
    for actor in (world.dispatcher, world.staff, world.supervisor, world.resident, world.outsider, lonely):
        with pytest.raises(NotAllowed):
            services.patrol_start(actor=actor)


def test_an_administrator_cannot_add_points_to_or_end_anothers_patrol(world):
    patrol, _ = services.patrol_start(actor=world.gridadmin)
    with pytest.raises(NotAllowed):
        services.patrol_points_add(
            patrol=patrol, actor=world.other_gridadmin, batch="x", points=g1_walk(world)[:3]
        )
    with pytest.raises(NotAllowed):
        services.patrol_end(patrol=patrol, actor=world.other_gridadmin)
    assert PatrolPoint.objects.count() == 0
    assert Patrol.objects.get(pk=patrol.pk).state == Patrol.State.RUNNING


def test_ending_twice_changes_nothing(world):
    patrol, _ = services.patrol_start(actor=world.gridadmin, at=ago(10))
    ended = services.patrol_end(patrol=patrol, actor=world.gridadmin)
    again = services.patrol_end(patrol=patrol, actor=world.gridadmin)
    assert again.ended_at == ended.ended_at
    assert PatrolEvent.objects.filter(patrol=patrol, action="end").count() == 1


def test_a_patrol_with_no_points_is_flagged_silent(world):
    patrol, _ = services.patrol_start(actor=world.gridadmin, at=ago(30))
    services.patrol_end(patrol=patrol, actor=world.gridadmin)
    patrol = services.patrol_compute(patrol_id=patrol.pk)
    assert codes(patrol) == {"silence"} and patrol.distance_m == 0


def test_a_supervisor_decides_once_with_a_reason(world):
    lat, lng = centre(world.g3)
    flagged = patrol_walked(world.gridadmin, walk([(lat, lng - 0.003), (lat, lng + 0.003)], start=ago(30)))
    with pytest.raises(NotAllowed):
        services.patrol_review(patrol=flagged, actor=world.gridadmin, accept=True, note="me")
    with pytest.raises(InvalidInput):
        services.patrol_review(patrol=flagged, actor=world.supervisor, accept=True, note="  ")
    accepted = services.patrol_review(
        patrol=flagged, actor=world.supervisor, accept=True, note="Covered for a sick colleague in grid 3."
    )
    assert accepted.review == Patrol.Review.ACCEPTED and accepted.counts
    assert accepted.reviewed_by == world.supervisor and accepted.reviewed_at is not None
    with pytest.raises(Conflict):
        services.patrol_review(patrol=accepted, actor=world.supervisor, accept=False, note="changed my mind")
    review = PatrolEvent.objects.get(patrol=flagged, action="review")
    assert review.data == {"decision": "accepted", "note": "Covered for a sick colleague in grid 3."}
    # The record is closed: no more points.
    with pytest.raises(InvalidTransition):
        services.patrol_points_add(
            patrol=accepted, actor=world.gridadmin, batch="more", points=g1_walk(world)[:3]
        )


def test_a_clean_patrol_needs_no_review(world):
    clean = patrol_walked(world.gridadmin, g1_walk(world))
    with pytest.raises(Conflict):
        services.patrol_review(patrol=clean, actor=world.supervisor, accept=False, note="no")


def test_a_case_reported_on_patrol_joins_it(world, django_capture_on_commit_callbacks):
    patrol, _ = services.patrol_start(actor=world.gridadmin, at=ago(5))
    lat, lng = centre(world.g1)
    with django_capture_on_commit_callbacks(execute=True):
        case = case_services.case_report(
            actor=world.gridadmin,
            source="patrol",
            lat=lat,
            lng=lng,
            category=world.cats.waste,
            description="垃圾堆放",
        )
    link = PatrolCase.objects.get(case=case)
    assert link.patrol_id == patrol.pk
    assert PatrolEvent.objects.filter(patrol=patrol, action="case", data__case=case.number).exists()


def test_a_case_reported_off_patrol_joins_none(world, django_capture_on_commit_callbacks):
    lat, lng = centre(world.g1)
    with django_capture_on_commit_callbacks(execute=True):
        case_services.case_report(
            actor=world.gridadmin,
            source="patrol",
            lat=lat,
            lng=lng,
            category=world.cats.waste,
            description="x",
        )
    assert not PatrolCase.objects.exists()


def test_uncomputed_patrols_are_found_for_the_reconcile_task(world):
    patrol, _ = services.patrol_start(actor=world.gridadmin, at=ago(30))
    services.patrol_end(patrol=patrol, actor=world.gridadmin, at=ago(10))
    assert services.patrols_uncomputed() == [patrol.pk]
    services.patrol_compute(patrol_id=patrol.pk)
    assert services.patrols_uncomputed() == []
