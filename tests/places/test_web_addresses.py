"""Pages of buildings, houses, occupancies and unmatched addresses: who reads, who writes, what a refusal
keeps, the occupancy history, and occupants' names masked."""

import json
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from places import services
from places.models import Building, House, Occupancy, UnmatchedAddress
from tests.factories import centre
from tests.grids.resident_factories import id_number, resident

from . import factories as f

pytestmark = pytest.mark.django_db

NUMBER = id_number(birth=date(1980, 5, 6), seq=123)
LANDLORD_NUMBER = id_number(birth=date(1960, 1, 2), seq=455)


def _as(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def b1(world):
    """A building of grid 1 (held by `gridadmin`) with two houses."""
    building = f.building(world.g1, road="八一大道", number="123", name="1", units=2, floors=18)
    f.house(building, unit=1, room="301")
    f.house(building, unit=2, room="502", use=House.Use.RENTED)
    return building


@pytest.fixture
def b3(world):
    """A building of grid 3 (held by `other_gridadmin`)."""
    return f.building(world.g3, road="阳明路", number="8", name="2")


def _house(building, room: str) -> House:
    return building.houses.get(room=room)


def _building_post(grid, **overrides) -> dict:
    lat, lng = centre(grid)
    data = {
        "road": "中山路",
        "number": "66",
        "name": "3",
        "use": "residential",
        "floors": "7",
        "units": "2",
        "lat": f"{lat:.6f}",
        "lng": f"{lng:.6f}",
        "footprint": "",
    }
    data.update(overrides)
    return data


# --- the building list: scopes -------------------------------------------------------------------------


def test_an_administrator_lists_the_buildings_of_their_grids_only(client, world, b1, b3):
    response = _as(client, world.gridadmin).get(reverse("places-building-list"))
    assert response.status_code == 200
    assert _listed(response) == ["八一大道123号1栋"]
    assert reverse("places-building-create") in response.content.decode()


def _listed(response) -> list[str]:
    return [row.address for row in response.context["page"]]


def test_the_list_filters_by_grid_and_address_text(client, world, b1):
    f.building(world.g2, road="中山路", number="9")
    c = _as(client, world.gridadmin)
    assert _listed(c.get(reverse("places-building-list"), {"grid": world.g2.code})) == ["中山路9号1栋"]
    assert _listed(c.get(reverse("places-building-list"), {"q": "八一"})) == ["八一大道123号1栋"]


def test_the_list_reads_door_numbers_as_numbers(client, world):
    for number in ("15", "7", "123"):
        f.building(world.g1, road="中山路", number=number, name="")
    response = _as(client, world.gridadmin).get(reverse("places-building-list"))
    assert _listed(response) == ["中山路7号", "中山路15号", "中山路123号"]


def test_another_grids_filter_is_not_found(client, world, b1, b3):
    response = _as(client, world.gridadmin).get(reverse("places-building-list"), {"grid": world.g3.code})
    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["dispatcher", "supervisor"])
def test_dispatchers_and_supervisors_read_every_building_without_edit_links(client, world, b1, b3, persona):
    c = _as(client, getattr(world, persona))
    response = c.get(reverse("places-building-list"))
    assert sorted(_listed(response)) == ["八一大道123号1栋", "阳明路8号2栋"]
    assert reverse("places-building-create") not in response.content.decode()
    detail = c.get(reverse("places-building-detail", args=[b1.pk])).content.decode()
    assert reverse("places-building-edit", args=[b1.pk]) not in detail


@pytest.mark.parametrize("persona", ["staff", "resident", "outsider"])
def test_staff_residents_and_outsiders_get_403(client, world, b1, persona):
    c = _as(client, getattr(world, persona))
    assert c.get(reverse("places-building-list")).status_code == 403
    assert (
        c.get(reverse("places-building-detail", args=[b1.pk])).status_code == 403
    )  # refused by role before any row is looked up


