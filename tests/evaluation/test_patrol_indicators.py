"""Patrol, visit and discovery indicators (evaluation.patrol_indicators) over a crafted week: patrols walked
through the real services (clean, flagged, accepted, outside the week), visits under the default plans,
and cases of every source, each figure worked out by hand per grid, community, administrator and district."""

import datetime as dt
from datetime import date
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from cases import services as case_services
from evaluation import indicators as ev
from evaluation.patrol_indicators import PATROL_COLUMNS, PATROL_FORMULAS, patrol_indicators, patrol_table_rows
from gridmgmt import clock
from patrols import plans, visits
from patrols import services as patrol_services
from patrols.models import Patrol
from tests.grids.resident_factories import resident
from tests.places.factories import building, house

from ..patrols.factories import patrol_walked, walk
from .scenario import AFTER, END, LOCAL, START, Driver, at

WEEK = ev.Period(START, END)


def _patrol(user, waypoints, when, *, speed_kmh=4.5):
    return patrol_walked(user, walk(waypoints, start=when, speed_kmh=speed_kmh))


def _household(grid, name):
    home = house(building(grid))
    return resident(grid, name=name, care_tags=["elderly_alone"]), home


@pytest.fixture
def week(world):
    """The crafted week (Mon 2026-03-02 to Sun 03-08, Nanchang)."""
    w = world
    p = SimpleNamespace()
    # Patrols. g1 is lat 28.675–28.685, lng 115.885–115.895; g2 east of it; g3 north of g1.
    p.a = _patrol(
        w.gridadmin, [(28.677, 115.887), (28.683, 115.887), (28.683, 115.893)], at("03-02", "09:00")
    )
    p.b = _patrol(w.gridadmin, [(28.680, 115.890), (28.680, 115.900)], at("03-03", "09:00"))  # g1 → g2
    p.c = _patrol(w.gridadmin, [(28.677, 115.899), (28.683, 115.899)], at("03-04", "09:00"), speed_kmh=60)
    p.d = _patrol(w.gridadmin, [(28.678, 115.888), (28.682, 115.891)], at("03-05", "09:00"), speed_kmh=60)
    p.e = _patrol(w.other_gridadmin, [(28.688, 115.888), (28.692, 115.892)], at("03-02", "10:00"))
    p.before = _patrol(w.other_gridadmin, [(28.688, 115.889), (28.692, 115.889)], at("02-27", "10:00"))
    p.after = _patrol(w.gridadmin, [(28.678, 115.889), (28.682, 115.889)], at("03-09", "00:10"))
    assert p.c.review == p.d.review == Patrol.Review.PENDING  # too fast: flagged
    assert {p.a.review, p.b.review, p.e.review} == {Patrol.Review.CLEAN}
    p.d = patrol_services.patrol_review(patrol=p.d, actor=w.supervisor, accept=True, note="骑车巡查，属实")

    # Visits: the default plan visits a household with an elderly person living alone weekly (one a week).
    visited, _ = _household(w.g1, "王大明")
    _household(w.g1, "李小红")  # not visited
    north, _ = _household(w.g3, "赵四海")
    for person, actor in ((visited, w.gridadmin), (north, w.other_gridadmin)):
        with clock.frozen_at(at("03-04", "15:00")):
            visits.visit_record(actor=actor, resident=person, visited_at=at("03-04", "14:00"))

    # Cases: found on patrol by the grid's own administrators, or reported by others.
    go = Driver(w)
    c = SimpleNamespace()
    c.found_g1 = go.report(at("03-02", "09:30"), w.g1, w.gridadmin)
    c.duplicate = go.report(at("03-03", "10:00"), w.g1, w.gridadmin)
    go(
        at("03-03", "10:30"),
        case_services.case_reject,
        case=c.duplicate,
        actor=w.dispatcher,
        reason="重复",
        duplicate_of=c.found_g1,
    )
    c.hotline_g1 = go.report(at("03-03", "11:00"), w.g1, w.dispatcher, source="hotline")
    c.resident_g1 = go.report(at("03-04", "11:00"), w.g1, w.resident, source="resident")
    c.found_g2 = go.report(at("03-04", "12:00"), w.g2, w.gridadmin)
    c.open311_g2 = go.report(at("03-05", "12:00"), w.g2, w.dispatcher, source="open311")
    c.found_g3 = go.report(at("03-05", "13:00"), w.g3, w.other_gridadmin)
    c.dispatcher_patrol_g3 = go.report(at("03-06", "13:00"), w.g3, w.dispatcher)  # not the grid's own
    c.resident_g4 = go.report(at("03-08", "20:00"), w.g4, w.resident, source="resident")
    go(at("03-10", "09:00"), case_services.case_reject, case=c.resident_g4, actor=w.dispatcher, reason="无效")
    go.report(at("02-27", "09:00"), w.g1, w.gridadmin)  # the week before
    go.report(at("03-09", "08:00"), w.g1, w.gridadmin)  # the week after
    return SimpleNamespace(patrols=p, cases=c)


