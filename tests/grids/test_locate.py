"""Point → grid: the STRtree index, shared edges and corners, outside points, rebuilds on layer changes."""

import random
import threading
import time

import numpy as np
import pytest
import shapely
from django.db.models import F
from shapely.geometry import Polygon, box

from grids import selectors
from grids import services as grid_services
from grids.geometry import bbox
from grids.models import Grid, GridLayerVersion
from grids.selectors import grid_get, grid_locate, grid_locate_id, grid_locate_many
from grids.spatial import OUTSIDE, GridIndex

from ..factories import STEP, centre, district, square

COMMUNITY_A = "360102001001"


@pytest.fixture(autouse=True)
def _fresh_index(settings):
    settings.GRID_INDEX_CHECK_SECONDS = 0  # re-read the layer version on every lookup unless a test says so
    selectors.grid_index_reset()
    yield
    selectors.grid_index_reset()


@pytest.fixture
def layer(db):
    """The four 0.01° test grids: g1 (…0101) bottom-left, g2 (…0102) bottom-right, g3 (…0201) top-left,
    g4 (…0202) top-right; their shared corner is the middle of the layer."""
    g1, g2, g3, g4 = district()["grids"]
    return g1, g2, g3, g4


def shifted(grid: Grid, *, west: float = 0.0, east: float = 0.0) -> dict:
    """A grid's square with its west/east edges moved by the given number of degrees."""
    ring = [
        [grid.min_lng + west, grid.min_lat],
        [grid.max_lng + east, grid.min_lat],
        [grid.max_lng + east, grid.max_lat],
        [grid.min_lng + west, grid.max_lat],
        [grid.min_lng + west, grid.min_lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def update_behind_our_back(grid: Grid, boundary: dict) -> None:
    """What another process's write looks like to this one: the rows change, this process's cache is not
    told (no grids.services call), only the layer version row moves."""
    min_lng, min_lat, max_lng, max_lat = bbox(shapely.geometry.shape(boundary))
    Grid.objects.filter(pk=grid.pk).update(
        boundary=boundary, min_lng=min_lng, min_lat=min_lat, max_lng=max_lng, max_lat=max_lat
    )


def bump_behind_our_back() -> None:
    assert GridLayerVersion.objects.filter(pk=1).update(version=F("version") + 1) == 1


# --- the pure index --------------------------------------------------------------------------------------


def test_the_index_answers_by_lowest_code_whatever_the_input_order():
    # Two overlapping squares: the overlap belongs to the lower code even when it is given last.
    a, b = box(0, 0, 2, 2), box(1, 0, 3, 2)
    for entries in ([("02", "b", b), ("01", "a", a)], [("01", "a", a), ("02", "b", b)]):
        index = GridIndex(entries)
        assert index.locate(lat=1, lng=1.5) == "a"
        assert index.locate(lat=1, lng=2.5) == "b"
        assert index.locate_many([(1, 1.5), (1, 2.5), (1, 9)]) == ["a", "b", None]


def test_the_index_treats_a_hole_as_outside():
    ring_with_hole = Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], holes=[[(1, 1), (3, 1), (3, 3), (1, 3)]])
    index = GridIndex([("01", 1, ring_with_hole)])
    assert index.locate(lat=2, lng=2) is None
    assert index.locate(lat=0.5, lng=0.5) == 1
    assert index.locate_positions([2.0, 0.5], [2.0, 0.5]).tolist() == [OUTSIDE, 0]


def test_an_empty_index_finds_nothing():
    index = GridIndex([])
    assert index.locate(lat=28.68, lng=115.89) is None
    assert index.locate_many([(28.68, 115.89)]) == [None]
    assert index.locate_many([]) == []


def test_the_index_refuses_duplicate_codes():
    with pytest.raises(ValueError, match="unique"):
        GridIndex([("01", 1, box(0, 0, 1, 1)), ("01", 2, box(1, 0, 2, 1))])