def test_anonymous_visitors_are_sent_to_log_in(client, b1):
    for url in (reverse("places-building-list"), reverse("places-building-detail", args=[b1.pk])):
        response = client.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_colleague_does_not_find_another_grids_building(client, world, b1):
    c = _as(client, world.other_gridadmin)
    assert c.get(reverse("places-building-detail", args=[b1.pk])).status_code == 404
    assert c.get(reverse("places-building-edit", args=[b1.pk])).status_code == 404
    assert c.post(reverse("places-house-create", args=[b1.pk]), {"room": "101"}).status_code == 404


def test_a_bad_search_text_is_a_400_not_a_500(client, world, b1):
    response = _as(client, world.gridadmin).get(reverse("places-building-list"), {"q": "八一\x00"})
    assert response.status_code == 400


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_building_list_costs_the_same_queries_for_3_and_30_rows(
    client, world, django_assert_max_num_queries
):
    c = _as(client, world.gridadmin)
    for n in range(3):
        f.building(world.g1, number=str(500 + n))
    few = _queries(c, reverse("places-building-list"))
    for n in range(27):
        f.building(world.g1, number=str(600 + n))
    with django_assert_max_num_queries(few):
        assert c.get(reverse("places-building-list")).status_code == 200
    assert few <= 12


def test_the_house_list_costs_the_same_queries_for_3_and_30_rows(
    client, world, django_assert_max_num_queries
):
    c = _as(client, world.gridadmin)
    building = f.building(world.g1, floors=30)
    for n in range(3):
        f.house(building, room=f"{n + 1}01")
    few = _queries(c, reverse("places-house-list"))
    for n in range(27):
        f.house(building, room=f"{n + 1}02")
    with django_assert_max_num_queries(few):
        assert c.get(reverse("places-house-list")).status_code == 200


# --- the building page ----------------------------------------------------------------------------------


def test_the_building_page_groups_houses_by_unit_and_links_adding_one(client, world, b1):
    response = _as(client, world.gridadmin).get(reverse("places-building-detail", args=[b1.pk]))
    assert response.status_code == 200
    units = response.context["units"]
    assert [group.unit for group in units] == [1, 2]
    assert [h.room for h in units[0].houses] == ["301"]
    page = response.content.decode()
    assert reverse("places-house-create", args=[b1.pk]) in page
    assert reverse("places-building-edit", args=[b1.pk]) in page
    assert 'id="place-geojson"' in page and 'id="grid-geojson"' in page
    assert "<script>" not in page  # the map's data is JSON, its code a static file (CSP)


# --- creating and editing buildings ---------------------------------------------------------------------


def test_an_administrator_adds_a_building_in_their_grid(client, world):
    response = _as(client, world.gridadmin).post(reverse("places-building-create"), _building_post(world.g1))
    building = Building.objects.get(road__name="中山路")
    assert response.status_code == 302
    assert response["Location"] == reverse("places-building-detail", args=[building.pk])
    assert building.grid == world.g1 and building.address == "中山路66号3栋" and building.floors == 7


def test_a_building_takes_a_footprint(client, world):
    lat, lng = centre(world.g1)
    ring = [[lng, lat], [lng + 0.0002, lat], [lng + 0.0002, lat + 0.0002], [lng, lat + 0.0002], [lng, lat]]
    footprint = json.dumps({"type": "Polygon", "coordinates": [ring]})
    _as(client, world.gridadmin).post(
        reverse("places-building-create"), _building_post(world.g1, footprint=footprint)
    )
    assert Building.objects.get(road__name="中山路").footprint["type"] == "Polygon"


