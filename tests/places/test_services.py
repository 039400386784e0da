"""The base-data services: grid from the point, address keys, occupancy history, linking residents,
organisations, facility codes and the facility state that follows its cases."""

from datetime import date, timedelta

import pytest

from gridmgmt.errors import InvalidInput, NotAllowed
from places import selectors, services
from places.models import Facility, Occupancy, UnmatchedAddress
from tests.factories import centre
from tests.grids.resident_factories import resident

from . import factories as pf


def test_a_building_takes_the_grid_its_point_lies_in(world):
    lat, lng = centre(world.g2)
    building = services.building_save(
        actor=world.gridadmin, road="八一大道", number="123号", name="1栋", lat=lat, lng=lng
    )
    assert building.grid == world.g2
    assert building.address == "八一大道123号1栋"
    assert building.address_key == "八一大道/123/1"


def test_a_building_named_in_another_grid_than_its_point_is_refused(world):
    lat, lng = centre(world.g2)
    with pytest.raises(InvalidInput) as refused:
        services.building_save(actor=None, road="八一大道", number="9", lat=lat, lng=lng, grid=world.g1)
    assert refused.value.field == "location"


def test_a_point_outside_every_grid_is_refused(world):
    with pytest.raises(InvalidInput) as refused:
        services.building_save(actor=None, road="八一大道", number="9", lat=10.0, lng=10.0)
    assert "outside" in refused.value.message


def test_grid_administrators_write_their_own_grids_only(world):
    lat, lng = centre(world.g3)
    with pytest.raises(NotAllowed):
        services.building_save(actor=world.gridadmin, road="八一大道", number="9", lat=lat, lng=lng)
    with pytest.raises(NotAllowed):
        services.building_save(actor=world.dispatcher, road="八一大道", number="9", lat=lat, lng=lng)
    assert services.building_save(actor=world.other_gridadmin, road="八一大道", number="9", lat=lat, lng=lng)


def test_the_same_address_written_two_ways_is_one_building(world):
    pf.building(world.g1, road="八一大道", number="123", name="1")
    with pytest.raises(InvalidInput) as refused:
        pf.building(world.g1, road="八一大道 ", number="１２３号", name="1幢")
    assert refused.value.field == "number"


def test_a_house_reads_its_floor_from_the_room_and_is_found_by_address_variants(world):
    building = pf.building(world.g1, road="八一大道", number="123", name="1", floors=18, units=3)
    house = services.house_save(actor=world.gridadmin, building=building, unit=2, room="301室")
    assert (house.unit, house.room, house.floor, house.grid_id) == (2, "301", 3, world.g1.pk)
    assert house.address == "八一大道123号1栋2单元301室"
    for text in (
        "东湖区八一大道123号1栋2单元301",
        "南昌市东湖区八一大道１２３号1幢2单元301室",
        "八一大道123号1栋2-301",
    ):
        found, _ = selectors.house_for_address(text)
        assert found == house, text
    located = selectors.address_locate("八一大道123号1号楼二单元301")
    assert located.house == house and located.grid_id == world.g1.pk


def test_a_house_must_fit_its_building(world):
    building = pf.building(world.g1, floors=6, units=2)
    with pytest.raises(InvalidInput) as refused:
        services.house_save(actor=None, building=building, unit=3, room="101")
    assert refused.value.field == "unit"
    with pytest.raises(InvalidInput) as refused:
        services.house_save(actor=None, building=building, unit=1, room="901")
    assert refused.value.field == "floor"
    services.house_save(actor=None, building=building, unit=1, room="101")
    with pytest.raises(InvalidInput) as refused:
        services.house_save(actor=None, building=building, unit="1", room="101室")
    assert refused.value.field == "room"


def test_an_unknown_address_is_refused_naming_the_field(world):
    with pytest.raises(InvalidInput) as refused:
        selectors.address_locate("阳明路999号")
    assert refused.value.field == "address"