def test_bulk_and_single_lookups_agree_on_random_points():
    rng = np.random.default_rng(4)
    cells = [box(x, y, x + 1, y + 1) for x in range(6) for y in range(6)]
    codes = [f"{n:02d}" for n in rng.permutation(len(cells))]
    index = GridIndex(zip(codes, range(len(cells)), cells, strict=True))
    # Integer coordinates land on edges and corners; the rest are interior or outside.
    lats = np.r_[rng.uniform(-1, 7, 500), rng.integers(0, 7, 200)]
    lngs = np.r_[rng.uniform(-1, 7, 500), rng.integers(0, 7, 200)]
    single = [index.locate(lat=la, lng=ln) for la, ln in zip(lats.tolist(), lngs.tolist(), strict=True)]
    assert index.locate_many(zip(lats.tolist(), lngs.tolist(), strict=True)) == single
    for (la, ln), got in zip(zip(lats.tolist(), lngs.tolist(), strict=True), single, strict=True):
        covering = [i for i, c in enumerate(cells) if c.covers(shapely.Point(ln, la))]
        expected = min(covering, key=lambda i: codes[i]) if covering else None
        assert got == expected, (la, ln)


# --- grids.selectors on the database ----------------------------------------------------------------------


def test_it_locates_the_grid_of_an_interior_point(layer):
    for grid in layer:
        lat, lng = centre(grid)
        assert grid_locate(lat=lat, lng=lng) == grid
        assert grid_locate_id(lat=lat, lng=lng) == grid.pk
    located = grid_locate(lat=28.6801, lng=115.8899)
    assert located.code == "36010200100101"
    assert located.community.parent.parent.code == "360102", "the jurisdiction chain comes along"


def test_a_point_on_a_shared_edge_goes_to_the_lowest_code(layer):
    g1, g2, g3, g4 = layer
    assert grid_locate_id(lat=centre(g1)[0], lng=g1.max_lng) == g1.pk  # g1 | g2
    assert grid_locate_id(lat=centre(g3)[0], lng=g3.max_lng) == g3.pk  # g3 | g4
    assert grid_locate_id(lat=g2.max_lat, lng=centre(g2)[1]) == g2.pk  # g2 below g4
    assert grid_locate_id(lat=g1.max_lat, lng=centre(g1)[1]) == g1.pk  # g1 below g3


def test_the_corner_of_four_grids_goes_to_the_lowest_code(layer):
    g1, g2, g3, g4 = layer
    assert (g1.max_lat, g1.max_lng) == (g4.min_lat, g4.min_lng), "the four grids meet in one point"
    assert grid_locate_id(lat=g1.max_lat, lng=g1.max_lng) == g1.pk


def test_shared_edges_do_not_depend_on_saving_order(db):
    """Codes run against the geometry (top-right lowest) and grids are saved highest code first, so
    neither position nor insertion order can produce the lowest-code answer by accident."""
    for code, name in (("360102", "区"), ("360102001", "街道"), (COMMUNITY_A, "社区")):
        grid_services.jurisdiction_ensure(code=code, name=name)
    lat0, lng0 = 28.675, 115.885
    cells = {  # code → (row, column)
        "36010200100104": (0, 0),
        "36010200100103": (0, 1),
        "36010200100102": (1, 0),
        "36010200100101": (1, 1),
    }
    saved = {
        code: grid_services.grid_save(
            code=code, name=code, boundary=square(lat0 + row * STEP, lng0 + col * STEP)
        )
        for code, (row, col) in cells.items()
    }
    middle_lat, middle_lng = lat0 + STEP, lng0 + STEP
    assert grid_locate_id(lat=middle_lat, lng=middle_lng) == saved["36010200100101"].pk
    bottom_edge = (lat0 + STEP / 2, lng0 + STEP)  # between …04 (left) and …03 (right)
    assert grid_locate_id(lat=bottom_edge[0], lng=bottom_edge[1]) == saved["36010200100103"].pk
    left_edge = (lat0 + STEP, lng0 + STEP / 2)  # between …04 (below) and …02 (above)
    assert grid_locate_id(lat=left_edge[0], lng=left_edge[1]) == saved["36010200100102"].pk


def test_a_point_outside_every_grid_is_none(layer):
    g1, *_ = layer
    assert grid_locate(lat=28.0, lng=115.0) is None
    assert grid_locate_id(lat=g1.min_lat - 1e-6, lng=centre(g1)[1]) is None
    assert grid_locate(lat=float("nan"), lng=float("nan")) is None
    # The jurisdiction's own outer edge still belongs to the grid it bounds.
    assert grid_locate_id(lat=g1.min_lat, lng=centre(g1)[1]) == g1.pk