def test_a_refused_building_form_lists_every_error_and_keeps_what_was_typed(client, world):
    data = _building_post(world.g1, road="", floors="many", lat="north", footprint="{not json")
    response = _as(client, world.gridadmin).post(reverse("places-building-create"), data)
    assert response.status_code == 400
    page = response.content.decode()
    hrefs = [e["href"] for e in response.context["errors"]]
    assert set(hrefs) >= {"#b-road", "#b-floors", "#b-lat", "#b-footprint"}
    assert 'value="many"' in page and 'value="north"' in page and "{not json" in page
    assert 'value="66"' in page  # the fields that were right are kept too
    assert not Building.objects.filter(number="66").exists()


def test_a_point_outside_the_jurisdiction_is_refused_at_the_position(client, world):
    data = _building_post(world.g1, lat="10.0", lng="10.0")
    response = _as(client, world.gridadmin).post(reverse("places-building-create"), data)
    assert response.status_code == 400
    assert response.context["form"].errors["lat"]
    assert 'value="10.0"' in response.content.decode()


def test_a_point_in_another_administrators_grid_is_refused(client, world):
    response = _as(client, world.gridadmin).post(reverse("places-building-create"), _building_post(world.g3))
    assert response.status_code == 403
    assert response.context["form"].errors["lat"]
    assert not Building.objects.filter(road__name="中山路").exists()


def test_a_duplicate_address_is_refused_at_the_number(client, world, b1):
    data = _building_post(world.g1, road="八一大道", number="123", name="1")
    response = _as(client, world.gridadmin).post(reverse("places-building-create"), data)
    assert response.status_code == 400
    assert response.context["form"].errors["number"]


@pytest.mark.parametrize("persona", ["dispatcher", "supervisor"])
def test_readers_may_not_add_or_edit_buildings(client, world, b1, persona):
    c = _as(client, getattr(world, persona))
    assert c.get(reverse("places-building-create")).status_code == 403
    assert c.post(reverse("places-building-create"), _building_post(world.g1)).status_code == 403
    assert c.post(reverse("places-building-edit", args=[b1.pk]), _building_post(world.g1)).status_code == 403


def test_an_administrator_edits_a_building_and_the_form_shows_it(client, world, b1):
    c = _as(client, world.gridadmin)
    page = c.get(reverse("places-building-edit", args=[b1.pk])).content.decode()
    assert 'value="八一大道"' in page and 'value="123"' in page
    data = _building_post(world.g1, road="八一大道", number="123", name="1", floors="20")
    assert c.post(reverse("places-building-edit", args=[b1.pk]), data).status_code == 302
    b1.refresh_from_db()
    assert b1.floors == 20


# --- houses ---------------------------------------------------------------------------------------------


def test_an_administrator_adds_a_house(client, world, b1):
    data = {"unit": "2", "room": "1201", "floor": "", "use": "rented", "area_m2": "88.5"}
    response = _as(client, world.gridadmin).post(reverse("places-house-create", args=[b1.pk]), data)
    house = b1.houses.get(room="1201")
    assert response.status_code == 302 and response["Location"] == reverse(
        "places-house-detail", args=[house.pk]
    )
    assert house.floor == 12 and house.unit == 2 and str(house.area_m2) == "88.50"


def test_a_refused_house_form_keeps_what_was_typed(client, world, b1):
    data = {"unit": "9", "room": "901", "floor": "", "use": "owner", "area_m2": "-3"}
    response = _as(client, world.gridadmin).post(reverse("places-house-create", args=[b1.pk]), data)
    assert response.status_code == 400
    assert {e["href"] for e in response.context["errors"]} >= {"#h-area_m2"}
    assert 'value="901"' in response.content.decode()
    data["area_m2"] = "60"
    response = _as(client, world.gridadmin).post(reverse("places-house-create", args=[b1.pk]), data)
    assert response.status_code == 400 and response.context["form"].errors["unit"]  # 2 units only


def test_a_duplicate_house_is_refused_at_the_room(client, world, b1):
    data = {"unit": "1", "room": "301", "use": "owner"}
    response = _as(client, world.gridadmin).post(reverse("places-house-create", args=[b1.pk]), data)
    assert response.status_code == 400 and response.context["form"].errors["room"]


