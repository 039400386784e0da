"""The base data over the API: every endpoint for every role (the owner of the grid, the colleague of
another grid, dispatcher, supervisor, department staff, resident, anonymous), the contract's field names
(credit_code, code), masked personal data in every response, occupancy history, locating by address,
constant query counts and the OpenAPI document.

`gridadmin` keeps grids 1–2, `other_gridadmin` grid 3; `staff` works for sanitation, `other_staff` for roads.
"""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator

from cases import services as case_services
from cases.models import Case
from places import codes
from places.models import Facility, Occupancy, Organisation

from ..factories import centre
from ..grids.resident_factories import resident
from . import factories as pf

pytestmark = pytest.mark.django_db

BUILDINGS = "/api/v1/buildings/"
HOUSES = "/api/v1/houses/"
ORGANISATIONS = "/api/v1/organisations/"
FACILITIES = "/api/v1/facilities/"
CLASSES = "/api/v1/facility-classes/"
LOCATE = "/api/v1/places/locate/"

READERS = ("gridadmin", "dispatcher", "supervisor")
NO_BASE_DATA = ("staff", "resident", "outsider")

LEGAL_REP = "王小明"
CONTACT = "李红梅"
PHONE = "13812345678"
OCCUPANT = "陈小红"


@pytest.fixture
def rows(world):
    """A building with a house in grid 1 (the gridadmin's) and one in grid 3 (the colleague's)."""
    b1 = pf.building(world.g1, number="123")
    b3 = pf.building(world.g3, number="9")
    return {
        "b1": b1,
        "h1": pf.house(b1, unit=2, room="301"),
        "b3": b3,
        "h3": pf.house(b3, unit=1, room="101"),
    }


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def _no_clear_pii(response, *secrets: str) -> None:
    body = response.content.decode()
    for secret in secrets or (LEGAL_REP, CONTACT, PHONE, OCCUPANT):
        assert secret not in body, (secret, body)


def _credit_code(n: int = 1) -> str:
    return codes.credit_code_complete(f"91360102MA35ABC{n:02d}")


def _building_body(grid, **overrides) -> dict:
    lat, lng = centre(grid)
    return {
        "road": "阳明路",
        "number": "8",
        "name": "2",
        "floors": 6,
        "units": 2,
        "lat": lat,
        "lng": lng,
    } | overrides


def _organisation(world, building, n: int = 1, **overrides) -> Organisation:
    from places import services

    values = {
        "name": f"东湖便民超市{n}",
        "credit_code": _credit_code(n),
        "kind": "shop",
        "building": building,
        "legal_representative": LEGAL_REP,
        "contact_name": CONTACT,
        "contact_phone": PHONE,
        "employees": 6,
        "risk_tags": ["crowded"],
    }
    return services.organisation_save(actor=None, **(values | overrides))


# --- who may read at all ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", [BUILDINGS, HOUSES, ORGANISATIONS, FACILITIES, CLASSES, f"{LOCATE}?address=x"]
)
def test_anonymous_callers_get_401(api, world, path):
    assert _error(api().get(path), 401)["code"] == "not_authenticated"


@pytest.mark.parametrize("path", [BUILDINGS, HOUSES, ORGANISATIONS])
@pytest.mark.parametrize("persona", NO_BASE_DATA)
def test_staff_residents_and_outsiders_may_not_read_buildings_houses_organisations(
    api, world, rows, path, persona
):
    error = _error(api(getattr(world, persona)).get(path), 403)
    assert error == {"code": "not_allowed", "message": "you may not see the base data", "field": None}


@pytest.mark.parametrize("persona", ["resident", "outsider"])
def test_residents_and_outsiders_may_not_read_facilities(api, world, persona):
    assert _error(api(getattr(world, persona)).get(FACILITIES), 403)["code"] == "not_allowed"


@pytest.mark.parametrize(
    "persona", ["dispatcher", "supervisor", "staff", "resident", "outsider", "other_staff"]
)
@pytest.mark.parametrize("path", [BUILDINGS, HOUSES, ORGANISATIONS, FACILITIES])
def test_only_grid_administrators_create_base_data(api, world, persona, path):
    error = _error(api(getattr(world, persona)).post(path, {}, format="json"), 403)
    assert error["message"] == "only grid administrators keep the base data"


# --- buildings --------------------------------------------------------------------------------------------


def test_the_owner_lists_their_grids_buildings_and_the_colleague_theirs(api, world, rows):
    assert _ids(api(world.gridadmin).get(BUILDINGS)) == {rows["b1"].pk}
    assert _ids(api(world.other_gridadmin).get(BUILDINGS)) == {rows["b3"].pk}
    # filtering on the owner's grid narrows the colleague's scope to nothing
    assert _ids(api(world.other_gridadmin).get(BUILDINGS, {"grid": world.g1.code})) == set()