def _rows(kind):
    with clock.frozen_at(AFTER):
        table = patrol_indicators(WEEK, kinds=[kind])[kind]
    return {row.key: row for row in table.rows}


def _minutes(patrols, grid) -> float:
    return sum(float(p.minutes_by_grid.get(str(grid.pk), 0)) for p in patrols)


def test_each_grid_has_its_patrols_visits_and_discoveries(world, week):
    w, p = world, week.patrols
    rows = _rows(ev.GRID)
    g1, g2, g3, g4 = (rows[g.code] for g in (w.g1, w.g2, w.g3, w.g4))
    # Counted patrols only (c is flagged and pending): the clean ones and the accepted one.
    assert g1.patrol_minutes == pytest.approx(_minutes([p.a, p.b, p.d], w.g1), abs=0.01)
    assert g2.patrol_minutes == pytest.approx(_minutes([p.b], w.g2), abs=0.01)
    assert g1.patrol_minutes > 10 and g2.patrol_minutes > 3
    assert g3.patrol_minutes == pytest.approx(_minutes([p.e], w.g3), abs=0.01)
    assert (g4.patrol_minutes, g4.coverage, g4.patrols) == (0, 0.0, 0)
    # Patrols that reached each grid, and of them the flagged ones (d accepted, c pending: both flagged).
    assert [(r.patrols, r.flagged) for r in (g1, g2, g3, g4)] == [(3, 1), (2, 1), (1, 0), (0, 0)]
    assert [r.flagged_share for r in (g1, g2, g3)] == [pytest.approx(1 / 3), 0.5, 0.0]
    assert g4.flagged_share is None
    # Visits: two planned in g1 (one done), one in g3 (done), none in g2.
    assert [(r.visits_planned, r.visits_done) for r in (g1, g2, g3, g4)] == [(2, 1), (0, 0), (1, 1), (0, 0)]
    assert (g1.visit_rate, g2.visit_rate, g3.visit_rate) == (0.5, None, 1.0)
    # Discovery: the duplicate is left out; g4's report, rejected after the week, still counts in it.
    assert [(r.discovered, r.cases) for r in (g1, g2, g3, g4)] == [(1, 3), (1, 2), (1, 2), (0, 1)]
    assert [r.discovery_rate for r in (g1, g2, g3, g4)] == [pytest.approx(1 / 3), 0.5, 0.5, 0.0]


def test_a_grids_patrolling_is_the_patrol_plans_answer(world, week):
    """Hours, coverage and patrol counts of a grid are patrols.plans' figures, so the evaluation and the
    patrol overview never disagree."""
    grid_ids = [g.pk for g in (world.g1, world.g2, world.g3, world.g4)]
    expected = plans.grid_patrol_figures(grid_ids, start=WEEK.start_at, end=WEEK.end_at)
    rows = _rows(ev.GRID)
    for grid in (world.g1, world.g2, world.g3, world.g4):
        row, figures = rows[grid.code], expected[grid.pk]
        assert row.patrol_minutes == figures.minutes
        assert row.coverage == pytest.approx(figures.coverage)
        assert (row.patrols, row.flagged) == (figures.patrols, figures.flagged)
    assert 0 < rows[world.g1.code].coverage < 0.5  # a few hundred metres of 50 m wide track in 1 km²


def test_communities_weigh_coverage_by_area_and_count_a_patrol_once(world, week):
    w, p = world, week.patrols
    grids, communities = _rows(ev.GRID), _rows(ev.COMMUNITY)
    a, b = (communities[c.code] for c in w.communities)
    g1, g2, g3, g4 = (grids[g.code] for g in (w.g1, w.g2, w.g3, w.g4))
    assert a.label == "渊明社区" and b.label == "孺子社区"
    assert a.patrol_minutes == pytest.approx(g1.patrol_minutes + g2.patrol_minutes)
    assert a.coverage == pytest.approx(
        (g1.coverage * w.g1.area_m2 + g2.coverage * w.g2.area_m2) / (w.g1.area_m2 + w.g2.area_m2)
    )
    assert b.coverage == pytest.approx(g3.coverage * w.g3.area_m2 / (w.g3.area_m2 + w.g4.area_m2))
    # b crossed g1 and g2: once in community a, which had a, b, c, d.
    assert (a.patrols, a.flagged, b.patrols, b.flagged) == (4, 2, 1, 0)
    assert (a.visits_planned, a.visits_done, b.visits_planned, b.visits_done) == (2, 1, 1, 1)
    assert (a.discovered, a.cases, b.discovered, b.cases) == (2, 5, 1, 3)
    assert p.before.pk and p.after.pk  # outside the week: nowhere


