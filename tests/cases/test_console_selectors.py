"""The console selectors: what they return, and that reading their rows' related data costs no extra query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import selectors
from cases.models import CaseState
from gridmgmt import clock, tasking

from ..factories import centre
from .helpers import act, drive, report

S = CaseState


def _touch(rows, *, duplicates: bool) -> None:
    """Everything a queue row shows: category path, grid, department, reporter; and per-selector extras."""
    for row in rows:
        case = getattr(row, "case", row)
        _ = (case.category.name, case.category.parent.name, case.grid and case.grid.name)
        _ = case.department and case.department.name
        if hasattr(row, "requested_by"):
            _ = row.requested_by.username
        if hasattr(case, "evidence"):
            _ = [p.kind for p in case.evidence]
        if duplicates:  # the triage queue shows the likely duplicates routing found
            _ = [d.number for d in case.duplicate_candidates.all()]


def _cost(fn, *, duplicates: bool = False) -> int:
    with CaptureQueriesContext(connection) as ctx:
        _touch(list(fn()), duplicates=duplicates)
    return len(ctx)


def _grow(world, n: int) -> None:
    for i in range(n):
        grid = (world.g1, world.g2)[i % 2]
        drive(world, S.RESOLVED, report(world, grid=grid))
        drive(world, S.RETURNED, report(world, grid=grid))
        report(world, grid=grid)
        case = drive(world, S.IN_PROGRESS, report(world, grid=grid))
        with tasking.suppressed():
            act(world, case, "request_extension", world.staff)


SELECTORS = {
    "to_verify": lambda w: selectors.cases_to_verify(w.gridadmin),
    "department": lambda w: selectors.cases_department_queue(w.staff),
    "triage": lambda w: selectors.cases_triage_queue(w.dispatcher),
    "returned": lambda w: selectors.cases_returned_queue(w.dispatcher),
    "extensions": lambda w: selectors.extension_requests_pending(w.dispatcher),
    "mine": lambda w: selectors.cases_reported_by(w.gridadmin),
    "overdue": lambda w: selectors.cases_overdue(w.supervisor, now=clock.now()),
    "escalated": lambda w: selectors.cases_escalated(w.supervisor),
    "search": lambda w: selectors.cases_search(w.supervisor, text="", now=clock.now()),
}


@pytest.mark.parametrize("name", sorted(SELECTORS))
def test_reading_a_queue_costs_the_same_for_few_and_many_rows(world, name):
    _grow(world, 1)
    list(SELECTORS[name](world))  # warm the per-user role and scope caches
    few = _cost(lambda: SELECTORS[name](world), duplicates=name == "triage")
    _grow(world, 4)
    many = _cost(lambda: SELECTORS[name](world), duplicates=name == "triage")
    assert many == few, f"{name}: {few} queries for few rows, {many} for many"


def test_the_queues_hold_what_their_names_say(world):
    _grow(world, 1)
    assert {c.state for c in selectors.cases_to_verify(world.gridadmin)} == {S.RESOLVED}
    assert {c.state for c in selectors.cases_department_queue(world.staff)} == {S.IN_PROGRESS}
    assert {c.state for c in selectors.cases_triage_queue(world.dispatcher)} == {S.REPORTED}
    returned = list(selectors.cases_returned_queue(world.dispatcher))
    assert [(c.state, c.return_reason, c.returned_by) for c in returned] == [
        (S.RETURNED, "非本部门职责", "sanitation")
    ]
    assert [x.case.state for x in selectors.extension_requests_pending(world.dispatcher)] == [S.IN_PROGRESS]
    assert all(c.pending_extension for c in selectors.cases_department_queue(world.staff))
    assert selectors.cases_to_verify(world.other_gridadmin).count() == 0


def test_duplicates_near_a_point_are_nearest_first_and_within_the_radius(world, settings):
    settings.DUPLICATE_RADIUS_M = 50
    lat, lng = centre(world.g1)
    far = report(world, lat=lat + 0.0004, lng=lng)  # ~44 m north
    near = report(world, lat=lat + 0.0001, lng=lng)  # ~11 m north
    report(world, lat=lat + 0.001, lng=lng)  # ~110 m: outside
    report(world, category=world.cats.ads)  # another category
    found = selectors.duplicate_candidates_near(
        lat=lat, lng=lng, category_id=world.cats.waste.pk, now=clock.now()
    )
    assert [c for c, _ in found] == [near, far]
    assert 10 < found[0][1] < 12