@pytest.mark.parametrize("persona", ["dispatcher", "supervisor"])
def test_dispatchers_and_supervisors_read_every_grids_buildings(api, world, rows, persona):
    client = api(getattr(world, persona))
    assert _ids(client.get(BUILDINGS)) == {rows["b1"].pk, rows["b3"].pk}
    assert _ids(client.get(BUILDINGS, {"grid": world.g3.code})) == {rows["b3"].pk}
    assert client.get(f"{BUILDINGS}{rows['b3'].pk}/").json()["can_edit"] is False


def test_a_building_reads_with_its_standard_address_grid_and_house_count(api, world, rows):
    body = api(world.gridadmin).get(f"{BUILDINGS}{rows['b1'].pk}/").json()
    assert body["address"] == rows["b1"].address and "123" in body["address"]
    assert body["grid"] == {"code": world.g1.code, "name": world.g1.name}
    assert (body["road"], body["house_count"], body["can_edit"]) == ("八一大道", 1, True)
    listed = api(world.gridadmin).get(BUILDINGS).json()["results"][0]
    assert listed["house_count"] == 1 and "can_edit" not in listed


def test_the_building_list_searches_the_address(api, world, rows):
    client = api(world.dispatcher)
    assert _ids(client.get(BUILDINGS, {"q": "八一大道123"})) == {rows["b1"].pk}
    assert _ids(client.get(BUILDINGS, {"q": "不存在路"})) == set()


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"grid": "36010200199999"}, "grid", "there is no grid with code 36010200199999"),
        ({"grid": "nonsense!"}, "grid", "give a grid code"),
        ({"q": "x" * 101}, "q", None),
    ],
)
def test_unknown_filter_values_are_a_400_naming_the_filter(api, world, params, field, message):
    error = _error(api(world.dispatcher).get(BUILDINGS, params), 400)
    assert error["field"] == field
    if message:
        assert error["message"] == message


def test_the_owner_registers_a_building_in_their_grid(api, world):
    response = api(world.gridadmin).post(BUILDINGS, _building_body(world.g2), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"{BUILDINGS}{body['id']}/"
    assert body["grid"]["code"] == world.g2.code
    assert (body["road"], body["use"], body["floors"], body["units"]) == ("阳明路", "residential", 6, 2)
    assert body["address"].startswith("阳明路8号")


def test_a_building_in_a_colleagues_grid_is_refused_with_403(api, world):
    response = api(world.gridadmin).post(BUILDINGS, _building_body(world.g3), format="json")
    assert _error(response, 403)["message"] == "you may keep the base data of your own grids only"


def test_a_building_registered_twice_is_a_400_naming_the_number(api, world, rows):
    body = _building_body(world.g1, road="八一大道", number="123", name="1")
    error = _error(api(world.gridadmin).post(BUILDINGS, body, format="json"), 400)
    assert error["field"] == "number"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lat": 95}, "lat"),
        ({"lat": 10.0, "lng": 10.0}, "location"),
        ({"floors": 0}, "floors"),
        ({"use": "castle"}, "use"),
        ({"road": ""}, "road"),
        ({"footprint": {"type": "Point", "coordinates": [115.89, 28.68]}}, "footprint"),
    ],
)
def test_a_bad_building_is_a_400_naming_the_field(api, world, overrides, field):
    body = _building_body(world.g1, **overrides)
    assert _error(api(world.gridadmin).post(BUILDINGS, body, format="json"), 400)["field"] == field


def test_the_owner_changes_only_the_fields_sent(api, world, rows):
    b1 = rows["b1"]
    response = api(world.gridadmin).patch(f"{BUILDINGS}{b1.pk}/", {"floors": 20}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["floors"], body["address"], body["lat"]) == (20, b1.address, b1.lat)


def test_a_building_outside_the_readers_scope_is_404_and_a_read_only_one_403(api, world, rows):
    url = f"{BUILDINGS}{rows['b1'].pk}/"
    assert _error(api(world.other_gridadmin).get(url), 404)["code"] == "not_found"
    assert _error(api(world.other_gridadmin).patch(url, {"floors": 2}, format="json"), 404)
    assert _error(api(world.supervisor).patch(url, {"floors": 2}, format="json"), 403)
    assert _error(api(world.dispatcher).patch(url, {"floors": 2}, format="json"), 403)


