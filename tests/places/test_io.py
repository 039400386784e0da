"""Base-data import and export: every bad row named with its column and why, nothing written when any row is
bad, the bulk path storing what the services store, and every export importing back unchanged."""

import csv
import io
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from grids import pii
from grids.residents_import import ImportFileError
from places import codes, services
from places.io.exporting import base_data_export
from places.io.importing import base_data_import
from places.models import Building, Facility, House, Occupancy, Organisation, Road, UnmatchedAddress
from tests.factories import centre, square
from tests.grids.resident_factories import id_number, resident

from .factories import building, facility, house

pytestmark = pytest.mark.django_db

# The headers of the files the tests write.
BUILDING = "grid_code road number building use floors units lat lng".split()
HOUSE = "address unit room floor use area_m2".split()
OCCUPANCY = "id_number address relation population is_tenant landlord_id_number since until".split()
ORGANISATION = "name credit_code kind address lat lng contact_name contact_phone risk_tags".split()
FACILITY = "code facility_class lat lng name address owner department state".split()
OUTSIDE = (28.0, 115.0)  # no grid of the test district


def spot(grid) -> tuple[float, float]:
    """The middle of a grid to the 6 decimals a survey gives (XLSX, like Excel, keeps 15 digits, so a
    point with floating-point noise in its last digits comes back a hair away)."""
    lat, lng = centre(grid)
    return round(lat, 6), round(lng, 6)


# --- files ------------------------------------------------------------------------------------------------


