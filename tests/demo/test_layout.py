"""The demo layout cut from the real Donghu outline: seamless, nested, balanced, coded and deterministic."""

import json
import re
import statistics

import pytest
import shapely
from shapely.geometry import box, shape

from demo.layout import (
    DISTRICT_CODE,
    DISTRICT_GEOJSON_PATH,
    STREET_NAMES,
    Area,
    DemoLayout,
    _merge_slivers,
    area_m2,
    build_layout,
    point_in_layout,
)

# Overlay tolerances: the layout is snapped to a 1e-7° (~1 cm) grid, so anything bigger is a real defect.
GAP_M2 = 1.0
OVERLAP_M2 = 0.01


@pytest.fixture(scope="module")
def layout() -> DemoLayout:
    return build_layout()


def geom(area: Area) -> shapely.Geometry:
    return shape(area.geometry)


def test_it_cuts_sixty_grids_into_twenty_communities_and_seven_streets(layout: DemoLayout) -> None:
    assert (len(layout.grids), len(layout.communities), len(layout.streets)) == (60, 20, 7)


def test_the_district_is_the_real_donghu_outline(layout: DemoLayout) -> None:
    raw = shape(json.loads(DISTRICT_GEOJSON_PATH.read_text(encoding="utf-8"))["features"][0]["geometry"])
    district = geom(layout.district)
    assert layout.district.code == DISTRICT_CODE == "360102"
    assert layout.district.parent_code is None
    # Redrawn through the snapped points where grid edges cross it: it may move by centimetres, no more.
    assert shapely.hausdorff_distance(district.boundary, raw.boundary) < 1e-6
    assert area_m2(district.symmetric_difference(raw)) < 100.0
    # Donghu is about 56 km²; the equirectangular area should land there.
    assert 55e6 < layout.district.area_m2 < 58e6


def test_every_geometry_is_valid_polygonal_and_rounded(layout: DemoLayout) -> None:
    for area in [layout.district, *layout.streets, *layout.communities, *layout.grids]:
        assert area.geometry["type"] in ("Polygon", "MultiPolygon"), area.code
        assert geom(area).is_valid, (area.code, shapely.is_valid_reason(geom(area)))
        coords = shapely.get_coordinates(geom(area))
        assert (abs(coords * 1e7 - (coords * 1e7).round()) < 1e-6).all(), area.code


def test_grids_cover_the_district_without_gaps(layout: DemoLayout) -> None:
    union = shapely.union_all([geom(g) for g in layout.grids])
    assert area_m2(union.symmetric_difference(geom(layout.district))) < GAP_M2


def test_grids_do_not_overlap(layout: DemoLayout) -> None:
    cells = [geom(g) for g in layout.grids]
    pairs = shapely.STRtree(cells).query(cells, predicate="intersects").T
    overlaps = [area_m2(cells[i].intersection(cells[j])) for i, j in pairs if i < j]
    assert overlaps, "neighbouring grids should touch"
    assert max(overlaps) < OVERLAP_M2


@pytest.mark.parametrize(
    ("children", "parents"), [("grids", "communities"), ("communities", "streets")], ids=["grid", "community"]
)
def test_each_unit_lies_inside_its_parent_and_parents_are_the_union_of_children(
    layout: DemoLayout, children: str, parents: str
) -> None:
    by_code = {p.code: p for p in getattr(layout, parents)}
    members: dict[str, list[Area]] = {code: [] for code in by_code}
    for child in getattr(layout, children):
        parent = by_code[child.parent_code]
        assert child.code.startswith(parent.code)
        assert area_m2(geom(child).difference(geom(parent))) < OVERLAP_M2, child.code
        members[parent.code].append(child)
    for code, kids in members.items():
        assert kids, f"{code} has no children"
        union = shapely.union_all([geom(k) for k in kids])
        assert area_m2(union.symmetric_difference(geom(by_code[code]))) < GAP_M2, code