@pytest.mark.parametrize("raw", ["abc", "0", "-1", "１２", "99999999999999999999", "1.5", "%20"])
@pytest.mark.parametrize("prefix", [BUILDINGS, HOUSES, ORGANISATIONS, FACILITIES])
def test_an_id_that_is_not_a_number_is_a_404(api, world, prefix, raw):
    assert _error(api(world.dispatcher).get(f"{prefix}{raw}/"), 404)["code"] == "not_found"


# --- houses -----------------------------------------------------------------------------------------------


def test_houses_are_scoped_and_filtered_like_buildings(api, world, rows):
    assert _ids(api(world.gridadmin).get(HOUSES)) == {rows["h1"].pk}
    assert _ids(api(world.other_gridadmin).get(HOUSES)) == {rows["h3"].pk}
    client = api(world.supervisor)
    assert _ids(client.get(HOUSES)) == {rows["h1"].pk, rows["h3"].pk}
    assert _ids(client.get(HOUSES, {"building": rows["b3"].pk})) == {rows["h3"].pk}
    assert _ids(client.get(HOUSES, {"use": "rented"})) == set()
    assert _error(client.get(HOUSES, {"use": "palace"}), 400)["field"] == "use"
    assert _error(client.get(HOUSES, {"building": "x"}), 400)["field"] == "building"


def test_the_owner_registers_a_house_and_its_floor_comes_from_the_room(api, world, rows):
    body = {"building": rows["b1"].pk, "unit": 3, "room": "1203", "use": "rented", "area_m2": "86.5"}
    response = api(world.gridadmin).post(HOUSES, body, format="json")
    assert response.status_code == 201, response.content
    house = response.json()
    assert (house["floor"], house["unit"], house["use"], house["area_m2"]) == (12, 3, "rented", 86.5)
    assert house["building"] == {"id": rows["b1"].pk, "address": rows["b1"].address}
    assert house["occupants"] == [] and house["can_edit"] is True
    assert response["Location"] == f"{HOUSES}{house['id']}/"


def test_a_house_in_a_building_the_caller_cannot_see_is_a_400_naming_the_building(api, world, rows):
    body = {"building": rows["b1"].pk, "room": "101"}
    error = _error(api(world.other_gridadmin).post(HOUSES, body, format="json"), 400)
    assert error["field"] == "building" and str(rows["b1"].pk) in error["message"]


def test_a_bad_house_is_a_400_naming_the_field(api, world, rows):
    client = api(world.gridadmin)
    duplicate = {"building": rows["b1"].pk, "unit": 2, "room": "301"}
    assert _error(client.post(HOUSES, duplicate, format="json"), 400)["field"] == "room"
    no_such_unit = {"building": rows["b1"].pk, "unit": 9, "room": "301"}
    assert _error(client.post(HOUSES, no_such_unit, format="json"), 400)["field"] == "unit"
    too_big = {"building": rows["b1"].pk, "room": "101", "area_m2": 10**9}
    assert _error(client.post(HOUSES, too_big, format="json"), 400)["field"] == "area_m2"


def test_a_house_changes_only_the_fields_sent_and_keeps_its_building(api, world, rows):
    url = f"{HOUSES}{rows['h1'].pk}/"
    response = api(world.gridadmin).patch(url, {"use": "vacant", "building": rows["b3"].pk}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["use"], body["room"], body["building"]["id"]) == ("vacant", rows["h1"].room, rows["b1"].pk)
    assert _error(api(world.supervisor).patch(url, {"use": "vacant"}, format="json"), 403)
    assert _error(api(world.other_gridadmin).patch(url, {"use": "vacant"}, format="json"), 404)


# --- who lives where --------------------------------------------------------------------------------------


def _move_in(client, house, person, **extra):
    body = {"resident": person.pk, "since": "2020-01-01", **extra}
    return client.post(f"{HOUSES}{house.pk}/occupancies/", body, format="json")


def test_moving_in_shows_the_occupant_masked_on_the_house(api, world, rows):
    person = resident(world.g1, name=OCCUPANT)
    response = _move_in(api(world.gridadmin), rows["h1"], person, relation="head", population="registered")
    assert response.status_code == 201, response.content
    detail = api(world.supervisor).get(f"{HOUSES}{rows['h1'].pk}/")
    (occupant,) = detail.json()["occupants"]
    assert occupant["resident"] == {"id": person.pk, "name_masked": "陈*红"}
    assert (occupant["relation"], occupant["population"], occupant["since"]) == (
        "head",
        "registered",
        "2020-01-01",
    )
    assert occupant["until"] is None
    _no_clear_pii(detail)
    _no_clear_pii(response)