def test_a_house_list_filters_by_use(client, world, b1):
    response = _as(client, world.gridadmin).get(
        reverse("places-house-list"), {"grid": world.g1.code, "use": "rented"}
    )
    assert [h.room for h in response.context["page"]] == ["502"]


# --- who lives where ------------------------------------------------------------------------------------


@pytest.fixture
def chen(world):
    return resident(world.g1, name="陈小红", id_no=NUMBER)


def _link(client, house, number=NUMBER, **overrides):
    data = {"id_number": number, "relation": "head", "population": "registered", "since": "2020-01-01"}
    data.update(overrides)
    return client.post(reverse("places-occupancy-create", args=[house.pk]), data)


def test_the_house_page_masks_the_occupants_names(client, world, b1, chen):
    c = _as(client, world.gridadmin)
    house = _house(b1, "301")
    assert _link(c, house).status_code == 302
    page = c.get(reverse("places-house-detail", args=[house.pk])).content.decode()
    assert "陈*红" in page and "陈小红" not in page
    assert NUMBER not in page
    assert reverse("resident-detail", args=[chen.pk]) in page  # the registry's page, where reveals are logged


def test_a_supervisor_reads_the_house_masked_without_the_registry_link(client, world, b1, chen):
    house = _house(b1, "301")
    _link(_as(client, world.gridadmin), house)
    page = _as(client, world.supervisor).get(reverse("places-house-detail", args=[house.pk])).content.decode()
    assert "陈*红" in page and "陈小红" not in page
    assert reverse("resident-detail", args=[chen.pk]) not in page
    assert reverse("places-occupancy-create", args=[house.pk]) not in page


def test_moving_shows_the_resident_before_in_the_old_house_and_now_in_the_new(client, world, b1, chen):
    c = _as(client, world.gridadmin)
    old, new = _house(b1, "301"), _house(b1, "502")
    _link(c, old, since="2019-03-01")
    assert _link(c, new, since="2023-07-01", relation="tenant", population="floating").status_code == 302
    old_page = c.get(reverse("places-house-detail", args=[old.pk]))
    new_page = c.get(reverse("places-house-detail", args=[new.pk]))
    assert [row.name for row in old_page.context["current"]] == []
    assert [(row.name, row.occupancy.until) for row in old_page.context["before"]] == [
        ("陈*红", date(2023, 6, 30))
    ]
    assert [row.name for row in new_page.context["current"]] == ["陈*红"]
    chen.refresh_from_db()
    assert chen.address == new.address


def test_a_rented_house_shows_its_landlord_and_tenants_masked(client, world, b1, chen):
    resident(world.g2, name="王大富", id_no=LANDLORD_NUMBER)
    c = _as(client, world.gridadmin)
    house = _house(b1, "502")
    response = _link(c, house, relation="tenant", population="floating", landlord_id_number=LANDLORD_NUMBER)
    assert response.status_code == 302
    page = c.get(reverse("places-house-detail", args=[house.pk]))
    html = page.content.decode()
    assert page.context["landlords"] == ["王*富"] and [r.name for r in page.context["tenants"]] == ["陈*红"]
    assert "王大富" not in html and "陈小红" not in html and LANDLORD_NUMBER not in html


def test_a_refused_link_keeps_the_typed_values_and_names_each_field(client, world, b1, chen):
    c = _as(client, world.gridadmin)
    wrong = NUMBER[:17] + ("0" if NUMBER[17] != "0" else "1")
    response = _link(c, _house(b1, "301"), number=wrong, since="yesterday", relation="king")
    assert response.status_code == 400
    assert {e["href"] for e in response.context["errors"]} == {"#o-id_number", "#o-since", "#o-relation"}
    page = response.content.decode()
    assert f'value="{wrong}"' in page and 'value="yesterday"' in page
    assert response["Cache-Control"] == "no-store"
    assert not Occupancy.objects.exists()


