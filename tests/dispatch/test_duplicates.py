"""Duplicate flagging at routing time: same category, still open, near in space and in time."""

import datetime as dt

import pytest

from cases import services as case_services
from cases.models import Case, CaseState
from cases.selectors import duplicate_candidates
from dispatch.services import case_route
from grids.geometry import distance_m

from ..factories import centre
from .helpers import T0, metres_north, report


@pytest.fixture(autouse=True)
def _radius_and_window(settings):
    settings.DUPLICATE_RADIUS_M = 50.0
    settings.DUPLICATE_WINDOW_HOURS = 24.0


def _flagged(case) -> list[str]:
    case_route(case_id=case.pk)
    case.refresh_from_db()
    numbers = sorted(case.duplicate_candidates.values_list("number", flat=True))
    assert case.events.get(action="route").data["duplicates"] == numbers
    return numbers


def _offset(world, metres: float) -> dict:
    lat, lng = centre(world.g1)
    moved = metres_north(lat, metres)
    assert distance_m(lat, lng, moved, lng) == pytest.approx(metres, rel=1e-6)
    return {"lat": moved, "lng": lng}


def test_it_flags_an_open_case_of_the_same_category_nearby_and_recent(world):
    earlier = report(world, at=T0, **_offset(world, 40))
    case = report(world, at=T0 + dt.timedelta(hours=23))

    assert _flagged(case) == [earlier.number]


def test_it_flags_every_candidate_oldest_first(world):
    older = report(world, at=T0)
    newer = report(world, at=T0 + dt.timedelta(hours=1), **_offset(world, 30))
    case = report(world, at=T0 + dt.timedelta(hours=2))

    assert list(duplicate_candidates(case)) == [older, newer]
    assert case_route(case_id=case.pk).events.get(action="route").data["duplicates"] == [
        older.number,
        newer.number,
    ]


def test_a_later_report_within_the_window_counts_too(world):
    # Reconcile may route an old report late: a report made after it is still its neighbour.
    case = report(world, at=T0)
    later = report(world, at=T0 + dt.timedelta(hours=3))

    assert _flagged(case) == [later.number]


def test_it_ignores_a_case_of_another_category(world):
    report(world, at=T0, category=world.cats.ads)
    case = report(world, at=T0 + dt.timedelta(minutes=5))

    assert _flagged(case) == []


def test_it_ignores_closed_and_rejected_cases(world):
    rejected = report(world, at=T0)
    case_services.case_reject(case=rejected, actor=world.dispatcher, reason="无效上报")
    closed = report(world, at=T0, **_offset(world, 10))
    Case.objects.filter(pk=closed.pk).update(state=CaseState.CLOSED)
    case = report(world, at=T0 + dt.timedelta(minutes=5))

    assert _flagged(case) == []


def test_it_ignores_a_case_farther_than_the_radius(world):
    report(world, at=T0, **_offset(world, 60))
    case = report(world, at=T0 + dt.timedelta(minutes=5))

    assert _flagged(case) == []


def test_the_radius_comes_from_settings(world, settings):
    settings.DUPLICATE_RADIUS_M = 100.0
    far = report(world, at=T0, **_offset(world, 60))
    case = report(world, at=T0 + dt.timedelta(minutes=5))

    assert _flagged(case) == [far.number]


def test_it_ignores_a_case_older_than_the_window(world):
    report(world, at=T0)
    case = report(world, at=T0 + dt.timedelta(hours=24, minutes=1))

    assert _flagged(case) == []