def test_a_move_keeps_the_history_of_both_houses(api, world, rows):
    client = api(world.gridadmin)
    person = resident(world.g1, name=OCCUPANT)
    other = pf.house(rows["b1"], unit=1, room="502")
    assert _move_in(client, rows["h1"], person, since="2019-05-01").status_code == 201
    assert _move_in(client, other, person, since="2022-03-01", population="floating").status_code == 201

    history = client.get(f"{HOUSES}{rows['h1'].pk}/occupancies/")
    (before,) = history.json()["results"]
    assert (before["since"], before["until"]) == ("2019-05-01", "2022-02-28")
    assert client.get(f"{HOUSES}{rows['h1'].pk}/").json()["occupants"] == []
    (now,) = client.get(f"{HOUSES}{other.pk}/").json()["occupants"]
    assert (now["resident"]["id"], now["population"], now["until"]) == (person.pk, "floating", None)
    _no_clear_pii(history)


def test_a_tenant_names_a_landlord_shown_masked(api, world, rows):
    client = api(world.gridadmin)
    landlord = resident(world.g1, name="周大福")
    tenant = resident(world.g2, name=OCCUPANT)
    response = _move_in(
        client, rows["h1"], tenant, relation="tenant", population="floating", landlord=landlord.pk
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["is_tenant"] is True
    assert body["landlord"] == {"id": landlord.pk, "name_masked": "周*福"}
    _no_clear_pii(response, OCCUPANT, "周大福")


def test_ending_an_occupancy_keeps_it_in_the_history(api, world, rows):
    client = api(world.gridadmin)
    person = resident(world.g1, name=OCCUPANT)
    occupancy = _move_in(client, rows["h1"], person, since="2020-01-01").json()
    url = f"/api/v1/occupancies/{occupancy['id']}/end/"
    # read-only and out-of-scope callers first: nothing changes
    assert _error(api(world.supervisor).post(url, {"until": "2023-01-01"}, format="json"), 403)
    assert _error(api(world.other_gridadmin).post(url, {"until": "2023-01-01"}, format="json"), 404)
    assert _error(client.post(url, {"until": "2019-01-01"}, format="json"), 400)["field"] == "until"
    ended = client.post(url, {"until": "2023-01-01"}, format="json")
    assert ended.status_code == 200, ended.content
    assert ended.json()["until"] == "2023-01-01"
    assert _error(client.post(url, {}, format="json"), 400)["message"] == "this occupancy has already ended"
    (row,) = client.get(f"{HOUSES}{rows['h1'].pk}/occupancies/").json()["results"]
    assert row["until"] == "2023-01-01"
    assert _error(client.post("/api/v1/occupancies/abc/end/", {}, format="json"), 404)


def test_moving_in_refuses_what_the_caller_may_not_touch(api, world, rows):
    theirs = resident(world.g3, name="吴其他")
    mine = resident(world.g1, name=OCCUPANT)
    client = api(world.gridadmin)
    # a resident of another grid is not among those the caller may see: 400 naming the field
    assert _error(_move_in(client, rows["h1"], theirs), 400)["field"] == "resident"
    assert _error(_move_in(client, rows["h1"], mine, landlord=theirs.pk), 400)["field"] == "landlord"
    # the colleague's house: not visible
    assert _error(_move_in(client, rows["h3"], mine), 404)
    # a supervisor sees the house but keeps nothing
    assert _error(_move_in(api(world.supervisor), rows["h1"], mine), 403)
    future = (date.today() + timedelta(days=3)).isoformat()
    assert _error(_move_in(client, rows["h1"], mine, since=future), 400)["field"] == "since"
    assert _error(_move_in(client, rows["h1"], mine, relation="butler"), 400)["field"] == "relation"
    assert not Occupancy.objects.exists()


def test_the_occupancy_history_is_for_readers_of_the_house_only(api, world, rows):
    url = f"{HOUSES}{rows['h1'].pk}/occupancies/"
    assert api(world.dispatcher).get(url).status_code == 200
    assert _error(api(world.other_gridadmin).get(url), 404)
    assert _error(api(world.staff).get(url), 403)


# --- organisations ----------------------------------------------------------------------------------------


def _organisation_body(world, place, **overrides) -> dict:
    return {
        "name": "东湖便民超市",
        "credit_code": _credit_code(7),
        "kind": "shop",
        "building": place.pk,
        "legal_representative": LEGAL_REP,
        "contact_name": CONTACT,
        "contact_phone": PHONE,
        "employees": 6,
        "risk_tags": ["人员密集场所", "fire_safety"],
        "next_inspection_on": "2030-09-01",
    } | overrides


def test_the_owner_registers_an_organisation_with_its_personal_data_masked(api, world, rows):
    response = api(world.gridadmin).post(ORGANISATIONS, _organisation_body(world, rows["b1"]), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["credit_code"] == _credit_code(7)
    assert body["grid"] == {"code": world.g1.code, "name": world.g1.name}
    assert (body["building"], body["house"], body["address"]) == (rows["b1"].pk, None, rows["b1"].address)
    assert body["legal_representative_masked"] == "王*明"
    assert body["contact_name_masked"] == "李*梅"
    assert body["contact_phone_masked"] == "138****5678"
    assert body["risk_tags"] == ["crowded", "fire_safety"]
    assert not {"legal_representative", "contact_name", "contact_phone"} & set(body)
    assert response["Location"] == f"{ORGANISATIONS}{body['id']}/"
    _no_clear_pii(response)
    stored = Organisation.objects.get(pk=body["id"])
    assert LEGAL_REP not in stored.legal_representative_encrypted  # encrypted at rest


@pytest.mark.parametrize("persona", READERS)
def test_no_reader_ever_sees_an_organisations_personal_data_in_clear(api, world, rows, persona):
    organisation = _organisation(world, rows["b1"])
    client = api(getattr(world, persona))
    for response in (client.get(ORGANISATIONS), client.get(f"{ORGANISATIONS}{organisation.pk}/")):
        assert response.status_code == 200
        _no_clear_pii(response)
    row = client.get(ORGANISATIONS).json()["results"][0]
    assert row["legal_representative_masked"] == "王*明" and row["credit_code"] == organisation.credit_code


def test_organisations_are_scoped_and_filtered(api, world, rows):
    shop = _organisation(world, rows["b1"], 1)
    school = _organisation(world, rows["b3"], 2, kind="school", risk_tags=["fire_safety"], name="育才小学")
    assert _ids(api(world.gridadmin).get(ORGANISATIONS)) == {shop.pk}
    assert _ids(api(world.other_gridadmin).get(ORGANISATIONS)) == {school.pk}
    client = api(world.dispatcher)
    assert _ids(client.get(ORGANISATIONS, {"kind": "school"})) == {school.pk}
    assert _ids(client.get(ORGANISATIONS, {"risk": "crowded"})) == {shop.pk}
    assert _ids(client.get(ORGANISATIONS, {"q": "育才"})) == {school.pk}
    assert _ids(client.get(ORGANISATIONS, {"q": shop.credit_code})) == {shop.pk}
    assert _ids(client.get(ORGANISATIONS, {"grid": world.g3.code})) == {school.pk}
    assert _error(client.get(ORGANISATIONS, {"risk": "dragons"}), 400)["field"] == "risk"
    assert _error(client.get(ORGANISATIONS, {"kind": "guild"}), 400)["field"] == "kind"


def test_a_bad_credit_code_is_a_400_naming_credit_code(api, world, rows):
    client = api(world.gridadmin)
    good = _credit_code(7)
    wrong_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    error = _error(
        client.post(ORGANISATIONS, _organisation_body(world, rows["b1"], credit_code=wrong_check)), 400
    )
    assert error["field"] == "credit_code"
    assert client.post(ORGANISATIONS, _organisation_body(world, rows["b1"]), format="json").status_code == 201
    twice = client.post(ORGANISATIONS, _organisation_body(world, rows["b1"], name="又一家"), format="json")
    assert _error(twice, 400) == {
        "code": "invalid_input",
        "message": "this credit code is already registered",
        "field": "credit_code",
    }


def test_a_bad_phone_is_a_400_naming_contact_phone(api, world, rows):
    body = _organisation_body(world, rows["b1"], contact_phone="12345")
    assert (
        _error(api(world.gridadmin).post(ORGANISATIONS, body, format="json"), 400)["field"] == "contact_phone"
    )


def test_an_organisation_in_a_colleagues_grid_is_refused(api, world, rows):
    client = api(world.gridadmin)
    # the colleague's building is not among those the caller may see
    hidden = _organisation_body(world, rows["b3"])
    assert _error(client.post(ORGANISATIONS, hidden, format="json"), 400)["field"] == "building"
    # a bare point in the colleague's grid: 403
    lat, lng = centre(world.g3)
    at_point = _organisation_body(world, rows["b1"], building=None, address="阳明路 1 号", lat=lat, lng=lng)
    assert _error(client.post(ORGANISATIONS, at_point, format="json"), 403)


def test_an_organisation_changes_only_the_fields_sent_and_keeps_its_personal_data(api, world, rows):
    organisation = _organisation(world, rows["b1"])
    url = f"{ORGANISATIONS}{organisation.pk}/"
    response = api(world.gridadmin).patch(url, {"employees": 40, "contact_name": ""}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["employees"], body["credit_code"], body["name"]) == (
        40,
        organisation.credit_code,
        organisation.name,
    )
    assert body["legal_representative_masked"] == "王*明"  # not sent: kept
    assert body["contact_name_masked"] is None  # sent blank: removed
    assert _error(api(world.supervisor).patch(url, {"employees": 1}, format="json"), 403)
    assert _error(api(world.other_gridadmin).patch(url, {"employees": 1}, format="json"), 404)
    assert _error(api(world.other_gridadmin).get(url), 404)


# --- facilities -------------------------------------------------------------------------------------------


@pytest.fixture
def facilities(world):
    """A sanitation facility in grid 1, a roads facility in grid 3, one without a department in grid 2."""
    return {
        "bin": pf.facility(world.g1, code="0301", department=world.sanitation, name="垃圾桶"),
        "lamp": pf.facility(world.g3, code="0201" if _has_class("0201") else "0101", department=world.roads),
        "cover": pf.facility(world.g2, code="0101"),
    }


def _has_class(code: str) -> bool:
    from places.models import FacilityClass

    return FacilityClass.objects.filter(code=code, parent__isnull=False).exists()


def test_the_owner_registers_a_facility_and_its_code_is_generated(api, world):
    lat, lng = centre(world.g1)
    body = {
        "facility_class": "0101",
        "lat": lat,
        "lng": lng,
        "address": "八一大道 123 号门前",
        "owner": "南昌水业集团",
        "department": world.roads.code,
        "code": "3601020101999999",  # read-only: ignored
    }
    response = api(world.gridadmin).post(FACILITIES, body, format="json")
    assert response.status_code == 201, response.content
    facility = response.json()
    assert facility["code"] == "3601020101000001" and len(facility["code"]) == 16
    assert facility["facility_class"]["code"] == "0101" and facility["facility_class"]["parent"] == "01"
    assert facility["department"] == {"code": world.roads.code, "name": world.roads.name}
    assert (facility["state"], facility["open_case_count"], facility["can_edit"]) == ("intact", 0, True)
    second = api(world.gridadmin).post(FACILITIES, body, format="json").json()
    assert second["code"] == "3601020101000002"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"facility_class": "01"}, "facility_class"),
        ({"facility_class": "9999"}, "facility_class"),
        ({"department": "nobody"}, "department"),
        ({"state": "stolen"}, "state"),
        ({"lat": "north"}, "lat"),
    ],
)
def test_a_bad_facility_is_a_400_naming_the_field(api, world, overrides, field):
    lat, lng = centre(world.g1)
    body = {"facility_class": "0101", "lat": lat, "lng": lng} | overrides
    assert _error(api(world.gridadmin).post(FACILITIES, body, format="json"), 400)["field"] == field


