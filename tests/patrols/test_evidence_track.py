"""On-site proof asks the verifier's running patrol whether its track was at the case (patrols.evidence)."""

import datetime as dt
import uuid

from cases import services as case_services
from cases.evidence import FLAG_TRACK_ABSENT
from cases.models import CaseEvent, CaseState
from gridmgmt import clock, tasking
from patrols import services

from ..cases.helpers import drive, evidence
from .factories import point

# One degree of latitude is ≈ 111 km: these offsets are ≈ 20 m and ≈ 1.1 km north of the case.
NEAR, FAR = 0.00018, 0.01


def _patrolling(world, case, *, offset: float, at: dt.datetime):
    """The grid administrator's running patrol, its points around `at`, `offset` degrees north of the case."""
    patrol, _ = services.patrol_start(actor=world.gridadmin, at=at - dt.timedelta(minutes=10))
    points = [point(case.lat + offset, case.lng, at + dt.timedelta(seconds=s)) for s in range(-60, 61, 10)]
    services.patrol_points_add(
        patrol=patrol, actor=world.gridadmin, batch=uuid.uuid4().hex, points=points, now=at
    )
    return patrol


def _verify(world, case, at: dt.datetime) -> CaseEvent:
    with clock.frozen_at(at), tasking.suppressed():
        case_services.case_verify_pass(case=case, actor=world.gridadmin, **evidence(case))
    return CaseEvent.objects.get(case=case, action="verify_pass")


def test_a_track_that_was_there_is_named_near(world):
    case = drive(world, CaseState.RESOLVED)
    now = clock.now()
    _patrolling(world, case, offset=NEAR, at=now)

    data = _verify(world, case, now).data["evidence"]

    assert data["track"] == "near" and FLAG_TRACK_ABSENT not in data["flags"]


def test_a_running_patrol_whose_track_was_elsewhere_flags_the_verification(world):
    case = drive(world, CaseState.RESOLVED)
    now = clock.now()
    _patrolling(world, case, offset=FAR, at=now)

    data = _verify(world, case, now).data["evidence"]

    # Accepted (the phone's position was on site, and points may still be in its outbox), but flagged.
    assert data["on_site"] is True
    assert data["track"] == "absent" and FLAG_TRACK_ABSENT in data["flags"]


def test_points_outside_the_window_do_not_vouch_for_the_step(world, settings):
    settings.EVIDENCE_TRACK_WINDOW_MINUTES = 15
    case = drive(world, CaseState.RESOLVED)
    now = clock.now()
    _patrolling(world, case, offset=NEAR, at=now - dt.timedelta(minutes=40))

    data = _verify(world, case, now).data["evidence"]

    assert data["track"] == "absent"


def test_without_a_running_patrol_the_track_says_nothing(world):
    case = drive(world, CaseState.RESOLVED)

    data = _verify(world, case, clock.now()).data["evidence"]

    assert "track" not in data and data["flags"] == []