def test_the_whole_district_sums_its_grids(world, week):
    grids = _rows(ev.GRID)
    (total,) = _rows(ev.TOTAL).values()
    assert total.key == ev.TOTAL_KEY
    assert total.patrol_minutes == pytest.approx(sum(r.patrol_minutes for r in grids.values()))
    assert total.coverage == pytest.approx(
        sum(r.covered_m2 for r in grids.values()) / sum(r.area_m2 for r in grids.values())
    )
    assert (total.patrols, total.flagged) == (5, 2)  # a, b, c, d, e
    assert (total.visits_planned, total.visits_done) == (3, 2)
    assert (total.discovered, total.cases) == (3, 8)


def test_an_administrator_has_their_own_patrols_and_their_grids_cases(world, week):
    w, p = world, week.patrols
    rows = _rows(ev.ADMINISTRATOR)
    assert set(rows) == {str(w.gridadmin.pk), str(w.other_gridadmin.pk)}  # only the role's holders
    mine, theirs = rows[str(w.gridadmin.pk)], rows[str(w.other_gridadmin.pk)]
    # Whole durations of their counted patrols (c, pending, does not count; d, accepted, does).
    assert mine.patrol_minutes == pytest.approx((p.a.duration_s + p.b.duration_s + p.d.duration_s) / 60)
    assert theirs.patrol_minutes == pytest.approx(p.e.duration_s / 60)
    assert (mine.patrols, mine.flagged, theirs.patrols, theirs.flagged) == (4, 2, 1, 0)
    communities = _rows(ev.COMMUNITY)
    assert mine.coverage == pytest.approx(communities[w.communities[0].code].coverage)  # holds g1, g2
    assert theirs.coverage == pytest.approx(_rows(ev.GRID)[w.g3.code].coverage)
    assert (mine.visits_planned, mine.visits_done, theirs.visits_planned, theirs.visits_done) == (2, 1, 1, 1)
    # Their grids' valid cases, and the ones they found on patrol themselves.
    assert (mine.discovered, mine.cases, theirs.discovered, theirs.cases) == (2, 5, 1, 2)


def test_a_figure_without_a_denominator_is_none_and_the_export_leaves_it_empty(world):
    with clock.frozen_at(AFTER):
        table = patrol_indicators(WEEK, kinds=[ev.GRID])[ev.GRID]
    row = table.rows[0]
    assert (row.flagged_share, row.visit_rate, row.discovery_rate) == (None, None, None)
    assert row.coverage == 0.0 and row.patrol_hours == 0
    exported = dict(zip(PATROL_COLUMNS, next(patrol_table_rows(table)), strict=True))
    assert exported["flagged_share"] is None and exported["discovery_rate"] is None
    assert str(exported["coverage"]) == "0.0"


def test_the_export_rounds_rates_by_the_one_rule(world, week):
    with clock.frozen_at(AFTER):
        table = patrol_indicators(WEEK, kinds=[ev.GRID])[ev.GRID]
    by_key = {r[3]: dict(zip(PATROL_COLUMNS, r, strict=True)) for r in patrol_table_rows(table)}
    g1 = by_key[world.g1.code]
    assert str(g1["discovery_rate"]) == "33.3" and str(g1["flagged_share"]) == "33.3"
    assert str(g1["visit_rate"]) == "50.0"
    assert g1["label"] == "渊明第一网格 · 渊明社区" and g1["period_start"] == START
    assert g1["as_of"] == dt.datetime(2026, 3, 9, tzinfo=LOCAL)


def test_a_running_period_counts_visits_due_so_far(world):
    """Planned visits of the days still to come are not yet due."""
    _household(world.g1, "王大明")
    with clock.frozen_at(dt.datetime(2026, 3, 4, 12, tzinfo=LOCAL)):
        rows = {r.key: r for r in patrol_indicators(ev.Period(START, date(2026, 3, 31)))[ev.GRID].rows}
    expected = visits.visits_due(grid_ids=[world.g1.pk], start=START, end=date(2026, 3, 4))[world.g1.pk]
    assert (rows[world.g1.code].visits_planned, rows[world.g1.code].visits_done) == expected == (1, 0)


def test_every_figure_is_defined_on_the_formulas_list():
    names = [name for name, _term, _text in PATROL_FORMULAS]
    assert names == [
        "patrol_hours",
        "coverage",
        "patrols",
        "flagged",
        "flagged_share",
        "visits_planned",
        "visits_done",
        "visit_rate",
        "cases",
        "discovered",
        "discovery_rate",
    ]
    assert set(names) <= set(PATROL_COLUMNS)


@override_settings(
    GRID_INDEX_CHECK_SECONDS=3600
)  # the grid layer's token is re-read by the clock, not by work
def test_the_queries_do_not_grow_with_patrols_or_cases(world, week):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured, clock.frozen_at(AFTER):
            patrol_indicators(WEEK)
        return len(captured)

    few = count()
    go = Driver(world)
    for hour in range(9, 15):
        go.report(at("03-06", f"{hour}:00"), world.g2, world.gridadmin)
        _patrol(world.gridadmin, [(28.679, 115.897), (28.681, 115.897)], at("03-07", f"{hour}:00"))
    assert count() == few <= 16