def test_a_facility_in_a_colleagues_grid_is_refused_with_403(api, world):
    lat, lng = centre(world.g3)
    body = {"facility_class": "0101", "lat": lat, "lng": lng}
    assert _error(api(world.gridadmin).post(FACILITIES, body, format="json"), 403)
    assert not Facility.objects.exists()


def test_department_staff_read_their_departments_facilities_only(api, world, facilities):
    client = api(world.staff)
    assert _ids(client.get(FACILITIES)) == {facilities["bin"].pk}
    assert client.get(f"{FACILITIES}{facilities['bin'].pk}/").json()["can_edit"] is False
    assert _error(client.get(f"{FACILITIES}{facilities['lamp'].pk}/"), 404)
    assert _error(client.patch(f"{FACILITIES}{facilities['bin'].pk}/", {"name": "x"}, format="json"), 403)
    assert _ids(api(world.other_staff).get(FACILITIES)) == {facilities["lamp"].pk}


def test_facilities_are_scoped_and_filtered(api, world, facilities):
    assert _ids(api(world.gridadmin).get(FACILITIES)) == {facilities["bin"].pk, facilities["cover"].pk}
    assert _ids(api(world.other_gridadmin).get(FACILITIES)) == {facilities["lamp"].pk}
    client = api(world.supervisor)
    assert len(_ids(client.get(FACILITIES))) == 3
    assert _ids(client.get(FACILITIES, {"department": world.sanitation.code})) == {facilities["bin"].pk}
    assert _ids(client.get(FACILITIES, {"major": "03"})) == {facilities["bin"].pk}
    assert _ids(client.get(FACILITIES, {"state": "damaged"})) == set()
    assert _ids(client.get(FACILITIES, {"grid": world.g2.code})) == {facilities["cover"].pk}
    assert _error(client.get(FACILITIES, {"department": "nobody"}), 400)["field"] == "department"
    assert _error(client.get(FACILITIES, {"major": "0101"}), 400)["field"] == "major"
    assert _error(client.get(FACILITIES, {"major": "98"}), 400)["message"] == (
        "there is no major facility class with code 98"
    )
    assert _error(client.get(FACILITIES, {"state": "stolen"}), 400)["field"] == "state"