def test_moving_keeps_the_history_and_moves_the_registry(world):
    old_home = pf.house(pf.building(world.g1), unit=1, room="101")
    new_home = pf.house(pf.building(world.g2), unit=1, room="202")
    person = resident(world.g1, moved_in_on=date(2015, 6, 1))
    first = services.occupancy_start(
        actor=world.gridadmin, resident=person, house=old_home, since=date(2016, 1, 1)
    )
    person.refresh_from_db()
    assert person.address == old_home.address
    second = services.occupancy_start(
        actor=world.gridadmin, resident=person, house=new_home, since=date(2020, 5, 1), relation="tenant"
    )
    first.refresh_from_db()
    assert first.until == date(2020, 4, 30)
    assert second.until is None and second.is_tenant
    person.refresh_from_db()
    assert (person.grid_id, person.address) == (world.g2.pk, new_home.address)
    now, before = selectors.house_occupancies(old_home)
    assert now == [] and [o.resident_id for o in before] == [person.pk]
    now, before = selectors.house_occupancies(new_home)
    assert [o.resident_id for o in now] == [person.pk] and before == []
    assert [o.house_id for o in selectors.resident_occupancies(person)] == [new_home.pk, old_home.pk]


def test_a_move_cannot_go_back_in_time_or_stay_put(world):
    home = pf.house(pf.building(world.g1), unit=1, room="101")
    elsewhere = pf.house(pf.building(world.g1), unit=1, room="102")
    person = resident(world.g1)
    services.occupancy_start(actor=None, resident=person, house=home, since=date(2018, 1, 1))
    with pytest.raises(InvalidInput):
        services.occupancy_start(actor=None, resident=person, house=home, since=date(2019, 1, 1))
    with pytest.raises(InvalidInput) as refused:
        services.occupancy_start(actor=None, resident=person, house=elsewhere, since=date(2017, 1, 1))
    assert refused.value.field == "since"
    with pytest.raises(InvalidInput):
        services.occupancy_start(
            actor=None, resident=person, house=elsewhere, since=date.today() + timedelta(days=2)
        )
    assert Occupancy.objects.filter(resident=person).count() == 1


def test_a_tenant_names_a_landlord_and_only_a_tenant_does(world):
    home = pf.house(pf.building(world.g1), unit=1, room="101", use="rented")
    owner, tenant = resident(world.g1), resident(world.g1)
    with pytest.raises(InvalidInput):
        services.occupancy_start(
            actor=None, resident=tenant, house=home, since=date(2020, 1, 1), landlord=owner
        )
    services.occupancy_start(
        actor=None, resident=tenant, house=home, since=date(2020, 1, 1), relation="tenant", landlord=owner
    )
    assert selectors.house_landlords(home) == [owner]


def test_ending_an_occupancy_keeps_the_record(world):
    home = pf.house(pf.building(world.g1), unit=1, room="101")
    person = resident(world.g1)
    occupancy = services.occupancy_start(actor=None, resident=person, house=home, since=date(2018, 1, 1))
    services.occupancy_end(actor=world.gridadmin, occupancy=occupancy, until=date(2019, 1, 1))
    with pytest.raises(InvalidInput):
        services.occupancy_end(actor=world.gridadmin, occupancy=occupancy, until=date(2019, 2, 1))
    assert Occupancy.objects.get(pk=occupancy.pk).until == date(2019, 1, 1)


def test_linking_matches_address_variants_and_lists_the_rest(world):
    home = pf.house(pf.building(world.g1, road="阳明路", number="88", name="2"), unit=1, room="502")
    matched = resident(world.g1, address="江西省南昌市东湖区阳明路88号2栋1单元502室")
    unmatched = resident(world.g1, address="阳明路88号2栋1单元999室")
    unreadable = resident(world.g1, address="老街口")
    result = services.residents_link_addresses()
    assert (result.matched, result.unmatched) == (1, 2)
    assert Occupancy.objects.get(resident=matched).house == home
    listed = set(UnmatchedAddress.objects.values_list("resident_id", flat=True))
    assert listed == {unmatched.pk, unreadable.pk}
    unreadable.refresh_from_db()
    assert unreadable.address == "老街口"  # nothing lost
    # Run again: nothing new is linked or listed twice.
    again = services.residents_link_addresses()
    assert (again.matched, again.unmatched) == (0, 2)
    # Resolving one by hand takes it off the list.
    services.occupancy_start(actor=world.gridadmin, resident=unmatched, house=home, since=date(2019, 1, 1))
    assert not UnmatchedAddress.objects.filter(resident=unmatched).exists()