def test_streets_belong_to_the_district(layout: DemoLayout) -> None:
    assert {s.parent_code for s in layout.streets} == {DISTRICT_CODE}
    union = shapely.union_all([geom(s) for s in layout.streets])
    assert area_m2(union.symmetric_difference(geom(layout.district))) < GAP_M2


def test_codes_follow_the_cjt213_hierarchy_and_are_unique(layout: DemoLayout) -> None:
    levels = [(layout.streets, 9), (layout.communities, 12), (layout.grids, 14)]
    for areas, length in levels:
        codes = [a.code for a in areas]
        assert all(re.fullmatch(rf"{DISTRICT_CODE}\d{{{length - 6}}}", c) for c in codes), codes
        assert len(set(codes)) == len(codes)
    assert layout.streets[0].code == "360102001"
    assert layout.grids[0].code == "36010200100101"


def test_names_are_donghu_streets_with_numbered_communities_and_grids(layout: DemoLayout) -> None:
    assert [s.name for s in layout.streets] == list(STREET_NAMES[: len(layout.streets)])
    assert layout.communities[0].name == "公园第一社区"
    communities = {c.code: c for c in layout.communities}
    for grid in layout.grids:
        number = int(grid.code[-2:])
        assert grid.name == f"{communities[grid.parent_code].name}第{number}网格"
    assert len({c.name for c in layout.communities}) == len(layout.communities)


def test_every_community_and_street_is_one_piece(layout: DemoLayout) -> None:
    for area in [*layout.streets, *layout.communities]:
        assert area.geometry["type"] == "Polygon", f"{area.code} {area.name} is split"


def test_a_point_in_the_city_centre_falls_in_exactly_one_grid(layout: DemoLayout) -> None:
    point = shapely.Point(115.8900, 28.6800)
    holders = [g for g in layout.grids if geom(g).contains(point)]
    assert len(holders) == 1
    assert point_in_layout(layout, 28.6800, 115.8900) == holders[0]


def test_a_point_outside_the_district_falls_in_no_grid(layout: DemoLayout) -> None:
    assert point_in_layout(layout, 39.9042, 116.4074) is None  # Beijing


def test_grid_sizes_are_balanced(layout: DemoLayout) -> None:
    areas = [g.area_m2 for g in layout.grids]
    median = statistics.median(areas)
    assert max(areas) / median < 2.0
    assert min(areas) / median > 0.4
    assert sum(areas) == pytest.approx(layout.district.area_m2, rel=1e-3)


def test_it_is_deterministic_for_a_seed(layout: DemoLayout) -> None:
    assert build_layout() == layout
    assert build_layout(seed=8).grids != layout.grids


def test_it_hands_a_sub_square_metre_crumb_to_the_neighbour_with_the_longest_shared_border() -> None:
    # Two 100 m cells side by side at Donghu's latitude; the left one also owns a ~0.3 m² crumb that sticks
    # out of the right one's top edge and touches nothing else of its owner.
    left = box(115.890, 28.680, 115.891, 28.681)
    right = box(115.891, 28.680, 115.892, 28.681)
    crumb = box(115.8915, 28.681, 115.891505, 28.681005)
    assert area_m2(crumb) < 1.0

    merged = _merge_slivers([left.union(crumb), right])

    assert len(merged) == 2
    assert merged[0].equals(left)
    assert merged[1].geom_type == "Polygon"
    assert merged[1].equals(right.union(crumb))


def test_area_m2_accepts_geojson_and_shapes() -> None:
    square = box(115.89, 28.68, 115.90, 28.69)
    # 0.01° is ~977 m of longitude and ~1105 m of latitude here.
    assert area_m2(square) == pytest.approx(1.08e6, rel=0.01)
    assert area_m2(shapely.geometry.mapping(square)) == area_m2(square)
    assert area_m2(shapely.Polygon()) == 0.0