def test_a_facility_counts_its_open_cases(api, world, facilities):
    lamp = facilities["lamp"]
    lat, lng = centre(world.g3)
    numbers = []
    for _ in range(3):
        case = case_services.case_report(
            actor=world.dispatcher, source=Case.Source.HOTLINE, lat=lat, lng=lng, category=world.cats.waste,
            description="灯不亮",
        )  # fmt: skip
        numbers.append(case.pk)
    Case.objects.filter(pk__in=numbers).update(facility=lamp)
    Case.objects.filter(pk=numbers[0]).update(state="closed")
    Case.objects.filter(pk=numbers[1]).update(state="in_progress")
    body = api(world.dispatcher).get(f"{FACILITIES}{lamp.pk}/").json()
    assert body["open_case_count"] == 2
    assert body["code"] == lamp.code


def test_a_facility_changes_only_the_fields_sent_and_keeps_its_code(api, world, facilities):
    cover = facilities["cover"]
    url = f"{FACILITIES}{cover.pk}/"
    response = api(world.gridadmin).patch(
        url, {"state": "damaged", "department": world.roads.code}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["code"], body["state"], body["department"]["code"]) == (
        cover.code,
        "damaged",
        world.roads.code,
    )
    other_class = api(world.gridadmin).patch(url, {"facility_class": "0301"}, format="json")
    assert _error(other_class, 400)["field"] == "facility_class"
    assert _error(api(world.dispatcher).patch(url, {"state": "intact"}, format="json"), 403)
    assert _error(api(world.other_gridadmin).patch(url, {"state": "intact"}, format="json"), 404)