def csv_of(header: list[str], rows: list[list], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_of(header: list[str], rows: list[list]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(header)
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def geojson_of(features: list[dict]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def point_feature(lat: float, lng: float, **properties) -> dict:
    geometry = {"type": "Point", "coordinates": [lng, lat]}
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def load(kind: str, data: bytes, filename: str = "file.csv", actor=None):
    return base_data_import(kind=kind, data=data, filename=filename, actor=actor)


def where(result) -> list[tuple[int, str]]:
    return [(e.row, e.column) for e in result.errors]


def said(result) -> dict[int, str]:
    return {e.row: e.message for e in result.errors}


def building_row(grid, number: str, **overrides) -> list:
    lat, lng = centre(grid)
    values = {"grid_code": grid.code, "road": "八一大道", "number": number, "building": "1", "use": "住宅"}
    values |= {"floors": 18, "units": 3, "lat": lat, "lng": lng, **overrides}
    return [values[column] for column in BUILDING]


# --- buildings --------------------------------------------------------------------------------------------


def test_a_clean_building_file_imports_every_row_with_its_grid_road_and_keys(world):
    rows = [
        building_row(world.g1, "123"),
        building_row(world.g3, "0125", building="2栋", use="", grid_code=""),
    ]
    result = load("buildings", csv_of(BUILDING, rows))
    assert (result.total, result.imported, result.errors) == (2, 2, [])
    first, second = Building.objects.order_by("number")
    assert (first.address, first.address_key, first.grid, first.use) == (
        "八一大道123号1栋",
        "八一大道/123/1",
        world.g1,
        "residential",
    )
    assert (second.address, second.grid, second.floors, second.units) == ("八一大道125号2栋", world.g3, 18, 3)
    assert Road.objects.get().name == "八一大道"  # one road for both, created once


def test_each_bad_building_row_is_named_with_its_column_and_nothing_is_written(world):
    building(world.g2, number="200", name="1")
    rows = [
        building_row(world.g1, "101"),  # 2: good
        building_row(world.g1, "102", grid_code="36010200100199"),  # 3: unknown grid
        building_row(world.g1, "103", lat=OUTSIDE[0], lng=OUTSIDE[1], grid_code=""),  # 4: point outside
        building_row(world.g1, "104", grid_code=world.g2.code),  # 5: the point lies in g1
        building_row(world.g1, "0101", building="1栋"),  # 6: row 2's address again
        building_row(world.g2, "200"),  # 7: already registered
        building_row(world.g1, "107", floors=0),  # 8: floors
        building_row(world.g1, "108", use="castle"),  # 9: use
        building_row(world.g1, "109", road=""),  # 10: road
        building_row(world.g1, ""),  # 11: door number
    ]
    result = load("buildings", csv_of(BUILDING, rows))
    assert where(result) == [
        (3, "grid_code"),
        (4, "lat"),
        (5, "grid_code"),
        (6, "number"),
        (7, "number"),
        (8, "floors"),
        (9, "use"),
        (10, "road"),
        (11, "number"),
    ]
    messages = said(result)
    assert messages[3] == "unknown grid code 36010200100199"
    assert messages[4] == "the location is outside the jurisdiction: no grid contains it"
    assert messages[5] == f"the location lies in grid {world.g1.label}, not in {world.g2.label}"
    assert messages[6] == "the same address as row 2"
    assert messages[7] == "this address is already registered as a building"
    assert messages[8] == "floors must be between 1 and 200"
    assert messages[9].startswith("the use must be one of residential, commercial")
    assert result.imported == 0 and Building.objects.count() == 1


def test_a_grid_administrator_imports_buildings_into_their_own_grids_only(world):
    rows = [
        building_row(world.g1, "1"),
        building_row(world.g3, "2"),
        building_row(world.g4, "3", grid_code=""),
    ]
    result = load("buildings", csv_of(BUILDING, rows), actor=world.gridadmin)
    assert where(result) == [(3, "grid_code"), (4, "lat")]
    assert said(result)[3] == f"grid {world.g3.label} is not one of your grids"
    assert Building.objects.count() == 0
    assert load("buildings", csv_of(BUILDING, rows[:1]), actor=world.gridadmin).imported == 1


def test_a_footprint_without_a_point_places_the_building_at_its_centroid(world):
    lat, lng = centre(world.g4)
    footprint = square(lat - 0.001, lng - 0.001, 0.002)
    feature = {
        "type": "Feature",
        "geometry": footprint,
        "properties": {"道路": "阳明路", "门牌号": "8", "楼栋": "", "用途": "商业", "层数": 4},
    }
    result = load("buildings", geojson_of([feature]), "buildings.geojson")
    assert (result.imported, result.errors) == (1, [])
    stored = Building.objects.get()
    assert (stored.grid, stored.footprint, stored.use, stored.floors) == (
        world.g4,
        footprint,
        "commercial",
        4,
    )
    assert stored.lat == pytest.approx(lat) and stored.lng == pytest.approx(lng)


def test_a_footprint_cell_must_hold_a_geojson_polygon(world):
    header = [*BUILDING, "footprint"]
    rows = [building_row(world.g1, "1") + ["{not json"], building_row(world.g1, "2") + ['{"type": "Point"}']]
    result = load("buildings", csv_of(header, rows))
    assert where(result) == [(2, "footprint"), (3, "footprint")]
    assert said(result)[2] == "the footprint must be a GeoJSON Polygon"


def test_a_geojson_geometry_of_another_type_is_a_row_error(world):
    lat, lng = centre(world.g1)
    line = {"type": "LineString", "coordinates": [[lng, lat], [lng + 0.001, lat]]}
    features = [
        {"type": "Feature", "geometry": line, "properties": {"road": "阳明路", "number": "9"}},
        point_feature(lat, lng, road="阳明路", number="10"),
    ]
    result = load("buildings", geojson_of(features), "b.geojson")
    assert (1, "geometry") in where(result)
    assert said(result)[1] == "a geometry of type LineString cannot be read here: give a Point or a Polygon"


BUILDING_VARIANTS = [
    ("八一大道", "123号", "1栋"),
    ("八一大道", "125", "1号楼"),
    ("八一大道", "126号", "一幢"),
    ("东湖区八一大道", "０１２４", "一"),
    ("阳明路", "8", "A座"),
    ("阳明路", "9", ""),
    ("北京西路", "12-1", "3号楼"),
]


def _building_rows() -> list[tuple]:
    fields = (
        "grid_id",
        "road__name",
        "road__key",
        "number",
        "name",
        "address",
        "address_key",
        "use",
        "floors",
    )
    return sorted(Building.objects.values_list(*fields, "units", "lat", "lng", "footprint"), key=repr)


def test_the_bulk_path_stores_the_buildings_building_save_stores(world):
    lat, lng = centre(world.g2)
    rows = [
        [world.g2.code, road, number, name, "mixed", 7, 2, lat, lng]
        for road, number, name in BUILDING_VARIANTS
    ]
    assert load("buildings", csv_of(BUILDING, rows)).errors == []
    imported = _building_rows()
    Building.objects.all().delete()
    Road.objects.all().delete()
    for road, number, name in BUILDING_VARIANTS:
        services.building_save(
            actor=None, road=road, number=number, name=name, use="mixed", floors=7, units=2, lat=lat, lng=lng
        )
    assert _building_rows() == imported


# --- houses -------------------------------------------------------------------------------------------


@pytest.fixture
def tower(world):
    return building(world.g1, number="123", name="1", floors=18, units=3)


def test_a_clean_house_file_finds_buildings_by_address_or_id(world, tower):
    other = building(world.g2, road="阳明路", number="8", name="")
    rows = [
        ["东湖区八一大道123号1栋", 2, "301", "", "出租", "85.5"],
        ["八一大道１２３号一栋", "", "1801", "", "", ""],  # no unit
        ["八一大道123号1栋2单元302室", "", "", "", "vacant", ""],  # the address names the house itself
    ]
    result = load("houses", csv_of(HOUSE, rows))
    assert (result.imported, result.errors) == (3, [])
    by_id = load("houses", csv_of(["building_id", "room", "floor"], [[other.pk, "B101", ""]]))
    assert (by_id.imported, by_id.errors) == (1, [])
    houses = {h.address: h for h in House.objects.all()}
    assert set(houses) == {
        "八一大道123号1栋2单元301室",
        "八一大道123号1栋1801室",
        "八一大道123号1栋2单元302室",
        "阳明路8号B101室",
    }
    rented = houses["八一大道123号1栋2单元301室"]
    assert (rented.use, rented.area_m2, rented.floor, rented.grid) == (
        "rented",
        Decimal("85.50"),
        3,
        world.g1,
    )
    assert houses["阳明路8号B101室"].floor == -1 and houses["阳明路8号B101室"].grid == world.g2


def test_each_bad_house_row_is_named_and_nothing_is_written(world, tower):
    house(tower, unit=1, room="101")
    rows = [
        ["八一大道123号1栋", 1, "201", "", "", ""],  # 2: good
        ["八一大道999号1栋", 1, "201", "", "", ""],  # 3: unknown building
        ["八一大道123号1栋", 4, "201", "", "", ""],  # 4: the building has 3 units
        ["八一大道123号1栋", 1, "2501", "", "", ""],  # 5: floor 25 of 18
        ["八一大道123号1栋", 1, "201", "", "", ""],  # 6: row 2 again
        ["八一大道123号1栋", 1, "101", "", "", ""],  # 7: already registered
        ["八一大道123号1栋", 1, "202", "", "palace", ""],  # 8: use
        ["八一大道123号1栋", 1, "203", "", "", "lots"],  # 9: area
        ["八一大道123号1栋", 1, "", "", "", ""],  # 10: no room
        ["no road here", 1, "204", "", "", ""],  # 11: not an address
    ]
    result = load("houses", csv_of(HOUSE, rows))
    assert where(result) == [
        (3, "address"),
        (4, "unit"),
        (5, "floor"),
        (6, "room"),
        (7, "room"),
        (8, "use"),
        (9, "area_m2"),
        (10, "room"),
        (11, "address"),
    ]
    messages = said(result)
    assert messages[3] == "no building or house of the base data has the address 八一大道999号1栋"
    assert messages[4] == "the building has 3 units: there is no unit 4"
    assert messages[5] == "the floor must be between -10 and 18"
    assert messages[6] == "the same house as row 2"
    assert messages[7] == "this house is already registered"
    assert messages[9] == "the area must be a number of square metres"
    assert messages[10] == "the room number is required"
    assert result.imported == 0 and House.objects.count() == 1


def test_an_unknown_building_id_is_named(world):
    result = load("houses", csv_of(["building_id", "room"], [[99999, "301"], ["x", "302"]]))
    assert where(result) == [(2, "building_id"), (3, "building_id")]
    assert said(result)[2] == "no building has the id 99999"


def test_a_grid_administrator_imports_houses_into_their_own_grids_only(world, tower):
    elsewhere = building(world.g3, number="300")
    rows = [["八一大道123号1栋", 1, "301", "", "", ""], [elsewhere.address, 1, "301", "", "", ""]]
    result = load("houses", csv_of(HOUSE, rows), actor=world.gridadmin)
    assert where(result) == [(3, "address")]
    assert said(result)[3] == f"grid {world.g3.label} is not one of your grids"
    assert House.objects.count() == 0


HOUSE_VARIANTS = [(2, "301"), ("", "1801室"), ("三", "0502"), (1, "-101"), ("1", "A1203"), (3, "B2")]


def _house_rows() -> list[tuple]:
    fields = ("building_id", "grid_id", "unit", "floor", "room", "address", "address_key", "use", "area_m2")
    return sorted(House.objects.values_list(*fields), key=repr)


def test_the_bulk_path_stores_the_houses_house_save_stores(world, tower):
    rows = [[tower.address, unit, room, "", "rented", "60"] for unit, room in HOUSE_VARIANTS]
    assert load("houses", csv_of(HOUSE, rows)).errors == []
    imported = _house_rows()
    House.objects.all().delete()
    for unit, room in HOUSE_VARIANTS:
        services.house_save(actor=None, building=tower, unit=unit, room=room, use="rented", area_m2="60")
    assert _house_rows() == imported


# --- occupancies --------------------------------------------------------------------------------------


@pytest.fixture
def homes(world, tower):
    return house(tower, unit=1, room="301"), house(tower, unit=1, room="302")


def test_occupancies_name_residents_by_id_number_and_keep_their_history(world, homes):
    first, second = homes
    number = id_number(seq=501)
    person = resident(world.g1, id_no=number)
    rows = [
        # The later move first: the import applies a resident's homes in the order of their dates.
        [number.lower(), second.address, "户主", "常住", "否", "", "2021-05-01", ""],
        [number, first.address, "head", "registered", "", "", "2019-01-01", "2021-04-30"],
    ]
    result = load("occupancies", csv_of(OCCUPANCY, rows))
    assert (result.imported, result.errors) == (2, [])
    history = list(Occupancy.objects.filter(resident=person).order_by("since"))
    assert [(o.house, o.since, o.until) for o in history] == [
        (first, date(2019, 1, 1), date(2021, 4, 30)),
        (second, date(2021, 5, 1), None),
    ]
    assert history[1].population == "permanent"
    person.refresh_from_db()
    assert person.address == second.address


def test_each_bad_occupancy_row_is_named_and_nothing_is_written(world, homes):
    first, second = homes
    known, recorded = id_number(seq=601), id_number(seq=602)
    resident(world.g1, id_no=known)
    services.occupancy_start(
        actor=None, resident=resident(world.g1, id_no=recorded), house=second, since=date(2020, 1, 1)
    )
    bad_check = known[:17] + ("0" if known[17] != "0" else "1")
    rows = [
        [known, first.address, "", "", "", "", "2020-03-01", ""],  # 2: good
        [id_number(seq=603), first.address, "", "", "", "", "2020-03-01", ""],  # 3: nobody with this ID
        [bad_check, first.address, "", "", "", "", "2020-03-01", ""],  # 4: check character
        [known, "八一大道123号1栋9单元901", "", "", "", "", "2020-04-01", ""],  # 5: no such house
        [known, first.address, "", "", "", "", "2020-02-30", ""],  # 6: not a date
        [known, second.address, "", "", "", "", "2020-03-01", ""],  # 7: row 2's resident and date
        [recorded, second.address, "", "", "", "", "2020-01-01", ""],  # 8: recorded already
        [known, first.address, "cousin", "", "", "", "2020-05-01", ""],  # 9: relation (the service says)
    ]
    result = load("occupancies", csv_of(OCCUPANCY, rows))
    assert where(result) == [
        (3, "id_number"),
        (4, "id_number"),
        (5, "address"),
        (6, "since"),
        (7, "since"),
        (8, "since"),
        (9, "relation"),
    ]
    messages = said(result)
    assert messages[3] == "no resident is registered with this ID number"
    assert messages[4].startswith("wrong check character")
    assert messages[5] == "no house of the base data has the address 八一大道123号1栋9单元901"
    assert messages[6] == "'2020-02-30' is not a date (use YYYY-MM-DD)"
    assert messages[7] == "the same resident and moving-in date as row 2"
    assert messages[8] == "this occupancy is already recorded"
    assert messages[9].startswith("the relation must be one of head, spouse")
    assert result.imported == 0 and Occupancy.objects.count() == 1  # row 2 was written, then undone
    assert not any(known in e.message for e in result.errors)  # ID numbers are never repeated in a message


def test_an_id_number_in_a_numeric_cell_is_refused(world, homes):
    data = xlsx_of(["id_number", "address", "since"], [[360102199003070000, homes[0].address, "2020-01-01"]])
    result = load("occupancies", data, "o.xlsx")
    assert where(result) == [(2, "id_number")]
    assert said(result)[2].startswith("stored as a number")


def test_a_grid_administrator_records_occupancies_in_their_own_grids_only(world, homes):
    number = id_number(seq=701)
    resident(world.g3, id_no=number)
    result = load(
        "occupancies",
        csv_of(OCCUPANCY, [[number, homes[0].address, "", "", "", "", "2020-01-01", ""]]),
        actor=world.gridadmin,
    )
    assert where(result) == [(2, "id_number")]
    assert said(result)[2] == f"grid {world.g3.label} is not one of your grids"


# --- organisations ------------------------------------------------------------------------------------


def credit(n: int) -> str:
    return codes.credit_code_complete(f"91360102MA{n:07d}")


def test_organisations_are_placed_at_their_house_or_point_with_personal_data_encrypted(world, homes):
    lat, lng = centre(world.g4)
    rows = [
        [
            "八方超市",
            credit(1),
            "商铺",
            "东湖区八一大道123号1栋1单元301",
            "",
            "",
            "王五",
            "13800001234",
            "消防重点",
        ],
        ["孺子小学", credit(2).lower(), "school", "孺子路 5 号", lat, lng, "", "", "crowded;fire_safety"],
    ]
    result = load("organisations", csv_of(ORGANISATION, rows))
    assert (result.imported, result.errors) == (2, [])
    shop, school = Organisation.objects.order_by("credit_code")
    assert (shop.house, shop.grid, shop.kind, shop.risk_tags) == (homes[0], world.g1, "shop", ["fire_safety"])
    assert pii.decrypt(shop.contact_name_encrypted) == "王五" and "王五" not in shop.contact_name_encrypted
    assert (school.credit_code, school.house, school.grid, school.address) == (
        credit(2),
        None,
        world.g4,
        "孺子路 5 号",
    )


def test_each_bad_organisation_row_is_named_and_nothing_is_written(world):
    lat, lng = centre(world.g1)
    services.organisation_save(
        actor=None, name="已有", credit_code=credit(9), kind="shop", lat=lat, lng=lng, address="x路1号"
    )
    wrong = credit(3)[:17] + ("0" if credit(3)[17] != "0" else "1")
    rows = [
        ["甲", credit(3), "shop", "阳明路1号", lat, lng, "", "", ""],  # 2: good
        ["乙", wrong, "shop", "阳明路2号", lat, lng, "", "", ""],  # 3: check character
        ["丙", credit(3), "shop", "阳明路3号", lat, lng, "", "", ""],  # 4: row 2's code
        ["丁", credit(9), "shop", "阳明路4号", lat, lng, "", "", ""],  # 5: registered already
        ["戊", credit(5), "shop", "阳明路5号", OUTSIDE[0], OUTSIDE[1], "", "", ""],  # 6: outside
        ["己", credit(6), "bank", "阳明路6号", lat, lng, "", "", ""],  # 7: kind
        ["庚", credit(7), "shop", "阳明路7号", lat, lng, "", "12345", ""],  # 8: phone
    ]
    result = load("organisations", csv_of(ORGANISATION, rows))
    assert where(result) == [
        (3, "credit_code"),
        (4, "credit_code"),
        (5, "credit_code"),
        (6, "lat"),
        (7, "kind"),
        (8, "contact_phone"),
    ]
    messages = said(result)
    assert messages[3].startswith("wrong check character")
    assert messages[4] == "the same credit code as row 2"
    assert messages[5] == "this credit code is already registered"
    assert messages[6] == "the location is outside the jurisdiction: no grid contains it"
    assert result.imported == 0 and Organisation.objects.count() == 1


def test_a_bad_inspection_date_is_named(world):
    lat, lng = centre(world.g1)
    header = ["name", "credit_code", "kind", "address", "lat", "lng", "next_inspection_on"]
    result = load(
        "organisations", csv_of(header, [["甲", credit(11), "shop", "阳明路1号", lat, lng, "2025-13-01"]])
    )
    assert where(result) == [(2, "next_inspection_on")]


def test_a_grid_administrator_imports_organisations_into_their_own_grids_only(world):
    lat, lng = centre(world.g4)
    rows = [["甲", credit(12), "shop", "阳明路1号", lat, lng, "", "", ""]]
    result = load("organisations", csv_of(ORGANISATION, rows), actor=world.gridadmin)
    assert where(result) == [(2, "lat")]
    assert said(result)[2] == f"grid {world.g4.label} is not one of your grids"


# --- facilities ---------------------------------------------------------------------------------------


def test_facilities_get_a_code_when_none_is_given_and_keep_the_one_given(world):
    lat, lng = centre(world.g2)
    given = codes.facility_code_compose("360102", "0101", 77)
    rows = [
        ["", "0101", lat, lng, "", "八一大道口", "水务集团", "sanitation", "破损"],
        [given, "0101", lat, lng, "", "", "", "", ""],
    ]
    result = load("facilities", csv_of(FACILITY, rows))
    assert (result.imported, result.errors) == (2, [])
    new, kept = Facility.objects.order_by("code")
    assert new.code == "3601020101000001" and kept.code == given
    assert (new.department, new.state, new.surveyed_state, new.grid) == (
        world.sanitation,
        "damaged",
        "damaged",
        world.g2,
    )


def test_each_bad_facility_row_is_named_and_nothing_is_written(world):
    lat, lng = centre(world.g1)
    taken = facility(world.g1).code
    code = codes.facility_code_compose("360102", "0101", 50)
    rows = [
        [code, "0101", lat, lng, "", "", "", "", ""],  # 2: good
        ["", "9999", lat, lng, "", "", "", "", ""],  # 3: no such class
        ["36010201010000AB", "0101", lat, lng, "", "", "", "", ""],  # 4: not digits
        [code, "0101", lat, lng, "", "", "", "", ""],  # 5: row 2's code
        [taken, "0101", lat, lng, "", "", "", "", ""],  # 6: taken (the service says)
        ["", "0101", OUTSIDE[0], OUTSIDE[1], "", "", "", "", ""],  # 7: outside
        ["", "0101", lat, lng, "", "", "", "parks", ""],  # 8: no such department
        ["", "0101", lat, lng, "", "", "", "", "gone"],  # 9: state (the service says)
    ]
    result = load("facilities", csv_of(FACILITY, rows))
    assert where(result) == [
        (3, "facility_class"),
        (4, "code"),
        (5, "code"),
        (6, "code"),
        (7, "lat"),
        (8, "department"),
        (9, "state"),
    ]
    messages = said(result)
    assert messages[3] == "'9999' is not a minor facility class (4 digits, CJ/T 214)"
    assert messages[5] == "the same facility code as row 2"
    assert messages[6] == f"facility code {taken} is taken"
    assert messages[8] == "unknown department parks"
    assert result.imported == 0 and Facility.objects.count() == 1  # row 2 was written, then undone


# --- the file as a whole --------------------------------------------------------------------------------


def test_a_wrong_header_imports_nothing(world):
    result = load("buildings", csv_of(["road", "numero", "lat", "lat"], [["八一大道", "1", 28.68, 28.68]]))
    assert result.fatal and result.imported == 0
    assert where(result) == [(1, "numero"), (1, "lat"), (1, "number"), (1, "lng / footprint")]
    assert [e.message for e in result.errors] == [
        "unknown column (known: grid_code, road, number, building, use, floors, units, lat, lng, footprint)",
        "the column appears twice",
        "missing required column",
        "one of the columns lng / footprint is required",
    ]
    houses = load("houses", csv_of(["unit", "room"], [[1, "301"]]))
    assert [e.message for e in houses.errors] == ["one of the columns address / building_id is required"]


def test_chinese_headers_and_gb18030_are_read(world, tower):
    header = ["楼栋地址", "单元", "房号", "用途", "建筑面积"]
    data = csv_of(header, [["八一大道123号1栋", "2", "301", "自住", "90"]], encoding="gb18030")
    result = load("houses", data)
    assert (result.imported, result.errors) == (1, [])
    assert House.objects.get().use == "owner"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"type": "Feature"}', "a GeoJSON file must hold one FeatureCollection"),
        (b"{not json", "the GeoJSON file cannot be parsed"),
        (b"", "the file is empty: no header row"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(world, data, message):
    with pytest.raises(ImportFileError, match=message):
        load("facilities", data, "f.geojson" if data else "f.csv")


def test_xlsx_cells_of_every_type_are_read(world, tower):
    data = xlsx_of(
        HOUSE, [[tower.address, 2.0, "301", 3, "rented", 85.5], [tower.address, None, 1801, None, None, None]]
    )
    result = load("houses", data, "houses.xlsx")
    assert (result.imported, result.errors) == (2, [])
    assert sorted(House.objects.values_list("room", "unit", "area_m2")) == [
        ("1801", None, None),
        ("301", 2, Decimal("85.50")),
    ]


# --- exports and round trips --------------------------------------------------------------------------


def _sheet(content: bytes) -> list[list]:
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def assert_same_file(fmt: str, first, second) -> None:
    if fmt == "xlsx":  # a workbook's zip carries the time it was written
        assert _sheet(first.content) == _sheet(second.content)
    else:
        assert first.content == second.content


def round_trip(kind: str, fmt: str, rows, delete) -> None:
    """Export `kind`, delete its rows, import the export: the same rows, and the same file exported again."""
    before = rows()
    exported = base_data_export(kind=kind, fmt=fmt)
    delete()
    result = load(kind, exported.content, exported.filename)
    assert result.errors == [] and result.imported == len(before)
    assert rows() == before
    assert_same_file(fmt, base_data_export(kind=kind, fmt=fmt), exported)


FORMATS = ["csv", "xlsx", "geojson"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_buildings_export_and_import_back_unchanged(world, fmt):
    lat, lng = spot(world.g3)
    building(
        world.g1,
        number="12",
        name="3",
        use="mixed",
        floors=6,
        units=2,
        lat=spot(world.g1)[0],
        lng=spot(world.g1)[1],
    )
    building(
        world.g3, road="阳明路", number="8", name="", lat=lat, lng=lng, footprint=square(lat, lng, 0.002)
    )

    def delete():
        Building.objects.all().delete()
        Road.objects.all().delete()

    round_trip("buildings", fmt, _building_rows, delete)


@pytest.mark.parametrize("fmt", FORMATS)
def test_houses_export_and_import_back_unchanged(world, tower, fmt):
    house(tower, unit=2, room="301", use="rented", area_m2="85.5")
    house(tower, unit=None, room="-101", floor=-1)
    house(building(world.g4, road="阳明路", number="8"), unit=1, room="1203")
    round_trip("houses", fmt, _house_rows, lambda: House.objects.all().delete())


@pytest.mark.parametrize("fmt", FORMATS)
def test_occupancies_export_and_import_back_unchanged(world, homes, fmt):
    first, second = homes
    owner, tenant = resident(world.g1, id_no=id_number(seq=801)), resident(world.g1, id_no=id_number(seq=802))
    services.occupancy_start(actor=None, resident=owner, house=first, since=date(2019, 1, 1))
    services.occupancy_start(
        actor=None, resident=owner, house=second, since=date(2021, 5, 1), population="permanent"
    )
    services.occupancy_start(
        actor=None, resident=tenant, house=first, since=date(2022, 2, 1), relation="tenant", landlord=owner
    )

    def rows():
        fields = (
            "resident_id",
            "house_id",
            "relation",
            "population",
            "is_tenant",
            "landlord_id",
            "since",
            "until",
        )
        return sorted(Occupancy.objects.values_list(*fields), key=repr)

    round_trip("occupancies", fmt, rows, lambda: Occupancy.objects.all().delete())


def test_an_occupancy_export_names_residents_by_key_never_by_id_number(world, homes):
    number = id_number(seq=803)
    services.occupancy_start(
        actor=None, resident=resident(world.g1, id_no=number), house=homes[0], since=date(2020, 1, 1)
    )
    for fmt in FORMATS:
        content = base_data_export(kind="occupancies", fmt=fmt).content
        text = str(_sheet(content)) if fmt == "xlsx" else content.decode("utf-8-sig")
        assert number not in text and pii.hash_id_number(number) in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_organisations_export_and_import_back_unchanged(world, fmt):
    lat, lng = spot(world.g4)
    tower = building(world.g1, number="123", lat=spot(world.g1)[0], lng=spot(world.g1)[1])
    home = house(tower, unit=1, room="301")
    services.organisation_save(
        actor=None,
        name='=HYPERLINK("http://x")',
        credit_code=credit(21),
        kind="shop",
        house=home,
        contact_name="王五",
        contact_phone="13800001234",
        risk_tags=["crowded"],
        next_inspection_on=date(2026, 3, 1),
        employees=12,
    )
    services.organisation_save(
        actor=None,
        name="孺子小学",
        credit_code=credit(22),
        kind="school",
        lat=lat,
        lng=lng,
        address="孺子路5号",
    )

    def rows():
        fields = (
            "name",
            "credit_code",
            "kind",
            "grid_id",
            "building_id",
            "house_id",
            "address",
            "lat",
            "lng",
        )
        return sorted(
            Organisation.objects.values_list(*fields, "employees", "risk_tags", "next_inspection_on")
        )

    round_trip("organisations", fmt, rows, lambda: Organisation.objects.all().delete())


def test_an_organisation_export_holds_no_personal_data(world):
    lat, lng = centre(world.g1)
    services.organisation_save(
        actor=None,
        name="甲",
        credit_code=credit(23),
        kind="shop",
        lat=lat,
        lng=lng,
        address="阳明路1号",
        legal_representative="赵六",
        contact_name="王五",
        contact_phone="13800001234",
    )
    for fmt in ("csv", "geojson"):
        content = base_data_export(kind="organisations", fmt=fmt).content.decode("utf-8-sig")
        assert "赵六" not in content and "王五" not in content and "13800001234" not in content
        assert "contact" not in content and "legal" not in content


@pytest.mark.parametrize("fmt", FORMATS)
def test_facilities_export_and_import_back_unchanged(world, fmt):
    lat, lng = spot(world.g1)
    facility(
        world.g1, name="1号井盖", owner="@水务集团", department=world.roads, state="damaged", lat=lat, lng=lng
    )
    facility(world.g4, code="0102", address="阳明路口", lat=spot(world.g4)[0], lng=spot(world.g4)[1])

    def rows():
        fields = (
            "code",
            "facility_class_id",
            "grid_id",
            "lat",
            "lng",
            "name",
            "address",
            "owner",
            "department_id",
        )
        return sorted(Facility.objects.values_list(*fields, "state", "surveyed_state"))

    round_trip("facilities", fmt, rows, lambda: Facility.objects.all().delete())


def test_a_csv_export_has_a_bom_and_quotes_cells_a_spreadsheet_would_run(world):
    facility(world.g1, name="=1+1", owner="-x", address="-101")
    content = base_data_export(kind="facilities", fmt="csv").content.decode("utf-8")
    assert content.startswith("\ufeffcode,facility_class,lat,lng,name,address,owner,")
    assert ",'=1+1,-101,'-x," in content


def test_exports_are_scoped_like_the_lists(world):
    building(world.g1, number="1")
    building(world.g3, number="3")
    facility(world.g4, department=world.sanitation)
    facility(world.g4, department=world.roads)

    def count(kind, user):
        document = json.loads(base_data_export(kind=kind, fmt="geojson", user=user).content)
        return len(document["features"])

    assert (count("buildings", world.gridadmin), count("buildings", world.other_gridadmin)) == (1, 1)
    assert (count("buildings", world.supervisor), count("buildings", None)) == (2, 2)
    assert (count("facilities", world.staff), count("facilities", world.gridadmin)) == (1, 0)
    assert count("buildings", world.staff) == 0


# --- the commands -----------------------------------------------------------------------------------------


def test_the_commands_export_and_import_a_file(world, tmp_path):
    facility(world.g1, name="甲")
    target = tmp_path / "facilities.csv"
    call_command("export_base_data", "facilities", "csv", output=str(target))
    Facility.objects.all().delete()
    out = io.StringIO()
    call_command("import_base_data", "facilities", str(target), stdout=out)
    assert "1 facilities imported" in out.getvalue()
    assert Facility.objects.get().name == "甲"


def test_the_import_command_lists_errors_and_fails(world, tmp_path):
    target = tmp_path / "houses.csv"
    target.write_bytes(csv_of(HOUSE, [["八一大道999号1栋", 1, "301", "", "", ""]]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 of 1 rows have problems"):
        call_command("import_base_data", "houses", str(target), stderr=err)
    assert "row 2, column address: no building or house" in err.getvalue()


def test_since_in_the_future_is_refused_by_the_service(world, homes):
    number = id_number(seq=901)
    resident(world.g1, id_no=number)
    later = (timezone.localdate() + timedelta(days=3)).isoformat()
    result = load("occupancies", csv_of(OCCUPANCY, [[number, homes[0].address, "", "", "", "", later, ""]]))
    assert where(result) == [(2, "since")] and said(result)[2] == "the moving-in date is in the future"


def test_an_imported_house_takes_in_the_residents_whose_address_names_it(world, tower):
    from places.models import Occupancy
    from tests.grids.resident_factories import resident

    waiting = resident(world.g1, address="南昌市东湖区八一大道123号1栋2单元301室")
    elsewhere = resident(world.g1, address="八一大道123号1栋2单元999室")
    result = load(
        "houses", csv_of(HOUSE, [["八一大道123号1栋", 2, "301", "", "", ""]]), actor=world.gridadmin
    )
    assert (result.imported, result.errors) == (1, [])
    assert Occupancy.objects.get(resident=waiting).house.address == "八一大道123号1栋2单元301室"
    assert list(UnmatchedAddress.objects.values_list("resident_id", flat=True)) == [elsewhere.pk]