def test_with_no_grids_at_all_everything_is_outside(db):
    assert grid_locate(lat=28.68, lng=115.89) is None
    assert grid_locate_many([(28.68, 115.89)]) == [None]


def test_locate_many_equals_locate_for_a_batch(layer):
    g1, g2, g3, g4 = layer
    rng = random.Random(7)
    points = [(rng.uniform(28.670, 28.700), rng.uniform(115.880, 115.910)) for _ in range(300)]
    points += [(g1.max_lat, g1.max_lng), (centre(g1)[0], g1.max_lng), (g3.max_lat, centre(g3)[1])]
    expected = [grid_locate_id(lat=lat, lng=lng) for lat, lng in points]
    assert grid_locate_many(points) == expected
    assert {None, g1.pk, g2.pk, g3.pk, g4.pk} <= set(expected), "the batch covers every answer"
    assert grid_locate_many([]) == []


def test_a_new_grid_saved_through_services_is_found_at_once(layer, settings):
    settings.GRID_INDEX_CHECK_SECONDS = 3600  # only the in-process invalidation can make this pass
    g1, g2, *_ = layer
    east = (centre(g2)[0], g2.max_lng + STEP / 2)
    assert grid_locate(lat=east[0], lng=east[1]) is None
    new = grid_services.grid_save(
        code="36010200100103", name="渊明第三网格", boundary=square(g2.min_lat, g2.max_lng)
    )
    assert grid_locate(lat=east[0], lng=east[1]) == new


def test_a_moved_boundary_is_seen_on_the_next_lookup(layer):
    g1, g2, *_ = layer
    lat, lng = centre(g2)[0], g2.min_lng + STEP / 4  # the west quarter of g2
    assert grid_locate_id(lat=lat, lng=lng) == g2.pk
    grid_services.grid_save(code=g2.code, name=g2.name, boundary=shifted(g2, west=STEP / 2))
    grid_services.grid_save(code=g1.code, name=g1.name, boundary=shifted(g1, east=STEP / 2))
    assert grid_locate_id(lat=lat, lng=lng) == g1.pk


def test_a_change_by_another_process_rebuilds_the_index(layer):
    g1, g2, *_ = layer
    lat, lng = centre(g2)[0], g2.min_lng + STEP / 4
    assert grid_locate_id(lat=lat, lng=lng) == g2.pk
    update_behind_our_back(g2, shifted(g2, west=STEP / 2))
    update_behind_our_back(g1, shifted(g1, east=STEP / 2))
    assert grid_locate_id(lat=lat, lng=lng) == g2.pk, "without a version change the cached index answers"
    bump_behind_our_back()
    assert grid_locate_id(lat=lat, lng=lng) == g1.pk


def test_another_process_change_is_seen_once_the_check_interval_has_passed(layer, settings, monkeypatch):
    settings.GRID_INDEX_CHECK_SECONDS = 1.0
    now = [1000.0]
    monkeypatch.setattr(selectors, "_clock", lambda: now[0])
    g1, g2, *_ = layer
    lat, lng = centre(g2)[0], g2.min_lng + STEP / 4
    assert grid_locate_id(lat=lat, lng=lng) == g2.pk
    update_behind_our_back(g2, shifted(g2, west=STEP / 2))
    update_behind_our_back(g1, shifted(g1, east=STEP / 2))
    bump_behind_our_back()
    now[0] += 0.5
    assert grid_locate_id(lat=lat, lng=lng) == g2.pk, "within the interval the version is not re-read"
    now[0] += 0.6
    assert grid_locate_id(lat=lat, lng=lng) == g1.pk


def test_a_version_number_reused_after_a_rollback_is_not_mistaken_for_the_same_layer(layer):
    g1, g2, *_ = layer
    lat, lng = centre(g2)[0], g2.min_lng + STEP / 4
    assert grid_locate_id(lat=lat, lng=lng) == g2.pk
    version = GridLayerVersion.objects.get(pk=1).version
    # A layer that reaches the same version number by another route (the earlier one was rolled back).
    update_behind_our_back(g2, shifted(g2, west=STEP / 2))
    update_behind_our_back(g1, shifted(g1, east=STEP / 2))
    grid_services.grid_layer_bump()
    GridLayerVersion.objects.filter(pk=1).update(version=version)
    assert grid_locate_id(lat=lat, lng=lng) == g1.pk