def test_the_taxonomy_lists_major_and_minor_classes(api, world):
    response = api(world.staff).get(CLASSES)
    assert response.status_code == 200
    by_code = {row["code"]: row for row in response.json()}
    assert by_code["01"]["parent"] is None and by_code["01"]["name"]
    assert by_code["0101"]["parent"] == "01" and by_code["0101"]["name_en"]
    assert list(by_code) == sorted(by_code)


# --- locating by address ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["八一大道123号1栋2单元301", "东湖区八一大道１２３号一栋二单元301室", "南昌市八一大道123号1#楼2-301"],
)
def test_an_address_locates_its_house(api, world, rows, text):
    response = api(world.gridadmin).get(LOCATE, {"address": text})
    assert response.status_code == 200, response.content
    body = response.json()
    b1 = rows["b1"]
    assert (body["lat"], body["lng"]) == (b1.lat, b1.lng)
    assert body["grid"] == {"code": world.g1.code, "name": world.g1.name}
    assert (body["building"], body["house"], body["address"]) == (b1.pk, rows["h1"].pk, rows["h1"].address)


def test_an_address_naming_only_a_building_locates_the_building(api, world, rows):
    body = api(world.dispatcher).get(LOCATE, {"address": "八一大道123号1栋"}).json()
    assert (body["building"], body["house"], body["address"]) == (rows["b1"].pk, None, rows["b1"].address)


@pytest.mark.parametrize("params", [{"address": "八一大道999号"}, {"address": ""}, {}, {"address": "???"}])
def test_an_address_that_matches_nothing_is_a_400_naming_address(api, world, rows, params):
    error = _error(api(world.dispatcher).get(LOCATE, params), 400)
    assert error["field"] == "address"


# --- queries ----------------------------------------------------------------------------------------------


def _query_count(client, path: str, expected_rows: int) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == expected_rows
    return len(ctx)


def _base_rows(world, n: int, start: int) -> None:
    for i in range(start, start + n):
        building = pf.building(world.g1, number=str(500 + i))
        pf.house(building, unit=1, room="101")
        _organisation(world, building, i)
        pf.facility(world.g1, code="0101", department=world.sanitation)
        person = resident(world.g1, name=OCCUPANT)
        Occupancy.objects.create(
            resident=person, house_id=_first_house_id(world), since=date(2000, 1, 1) + timedelta(days=i)
        )


def _first_house_id(world) -> int:
    from places.models import House

    return House.objects.filter(grid=world.g1).order_by("id").values_list("id", flat=True).first()


