"""import_grids / export_grids: whole-file validation, one line per problem, atomic writes, round trips."""

import io
import json
import re
from datetime import date
from pathlib import Path

import pytest
import shapely
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from shapely.geometry import shape

from cases.models import Case
from grids import services as grid_services
from grids.geometry import area_m2
from grids.layer_io import layer_check
from grids.models import Grid, Jurisdiction, Resident
from grids.selectors import grid_layer_version

from ..factories import centre

pytestmark = pytest.mark.django_db


LAT0, LNG0, STEP = 28.67, 115.88, 0.001  # 0.001° ≈ 98 m × 111 m at this latitude
COMMUNITY = "360102001001"


def ring(row: float, col: float, rows: float = 1, cols: float = 1) -> list[list[float]]:
    """A closed rectangle of cells, counter-clockwise; cell (0, 0) has its corner at (LAT0, LNG0)."""
    w, s = LNG0 + col * STEP, LAT0 + row * STEP
    e, n = LNG0 + (col + cols) * STEP, LAT0 + (row + rows) * STEP
    return [[w, s], [e, s], [e, n], [w, n], [w, s]]


def polygon(*rings) -> dict:
    return {"type": "Polygon", "coordinates": list(rings)}


def feature(code: str | None, geometry: dict | None, name: str | None = "网格", **properties) -> dict:
    props = dict(properties)
    if code is not None:
        props["code"] = code
    if name is not None:
        props["name"] = name
    return {"type": "Feature", "properties": props, "geometry": geometry}


def code(n: int, community: str = COMMUNITY) -> str:
    return f"{community}{n:02d}"


def block(rows: int, cols: int, *, skip: tuple[tuple[int, int], ...] = ()) -> list[dict]:
    """rows × cols unit squares numbered row by row from 01, leaving out the cells in `skip`."""
    features = []
    for r in range(rows):
        for c in range(cols):
            if (r, c) not in skip:
                features.append(feature(code(r * cols + c + 1), polygon(ring(r, c)), name=f"网格{r}{c}"))
    return features


def collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def write(tmp_path: Path, data, name: str = "layer.geojson") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def run(path: Path, *args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_grids", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def snapshot() -> tuple:
    grids = list(
        Grid.objects.order_by("code").values_list("code", "name", "boundary", "properties", "community")
    )
    levels = list(Jurisdiction.objects.order_by("code").values_list("code", "name", "level", "boundary"))
    return grids, levels, grid_layer_version()


def refused(path: Path, *args) -> list[str]:
    """Run an import that must fail; check nothing changed; return the problem lines."""
    before = snapshot()
    with pytest.raises(CommandError) as raised:
        run(path, *args)
    assert snapshot() == before, "a refused import must write nothing"
    first, *lines = str(raised.value).splitlines()
    assert "nothing imported" in first
    return lines


def only_line(lines: list[str], *needles: str) -> str:
    matching = [line for line in lines if all(n in line for n in needles)]
    assert len(matching) == 1, (needles, lines)
    return matching[0]


# --- Importing a good layer -------------------------------------------------------------------------------


def test_it_imports_a_seamless_layer_and_creates_the_missing_levels(tmp_path):
    features = block(2, 2)
    features[0]["properties"].update(street_name="公园街道", owner="城管一队")
    out, err = run(write(tmp_path, collection(features)))

    assert "4 grids created" in out and err == ""
    grid = Grid.objects.get(code=code(1))
    assert grid.name == "网格00" and grid.community.code == COMMUNITY
    # Other properties are kept, street_name included; code and name are columns.
    assert grid.properties == {"street_name": "公园街道", "owner": "城管一队"}
    assert grid.boundary == polygon(ring(0, 0))
    assert (grid.min_lng, grid.min_lat) == pytest.approx((LNG0, LAT0))
    assert grid.area_m2 == pytest.approx(area_m2(shape(polygon(ring(0, 0)))))
    assert 10_000 < grid.area_m2 < 11_500
    levels = dict(Jurisdiction.objects.values_list("code", "name"))
    assert levels == {"360102": "区 360102", "360102001": "公园街道", COMMUNITY: f"社区 {COMMUNITY}"}
    assert Jurisdiction.objects.get(code=COMMUNITY).parent.code == "360102001"
    assert grid_layer_version() == 1, "one import bumps the layer version once"


def test_it_keeps_existing_jurisdiction_names(tmp_path):
    grid_services.jurisdiction_ensure(code="360102", name="东湖区")
    features = block(1, 1)
    features[0]["properties"]["district_name"] = "别的名字"
    run(write(tmp_path, collection(features)))
    assert Jurisdiction.objects.get(code="360102").name == "东湖区"


def test_without_replace_it_updates_codes_in_the_file_and_leaves_the_others(tmp_path):
    run(write(tmp_path, collection(block(2, 2))))
    changed = block(2, 2)[:1]
    changed[0]["properties"]["name"] = "改名网格"
    out, _ = run(write(tmp_path, collection(changed), "one.geojson"))
    assert "0 grids created, 1 updated, 0 unchanged, 0 deleted" in out
    assert Grid.objects.count() == 4 and Grid.objects.get(code=code(1)).name == "改名网格"
    assert grid_layer_version() == 2


def test_an_unchanged_file_does_not_bump_the_layer(tmp_path):
    path = write(tmp_path, collection(block(2, 2)))
    run(path)
    out, _ = run(path)
    assert "4 unchanged" in out and grid_layer_version() == 1


def test_replace_deletes_grids_missing_from_the_file(tmp_path, django_user_model):
    run(write(tmp_path, collection(block(2, 2))))
    grid_services.grid_assign(
        grid=Grid.objects.get(code=code(3)), user=django_user_model.objects.create(username="a")
    )
    out, err = run(write(tmp_path, collection(block(1, 2)), "half.geojson"), "--replace")
    assert "2 deleted" in out
    assert f"grid {code(3)} is not in the file, so --replace deletes it with its 1 grid assignment\n" in err
    assert f"grid {code(4)} is not in the file, so --replace deletes it\n" in err
    assert sorted(Grid.objects.values_list("code", flat=True)) == [code(1), code(2)]


def test_replace_is_refused_when_cases_or_residents_refer_to_a_missing_grid(world, tmp_path):
    now = timezone.now()
    lat, lng = centre(world.g4)
    Case.objects.create(
        source="patrol",
        lat=lat,
        lng=lng,
        grid=world.g4,
        category=world.cats.waste,
        description="x",
        reported_at=now,
        updated_at=now,
    )
    Resident.objects.create(
        grid=world.g3,
        address="1号",
        name_encrypted="-",
        id_number_encrypted="-",
        id_number_hash="h1",
        gender="F",
        birth_date=date(1950, 1, 1),
        moved_in_on=date(2000, 1, 1),
    )
    keep = [feature(g.code, g.boundary, name=g.name) for g in (world.g1, world.g2)]  # g3 and g4 left out
    lines = refused(write(tmp_path, collection(keep)), "--replace")
    assert lines == [
        f"grid {world.g3.code} is missing from the file but is referred to by 1 resident: "
        "keep it in the file or move them to another grid first",
        f"grid {world.g4.code} is missing from the file but is referred to by 1 case: "
        "keep it in the file or move them to another grid first",
    ]


def test_a_partial_file_must_fit_the_stored_neighbours(tmp_path):
    run(write(tmp_path, collection(block(1, 2))))
    # A new grid that overlaps the stored grid 02 by half of it.
    intruder = [feature(code(9), polygon(ring(0, 1.5)))]
    lines = refused(write(tmp_path, collection(intruder), "intruder.geojson"))
    only_line(lines, f"grids {code(2)} and {code(9)} overlap by")


# --- Every problem, one line each, naming the grid codes -----------------------------------------------


def test_it_refuses_a_self_intersecting_grid(tmp_path):
    w, s, e, n = LNG0, LAT0, LNG0 + STEP, LAT0 + STEP
    bowtie = polygon([[w, s], [e, n], [e, s], [w, n], [w, s]])
    lines = refused(write(tmp_path, collection([feature(code(1), bowtie)])))
    assert len(lines) == 1
    assert lines[0].startswith(
        f"grid {code(1)} (feature #1) has invalid geometry: Self-intersection[115.8805 28.6705"
    )


def test_it_refuses_an_unclosed_ring(tmp_path):
    open_ring = ring(0, 0)[:-1]  # shapely would quietly close it
    lines = refused(write(tmp_path, collection([feature(code(1), polygon(open_ring))])))
    assert len(lines) == 1
    assert lines[0].startswith(f"grid {code(1)} (feature #1) outer ring is not closed")


def test_it_refuses_a_ring_too_short_to_close(tmp_path):
    lines = refused(write(tmp_path, collection([feature(code(1), polygon(ring(0, 0)[:3]))])))
    assert lines == [
        f"grid {code(1)} (feature #1) outer ring has 3 positions; a closed ring needs at least 4"
    ]


def test_it_refuses_control_characters_in_names_and_codes_of_other_digits(tmp_path):
    features = [
        feature(code(1), polygon(ring(0, 0)), name="网格\x00一"),
        feature(code(2), polygon(ring(0, 1)), street_name="公园\x1b街道"),
        feature("²" * 14, polygon(ring(0, 2))),
    ]
    lines = refused(write(tmp_path, collection(features)))
    only_line(lines, code(1), "has a name that contains a NUL character")
    only_line(lines, code(2), "has an unusable `street_name`")
    only_line(lines, "has a malformed code '²²²²²²²²²²²²²²'; a grid code has 14 digits")


def test_it_refuses_a_layer_nested_past_the_json_limit(tmp_path):
    lines = refused(write(tmp_path, "[" * 5000 + "]" * 5000))
    assert lines == ["malformed JSON: JSON nested more than 32 levels deep"]


def test_it_refuses_wrong_nesting(tmp_path):
    hole_outside = polygon(ring(0, 0), ring(0, 3))
    nested_shells = {"type": "MultiPolygon", "coordinates": [[ring(0, 5, 3, 3)], [ring(1, 6)]]}
    lines = refused(
        write(tmp_path, collection([feature(code(1), hole_outside), feature(code(2), nested_shells)]))
    )
    only_line(lines, f"grid {code(1)} (feature #1) has invalid geometry: Hole lies outside shell")
    only_line(lines, f"grid {code(2)} (feature #2) has invalid geometry: Nested shells")


def test_it_refuses_overlapping_grids_with_the_overlap_area(tmp_path):
    features = [feature(code(1), polygon(ring(0, 0))), feature(code(2), polygon(ring(0, 0.5)))]
    lines = refused(write(tmp_path, collection(features)))
    expected = area_m2(shape(polygon(ring(0, 0.5, 1, 0.5))))
    line = only_line(lines, f"grids {code(1)} and {code(2)} overlap by {expected:.2f} m²")
    assert "at lat 28.67" in line and "lng 115.88" in line


def test_it_refuses_a_grid_lying_inside_another(tmp_path):
    features = [feature(code(1), polygon(ring(0, 0, 3, 3))), feature(code(2), polygon(ring(1, 1)))]
    lines = refused(write(tmp_path, collection(features)))
    only_line(lines, f"grids {code(1)} and {code(2)} overlap by")


def test_it_refuses_a_gap_inside_the_layer_with_its_area_and_a_point(tmp_path):
    features = block(3, 3, skip=((1, 1),))  # the middle cell (grid 05) is missing
    lines = refused(write(tmp_path, collection(features)))
    hole = shape(polygon(ring(1, 1)))
    line = only_line(lines, f"gap (hole in the layer) of {area_m2(hole):.2f} m²")
    lat, lng = re.search(r"at lat ([\d.]+), lng ([\d.]+)", line).groups()
    assert hole.contains(shapely.Point(float(lng), float(lat)))
    # The eight grids around it are named.
    assert "between grids " + ", ".join(code(n) for n in (1, 2, 3, 4, 6, 7, 8, 9)) in line


def test_it_refuses_a_grid_crossing_its_stored_community_boundary(tmp_path):
    grid_services.jurisdiction_ensure(code="360102", name="东湖区")
    grid_services.jurisdiction_ensure(code="360102001", name="公园街道")
    grid_services.jurisdiction_ensure(code=COMMUNITY, name="渊明社区", boundary=polygon(ring(0, 0, 1, 2)))
    # Grid 01 shares the community's outer edges exactly (fine); grid 02 sticks out by half a cell.
    features = [feature(code(1), polygon(ring(0, 0))), feature(code(2), polygon(ring(0, 1, 1, 1.5)))]
    lines = refused(write(tmp_path, collection(features)))
    outside = area_m2(shape(polygon(ring(0, 2, 1, 0.5))))
    assert lines == [
        f"grid {code(2)} crosses the boundary of its community {COMMUNITY}: {outside:.2f} m² lies outside it"
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"type": "FeatureCollection", "features": [', "malformed JSON at line 1 column 44"),
        ("", "malformed JSON at line 1 column 1: Expecting value"),
        (
            '{"type": "Feature", "geometry": null, "properties": {}}',
            "not a GeoJSON FeatureCollection (found 'Feature')",
        ),
        ("[1, 2]", "not a GeoJSON FeatureCollection (found 'list')"),
        ('{"type": "FeatureCollection"}', "the FeatureCollection has no `features` list"),
        ('{"type": "FeatureCollection", "features": []}', "the FeatureCollection has no features"),
        (
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": NaN}]}',
            "malformed JSON: NaN",
        ),
    ],
    ids=["truncated", "empty", "a-feature", "a-list", "no-features", "zero-features", "nan"],
)
def test_it_refuses_a_file_that_is_not_a_feature_collection(tmp_path, text, problem):
    lines = refused(write(tmp_path, text))
    assert len(lines) == 1 and lines[0].startswith(problem), lines


def test_it_refuses_bad_codes_and_features_each_on_its_own_line(tmp_path):
    features = [
        feature(code(1), polygon(ring(0, 0))),
        feature(code(1), polygon(ring(0, 0)), name="again"),  # duplicate
        feature(None, polygon(ring(0, 1))),  # no code
        feature("3601020010010", polygon(ring(0, 2))),  # 13 digits
        feature("36010200100A04", polygon(ring(0, 3))),  # a letter
        feature(" ", None, name=None),  # three problems at once
        feature(code(5), None),  # no geometry
        feature(code(6), {"type": "Point", "coordinates": [LNG0, LAT0]}),
        feature(code(7), polygon(ring(0, 7)), name=None),
        "not a feature",
    ]
    lines = refused(write(tmp_path, collection(features)))
    assert lines == [
        "feature #3 has no `code` property",
        "feature #4 has a malformed code '3601020010010'; a grid code has 14 digits",
        "feature #5 has a malformed code '36010200100A04'; a grid code has 14 digits",
        "feature #6 has a malformed code ' '; a grid code has 14 digits",
        "feature #6 has no `name` property",
        "feature #6 has no geometry",
        f"grid {code(5)} (feature #7) has no geometry",
        f"grid {code(6)} (feature #8) has a Point geometry; a grid needs a Polygon or MultiPolygon",
        f"grid {code(7)} (feature #9) has no `name` property",
        "feature #10 is not a GeoJSON Feature",
        f"grid {code(1)}: duplicate code in features #1, #2",
    ]


def test_it_refuses_coordinates_that_are_not_longitude_latitude(tmp_path):
    projected = polygon(
        [[440000.0, 3170000.0], [440100.0, 3170000.0], [440100.0, 3170100.0], [440000.0, 3170000.0]]
    )
    lines = refused(write(tmp_path, collection([feature(code(1), projected)])))
    assert lines == [
        f"grid {code(1)} (feature #1) outer ring has a position outside WGS84 longitude/latitude: "
        "[440000.0, 3170000.0]"
    ]


def test_it_reports_an_unreadable_file_without_a_traceback(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        run(tmp_path / "missing.geojson")
    (tmp_path / "latin1.geojson").write_bytes(b'{"type": "FeatureCollection", "name": "\xe9"}')
    assert refused(tmp_path / "latin1.geojson")[0].startswith("not UTF-8 text")


# --- Slivers: warnings below the tolerance ----------------------------------------------------------------


def sliver_overlap_layer() -> list[dict]:
    """Two cells whose shared edge is 5e-8° (about 5 mm) too wide: an overlap of about half a m²."""
    return [feature(code(1), polygon(ring(0, 0, 1, 1 + 5e-5))), feature(code(2), polygon(ring(0, 1)))]


def test_a_sliver_overlap_is_a_warning(tmp_path):
    out, err = run(write(tmp_path, collection(sliver_overlap_layer())))
    assert "2 grids created" in out
    assert f"warning: sliver: grids {code(1)} and {code(2)} overlap by 0.54 m²" in err
    assert "(below 1 m²)" in err


def test_a_lower_tolerance_turns_the_sliver_into_an_error(tmp_path):
    lines = refused(write(tmp_path, collection(sliver_overlap_layer())), "--sliver-tolerance", "0.1")
    only_line(lines, f"grids {code(1)} and {code(2)} overlap by 0.54 m²")


def test_a_sliver_gap_is_a_warning(tmp_path):
    features = block(1, 2)
    features[1]["geometry"] = polygon(ring(0, 1 + 5e-5, 1, 1 - 5e-5))  # a 5 mm crack between 01 and 02
    features.append(feature(code(3), polygon(ring(1, 0, 1, 2))))  # closes the crack at the top
    features.append(feature(code(4), polygon(ring(-1, 0, 1, 2))))  # … and at the bottom
    out, err = run(write(tmp_path, collection(features)))
    assert "4 grids created" in out
    assert "warning: sliver: gap (hole in the layer) of 0.54 m²" in err
    assert f"between grids {code(1)}, {code(2)}, {code(3)}, {code(4)}" in err


# --- Export and round trips -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_layout():
    """The demo's 60 real Donghu grids: a layer with real shared edges (tests using it are marked `demo`)."""
    from demo.layout import build_layout

    return build_layout()


def demo_file(layout) -> dict:
    return collection(
        [
            feature(g.code, g.geometry, name=g.name, community_name=f"社区{g.parent_code[-3:]}", tier="A")
            for g in layout.grids
        ]
    )


def export(*args) -> str:
    out = io.StringIO()
    call_command("export_grids", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.demo
def test_the_demo_district_round_trips_through_export(tmp_path, demo_layout):
    # The real communities, stored with their boundaries, so the crossing check runs on real shared edges.
    grid_services.jurisdiction_ensure(code="360102", name="东湖区", boundary=demo_layout.district.geometry)
    for level in (demo_layout.streets, demo_layout.communities):
        for area in level:
            grid_services.jurisdiction_ensure(code=area.code, name=area.name, boundary=area.geometry)
    out, err = run(write(tmp_path, demo_file(demo_layout)))
    assert "60 grids created" in out and "warning" not in err
    first = snapshot()

    text = export()
    data = json.loads(text)
    assert [f["properties"]["code"] for f in data["features"]] == sorted(g.code for g in demo_layout.grids)
    assert list(data["features"][0]["properties"]) == ["code", "name", "community_name", "tier"]
    assert len(text.splitlines()) == 62, "one feature per line between the opening and closing lines"

    out, _ = run(write(tmp_path, text, "export.geojson"), "--replace")
    assert "60 unchanged, 0 deleted" in out
    assert snapshot() == first
    assert export() == text


def test_export_writes_a_file_for_one_community(tmp_path):
    other = f"{COMMUNITY[:-1]}2"
    features = block(1, 2) + [feature(code(1, other), polygon(ring(0, 2)))]
    run(write(tmp_path, collection(features)))
    call_command(
        "export_grids", "--out", str(tmp_path / "out.geojson"), "--community", COMMUNITY, stderr=io.StringIO()
    )
    data = json.loads((tmp_path / "out.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["code"] for f in data["features"]] == [code(1), code(2)]
    with pytest.raises(CommandError, match="there is no community 360102009009"):
        export("--community", "360102009009")


def test_export_reads_the_layer_in_one_query(tmp_path):
    run(write(tmp_path, collection(block(3, 3))))
    with CaptureQueriesContext(connection) as queries:
        export()
    assert len(queries) == 1


# --- Speed ---------------------------------------------------------------------------------------------


def test_shared_edges_and_corners_of_a_large_layer_are_neither_overlaps_nor_gaps():
    # 40 × 40 = 1,600 grids: an all-pairs check would be 1.3 million intersections; the STRtree keeps it
    # to the neighbouring pairs, which all touch without overlapping. (100 × 100 takes a few seconds.)
    features = [
        feature(f"3601020{r:02d}{c:03d}01", polygon(ring(r, c))) for r in range(40) for c in range(40)
    ]
    check = layer_check(json.dumps(collection(features)))
    assert (check.errors, check.warnings) == ([], [])
    assert len(check.features) == 1600