def test_a_grid_deleted_by_another_process_is_not_returned_once_the_interval_has_passed(layer, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(selectors, "_clock", lambda: now[0])
    g1, g2, *_ = layer
    lat, lng = centre(g2)
    assert grid_locate(lat=lat, lng=lng) == g2
    Grid.objects.filter(pk=g2.pk).delete()
    bump_behind_our_back()
    now[0] += 1.5
    assert grid_locate(lat=lat, lng=lng) is None


def test_a_grid_missing_from_the_database_is_looked_up_again_after_a_check(layer, settings):
    # The index still holds the grid (deleted behind its back, not yet seen), but its row was never read:
    # the lookup finds no row, re-checks the layer at once and answers from the new layer.
    settings.GRID_INDEX_CHECK_SECONDS = 3600
    g1, g2, *_ = layer
    lat, lng = centre(g2)
    assert grid_locate_id(lat=lat, lng=lng) == g2.pk
    Grid.objects.filter(pk=g2.pk).delete()
    bump_behind_our_back()
    assert grid_locate(lat=lat, lng=lng) is None


def test_an_unreadable_boundary_leaves_the_other_grids_locatable(layer):
    g1, g2, *_ = layer
    Grid.objects.filter(pk=g2.pk).update(boundary={"type": "Nonsense"})
    bump_behind_our_back()
    assert grid_locate_id(lat=centre(g1)[0], lng=centre(g1)[1]) == g1.pk
    assert grid_locate_id(lat=centre(g2)[0], lng=centre(g2)[1]) is None


def test_a_lookup_on_a_fresh_index_costs_at_most_two_queries(layer, django_assert_max_num_queries):
    lat, lng = centre(layer[0])
    grid_locate(lat=lat, lng=lng)  # builds the index
    with django_assert_max_num_queries(2):  # the version (interval 0 here) and the grid itself
        assert grid_locate(lat=lat, lng=lng) == layer[0]
    with django_assert_max_num_queries(1):
        assert grid_locate_many([(lat, lng)] * 50) == [layer[0].pk] * 50


def test_within_the_check_interval_a_lookup_of_a_known_grid_costs_no_query(
    layer, settings, django_assert_num_queries
):
    settings.GRID_INDEX_CHECK_SECONDS = 3600
    lat, lng = centre(layer[0])
    grid_locate(lat=lat, lng=lng)
    with django_assert_num_queries(0):
        grid = grid_locate(lat=lat, lng=lng)
        assert grid == layer[0]
        assert grid.community.parent.parent is not None  # community, street and district came along
        grid_locate_id(lat=lat, lng=lng)
        assert grid_get(layer[0].pk) == layer[0]


def test_a_located_grid_is_the_callers_own_copy(layer, settings):
    settings.GRID_INDEX_CHECK_SECONDS = 3600
    lat, lng = centre(layer[0])
    grid_locate(lat=lat, lng=lng).name = "changed by a caller"
    assert grid_locate(lat=lat, lng=lng).name == layer[0].name


def test_an_edit_through_the_services_is_seen_by_the_next_lookup(layer, settings):
    settings.GRID_INDEX_CHECK_SECONDS = 3600
    lat, lng = centre(layer[0])
    assert grid_locate(lat=lat, lng=lng).name == layer[0].name
    grid_services.grid_layer_bump()
    Grid.objects.filter(pk=layer[0].pk).update(name="renamed")
    assert grid_locate(lat=lat, lng=lng).name == "renamed"


def test_concurrent_lookups_build_the_index_once(monkeypatch):
    """Threads that find the index stale together wait for one rebuild instead of each doing their own."""
    builds = []

    def slow_build():
        builds.append(1)
        time.sleep(0.05)
        return GridIndex([("01", 1, box(0, 0, 1, 1))])

    monkeypatch.setattr(selectors, "_layer_token", lambda: (1, "t"))
    monkeypatch.setattr(selectors, "_index_build", slow_build)
    results, barrier = [], threading.Barrier(8)

    def lookup():
        barrier.wait()
        results.append(selectors.grid_locate_id(lat=0.5, lng=0.5))

    threads = [threading.Thread(target=lookup) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [1] * 8 and len(builds) == 1