@pytest.mark.parametrize("persona", ["gridadmin", "supervisor", "staff"])
def test_the_lists_cost_the_same_for_3_and_30_rows(api, world, persona, django_assert_max_num_queries):
    client = api(getattr(world, persona))
    paths = [FACILITIES] if persona == "staff" else [BUILDINGS, HOUSES, ORGANISATIONS, FACILITIES]
    _base_rows(world, 3, 1)
    if persona != "staff":
        paths.append(f"{HOUSES}{_first_house_id(world)}/occupancies/")
    few = {path: _query_count(client, f"{path}?page_size=100", 3) for path in paths}
    _base_rows(world, 27, 4)
    for path in paths:
        with django_assert_max_num_queries(few[path]):
            response = client.get(f"{path}?page_size=100")
        assert len(response.json()["results"]) == 30, path


def test_a_house_detail_costs_the_same_for_1_and_10_occupants(
    api, world, rows, django_assert_max_num_queries
):
    client = api(world.gridadmin)
    url = f"{HOUSES}{rows['h1'].pk}/"
    Occupancy.objects.create(resident=resident(world.g1), house=rows["h1"], since=date(2001, 1, 1))
    with CaptureQueriesContext(connection) as ctx:
        assert len(client.get(url).json()["occupants"]) == 1
    for _ in range(9):
        Occupancy.objects.create(resident=resident(world.g1), house=rows["h1"], since=date(2001, 1, 1))
    with django_assert_max_num_queries(len(ctx)):
        assert len(client.get(url).json()["occupants"]) == 10


# --- the OpenAPI document ---------------------------------------------------------------------------------

PATHS = {
    "/api/v1/buildings/": {"get", "post"},
    "/api/v1/buildings/{id}/": {"get", "patch"},
    "/api/v1/houses/": {"get", "post"},
    "/api/v1/houses/{id}/": {"get", "patch"},
    "/api/v1/houses/{id}/occupancies/": {"get", "post"},
    "/api/v1/occupancies/{id}/end/": {"post"},
    "/api/v1/organisations/": {"get", "post"},
    "/api/v1/organisations/{id}/": {"get", "patch"},
    "/api/v1/facilities/": {"get", "post"},
    "/api/v1/facilities/{id}/": {"get", "patch"},
    "/api/v1/facility-classes/": {"get"},
    "/api/v1/places/locate/": {"get"},
}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_describes_every_base_data_operation(schema):
    for path, methods in PATHS.items():
        assert path in schema["paths"], path
        operations = schema["paths"][path]
        assert set(operations) - {"parameters"} == methods, path
        for operation in operations.values():
            assert operation["tags"] == ["base data"], path
            assert operation["summary"], path
            assert {"401", "403", "429"} <= set(operation["responses"]), path


def test_the_schema_names_the_contract_fields_and_hides_personal_ones(schema):
    components = schema["components"]["schemas"]
    assert "credit_code" in components["OrganisationDetail"]["properties"]
    assert "code" in components["FacilityDetail"]["properties"]
    assert components["FacilityDetail"]["properties"]["code"]["readOnly"] is True
    assert "code" not in components["FacilityInputRequest"]["properties"]
    organisation_out = set(components["OrganisationDetail"]["properties"])
    assert not {"legal_representative", "contact_name", "contact_phone"} & organisation_out
    assert {"legal_representative", "contact_name", "contact_phone"} <= set(
        components["OrganisationInputRequest"]["properties"]
    )
    list_page = schema["paths"]["/api/v1/buildings/"]["get"]
    assert {p["name"] for p in list_page["parameters"]} == {"grid", "q", "cursor", "page_size"}


def test_the_served_schema_includes_the_base_data(api, world):
    response = api(world.dispatcher).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert set(PATHS) <= set(response.json()["paths"])


def test_locating_tells_the_house_and_ids_only_to_readers_of_its_grid(api, world):
    building = pf.building(world.g1, road="叠山路", number="7", name="3")
    pf.house(building, unit=1, room="402")
    for user, sees in (
        (world.gridadmin, True),
        (world.dispatcher, True),
        (world.other_gridadmin, False),
        (world.resident, False),
        (world.staff, False),
    ):
        body = api(user).get(LOCATE, {"address": "叠山路7号3栋1单元402室"}).json()
        assert (body["lat"], body["lng"]) == (building.lat, building.lng), user
        if sees:
            assert body["house"] is not None and body["building"] == building.pk, user
            assert body["address"] == "叠山路7号3栋1单元402室"
        else:
            assert body["house"] is None and body["building"] is None, user
            assert body["address"] == building.address, user