def test_a_resident_of_another_grid_cannot_be_linked(client, world, b1):
    other = id_number(birth=date(1985, 1, 1), seq=77)
    resident(world.g3, name="周其他", id_no=other)
    response = _link(_as(client, world.gridadmin), _house(b1, "301"), number=other)
    assert response.status_code == 400 and response.context["form"].errors["id_number"]


def test_a_move_before_the_current_one_is_refused_at_the_date(client, world, b1, chen):
    c = _as(client, world.gridadmin)
    _link(c, _house(b1, "301"), since="2022-01-01")
    response = _link(c, _house(b1, "502"), since="2021-01-01")
    assert response.status_code == 400 and response.context["form"].errors["since"]


def test_moving_out_keeps_the_record_under_before(client, world, b1, chen):
    c = _as(client, world.gridadmin)
    house = _house(b1, "301")
    _link(c, house, since="2020-01-01")
    occupancy = Occupancy.objects.get()
    response = c.post(reverse("places-occupancy-end", args=[occupancy.pk]), {"until": "2024-02-29"})
    assert response.status_code == 302
    page = c.get(reverse("places-house-detail", args=[house.pk]))
    assert [r.occupancy.until for r in page.context["before"]] == [date(2024, 2, 29)]


def test_a_refused_move_out_says_why_at_its_row(client, world, b1, chen):
    c = _as(client, world.gridadmin)
    house = _house(b1, "301")
    _link(c, house, since="2020-01-01")
    occupancy = Occupancy.objects.get()
    response = c.post(reverse("places-occupancy-end", args=[occupancy.pk]), {"until": "2019-01-01"})
    assert response.status_code == 400
    assert response.context["current"][0].end_error and 'value="2019-01-01"' in response.content.decode()
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    assert (
        c.post(reverse("places-occupancy-end", args=[occupancy.pk]), {"until": tomorrow}).status_code == 400
    )
    assert c.post(reverse("places-occupancy-end", args=[occupancy.pk]), {"until": "soon"}).status_code == 400


def test_only_the_grids_administrators_record_moves(client, world, b1, chen):
    house = _house(b1, "301")
    _link(_as(client, world.gridadmin), house)
    occupancy = Occupancy.objects.get()
    end = reverse("places-occupancy-end", args=[occupancy.pk])
    assert _as(client, world.other_gridadmin).post(end, {"until": "2024-01-01"}).status_code == 404
    assert _as(client, world.supervisor).post(end, {"until": "2024-01-01"}).status_code == 403
    assert (
        _as(client, world.dispatcher).get(reverse("places-occupancy-create", args=[house.pk])).status_code
        == 403
    )
    assert client.get(end).status_code == 405


def test_the_occupant_list_shows_who_lives_in_the_grid_by_population(client, world, b1, chen):
    c = _as(client, world.gridadmin)
    _link(c, _house(b1, "301"), population="floating")
    response = c.get(reverse("places-occupant-list"), {"grid": world.g1.code, "population": "floating"})
    assert [row.name for row in response.context["rows"]] == ["陈*红"]
    assert "陈小红" not in response.content.decode()
    response = c.get(reverse("places-occupant-list"), {"grid": world.g1.code, "population": "registered"})
    assert response.context["rows"] == []


# --- unmatched addresses --------------------------------------------------------------------------------


@pytest.fixture
def lost(world, b1):
    """A resident of grid 1 whose address names no house: listed by the linking run."""
    person = resident(world.g1, name="李无址", address="八一大道123号1栋1单元9999室")
    services.residents_link_addresses(grid_ids=[world.g1.pk])
    return UnmatchedAddress.objects.get(resident=person)


def test_the_unmatched_list_shows_the_grids_entries_masked(client, world, lost):
    response = _as(client, world.gridadmin).get(reverse("places-unmatched"), {"grid": world.g1.code})
    page = response.content.decode()
    assert response.status_code == 200 and "李*址" in page and "李无址" not in page
    assert reverse("places-unmatched-resolve", args=[lost.pk]) in page
    assert "八一大道123号1栋1单元301室" in response.context["suggestions"]