def test_an_organisation_needs_a_valid_unique_credit_code(world):
    building = pf.building(world.g1)
    fields = {"name": "洪城副食店", "kind": "shop", "building": building}
    with pytest.raises(InvalidInput) as refused:
        services.organisation_save(actor=world.gridadmin, credit_code="91350100M000100Y44", **fields)
    assert refused.value.field == "credit_code" and "Y44"[-1] not in refused.value.params.get("expected", "")
    shop = services.organisation_save(
        actor=world.gridadmin,
        credit_code="91350100m000100y43",
        legal_representative="王小明",
        contact_phone="13812345678",
        risk_tags="消防安全重点单位；crowded",
        **fields,
    )
    assert shop.credit_code == "91350100M000100Y43"
    assert (shop.grid_id, shop.address) == (world.g1.pk, building.address)
    assert shop.risk_tags == ["fire_safety", "crowded"]
    assert "王小明" not in shop.legal_representative_encrypted
    assert shop.legal_representative_masked == "王*明" and shop.contact_phone_masked == "138****5678"
    with pytest.raises(InvalidInput) as refused:
        services.organisation_save(actor=world.gridadmin, credit_code="91350100M000100Y43", **fields)
    assert refused.value.field == "credit_code"
    # An edit that does not give the personal fields keeps them.
    services.organisation_save(
        actor=world.gridadmin, organisation=shop, credit_code=shop.credit_code, employees=5, **fields
    )
    shop.refresh_from_db()
    assert shop.legal_representative_masked == "王*明" and shop.employees == 5


def test_facility_codes_count_up_per_district_and_class(world):
    first = pf.facility(world.g1, code="0101")
    second = pf.facility(world.g2, code="0101")
    lamp = pf.facility(world.g1, code="0116")
    assert (first.code, second.code, lamp.code) == (
        "3601020101000001",
        "3601020101000002",
        "3601020116000001",
    )
    assert first.grid == world.g1 and second.grid == world.g2


def test_an_imported_facility_code_must_fit_its_class_and_be_free(world):
    lat, lng = centre(world.g1)
    klass = pf.facility_class("0101")
    kept = services.facility_save(actor=None, facility_class=klass, lat=lat, lng=lng, code="3601020101000777")
    assert kept.code == "3601020101000777"
    with pytest.raises(InvalidInput):
        services.facility_save(actor=None, facility_class=klass, lat=lat, lng=lng, code="3601020101000777")
    with pytest.raises(InvalidInput):
        services.facility_save(actor=None, facility_class=klass, lat=lat, lng=lng, code="3601020116000001")
    assert pf.facility(world.g1, code="0101").code == "3601020101000778"


def test_a_facility_shows_its_open_case_and_returns_to_its_survey(world):
    cover = pf.facility(world.g1, code="0101", state="intact")
    services.facility_case_opened(facility_id=cover.pk, state="missing")
    cover.refresh_from_db()
    assert cover.state == Facility.State.MISSING
    services.facility_case_closed(facility_id=cover.pk, open_states=["reported"])
    cover.refresh_from_db()
    assert cover.state == Facility.State.INTACT


def test_search_reads_an_address_written_with_spaces_and_full_width_digits(world):
    building = pf.building(world.g1, road="八一大道", number="123", name="1")
    house = pf.house(building, unit=2, room="301")
    hits = {(hit.kind, hit.pk) for hit in selectors.base_data_search(world.gridadmin, "八一大道 １２３号")}
    assert {("building", building.pk), ("house", house.pk)} <= hits
    hits = {
        (hit.kind, hit.pk) for hit in selectors.base_data_search(world.gridadmin, "八一大道123号1栋2单元301")
    }
    assert ("house", house.pk) in hits
    assert selectors.base_data_search(world.other_gridadmin, "八一大道 123号") == []