def test_an_administrator_links_an_unmatched_resident_to_a_typed_house(client, world, b1, lost):
    data = {
        "action": "link",
        "address": "八一大道 123 号 1 栋 1 单元 301",
        "relation": "head",
        "population": "permanent",
        "since": "2016-01-01",
    }
    response = _as(client, world.gridadmin).post(reverse("places-unmatched-resolve", args=[lost.pk]), data)
    assert response.status_code == 302
    assert not UnmatchedAddress.objects.exists()
    occupancy = Occupancy.objects.get(resident=lost.resident)
    assert occupancy.house == _house(b1, "301") and occupancy.population == "permanent"


def test_an_address_naming_no_house_is_refused_and_kept(client, world, lost):
    data = {
        "action": "link",
        "address": "八一大道123号1栋1单元8888",
        "relation": "head",
        "population": "registered",
        "since": "2016-01-01",
    }
    response = _as(client, world.gridadmin).post(reverse("places-unmatched-resolve", args=[lost.pk]), data)
    assert response.status_code == 400
    assert "8888" in response.content.decode()
    assert UnmatchedAddress.objects.filter(pk=lost.pk).exists()


def test_a_link_with_missing_fields_names_them(client, world, lost):
    data = {"action": "link", "address": "", "relation": "head", "population": "registered", "since": "x"}
    response = _as(client, world.gridadmin).post(reverse("places-unmatched-resolve", args=[lost.pk]), data)
    assert response.status_code == 400
    (row,) = [row for row in response.context["entries"] if row.entry.pk == lost.pk]
    assert set(row.errors) == {"address", "since"}


def test_an_administrator_dismisses_an_entry(client, world, lost):
    response = _as(client, world.gridadmin).post(
        reverse("places-unmatched-resolve", args=[lost.pk]), {"action": "dismiss"}
    )
    assert response.status_code == 302 and not UnmatchedAddress.objects.exists()
    assert lost.resident.address == "八一大道123号1栋1单元9999室"  # the text stays on the resident


def test_readers_see_the_unmatched_list_without_forms_and_may_not_resolve(client, world, lost):
    c = _as(client, world.supervisor)
    page = c.get(reverse("places-unmatched")).content.decode()
    assert "李*址" in page and reverse("places-unmatched-resolve", args=[lost.pk]) not in page
    assert (
        c.post(reverse("places-unmatched-resolve", args=[lost.pk]), {"action": "dismiss"}).status_code == 403
    )
    c = _as(client, world.other_gridadmin)
    assert (
        c.post(reverse("places-unmatched-resolve", args=[lost.pk]), {"action": "dismiss"}).status_code == 404
    )
    assert _as(client, world.staff).get(reverse("places-unmatched")).status_code == 403


def test_the_unmatched_and_occupant_lists_cost_the_same_queries_for_3_and_30_rows(
    client, world, django_assert_max_num_queries
):
    c = _as(client, world.gridadmin)
    building = f.building(world.g1, floors=30)
    house = f.house(building, room="101")

    def add(n: int) -> None:
        for _ in range(n):
            resident(world.g1, name="无名氏", address="无此路1号")
            housed = resident(world.g1, name="有房人")
            services.occupancy_start(actor=None, resident=housed, house=house, since="2020-01-01")
        services.residents_link_addresses(grid_ids=[world.g1.pk])

    add(3)
    urls = [reverse("places-unmatched"), reverse("places-occupant-list")]
    few = [_queries(c, url) for url in urls]
    add(27)
    for url, count in zip(urls, few, strict=True):
        with django_assert_max_num_queries(count):
            assert c.get(url).status_code == 200
    assert c.get(urls[0]).context["page"].paginator.count >= 30
