"""The demo's base data: every grid holds tens of buildings, houses, organisations and facilities; most
registered residents live in a house their address names, a few are listed unmatched; rented houses have
tenants and a landlord; codes are valid; some cases name a facility; the same seed plans the same data."""

from collections import Counter

import pytest
from django.db import transaction
from django.db.models import Count
from django.test import TestCase, override_settings
from django.utils import timezone

from cases.models import OPEN_STATES, Case
from demo.base_data import LANES, Plan, base_data_plan, grid_areas
from demo.reference import ROADS
from demo.seed import RESIDENTS_PER_GRID, demo_seed
from gridmgmt.errors import InvalidInput
from grids.models import Grid, Resident
from grids.selectors import grid_locate_many
from places import addresses, codes
from places.models import Building, Facility, House, Occupancy, Organisation, UnmatchedAddress
from places.selectors import house_for_address, house_landlords

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SEED = 3


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The smallest demo the seed tests use (40 cases), rolled back at the module's end. The callbacks a
    commit would run (a closed case hands its facility back to its surveyed state) run at the seed's end."""
    with (
        django_db_blocker.unblock(),
        override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        with TestCase.captureOnCommitCallbacks(execute=True):
            summary = demo_seed(cases=40, seed=SEED)
        yield summary
        transaction.set_rollback(True)


@pytest.fixture(scope="module")
def plan(demo, django_db_blocker) -> Plan:
    with django_db_blocker.unblock():
        grids = list(Grid.objects.all())
        return base_data_plan(grid_areas(grids), seed=SEED, residents_per_grid=RESIDENTS_PER_GRID)


def _per_grid(model, **filters) -> list[int]:
    counts = dict(model.objects.filter(**filters).values_list("grid_id").annotate(n=Count("id")).order_by())
    return [counts.get(pk, 0) for pk in Grid.objects.values_list("pk", flat=True)]


def test_every_grid_holds_tens_of_buildings_houses_organisations_and_facilities(demo, db):
    assert min(_per_grid(Building)) >= 10
    assert min(_per_grid(House)) >= 40
    assert min(_per_grid(Facility)) >= 10
    assert min(_per_grid(Organisation)) >= 5
    assert Organisation.objects.count() >= 10 * Grid.objects.count()
    homes = Counter(Occupancy.objects.filter(until__isnull=True).values_list("house__grid_id", flat=True))
    assert min(homes[pk] for pk in Grid.objects.values_list("pk", flat=True)) >= 10
    assert demo.base_data["buildings"] == Building.objects.count()


def test_buildings_and_facilities_lie_in_their_own_grid(demo, db):
    for model in (Building, Facility):
        rows = list(model.objects.values_list("lat", "lng", "grid_id"))
        located = grid_locate_many([(lat, lng) for lat, lng, _ in rows])
        assert located == [grid_id for _, _, grid_id in rows], model.__name__


def test_buildings_stand_on_nanchang_roads_and_lanes(demo, db):
    roads = set(Building.objects.values_list("road__name", flat=True))
    assert roads <= set(ROADS) | set(LANES)
    assert {"八一大道", "阳明路", "中山路"} <= roads


def test_most_registered_residents_live_in_the_house_their_address_names(demo, db):
    registered = Resident.objects.filter(household_no__startswith="H")
    # (occupancies__until__isnull would also match residents with no occupancy at all)
    linked = registered.filter(pk__in=Occupancy.objects.filter(until__isnull=True).values("resident_id"))
    assert registered.count() == RESIDENTS_PER_GRID * Grid.objects.count()
    assert linked.count() >= 0.9 * registered.count()
    for resident in linked.select_related("grid")[:100]:
        home = resident.occupancies.get(until__isnull=True).house
        assert resident.address == home.address and resident.grid_id == home.grid_id


def test_a_few_addresses_match_no_house_and_are_listed_for_their_grid(demo, db):
    unmatched = list(UnmatchedAddress.objects.select_related("resident"))
    assert 10 <= len(unmatched) <= 0.1 * Resident.objects.count()
    for row in unmatched:
        assert row.resident.grid_id == row.grid_id
        assert not row.resident.occupancies.exists()
        try:
            house, _ = house_for_address(row.address, grid_id=row.grid_id)
        except InvalidInput:
            house = None
        assert house is None, row.address


def test_each_grid_has_a_rented_house_with_floating_tenants_and_their_landlord(demo, db):
    for grid in Grid.objects.all():
        tenancies = Occupancy.objects.filter(
            house__grid=grid, until__isnull=True, is_tenant=True, landlord__isnull=False
        ).select_related("house", "landlord")
        assert tenancies.count() >= 2, grid.code
        tenancy = tenancies[0]
        assert tenancy.population == Occupancy.Population.FLOATING
        assert tenancy.house.use == House.Use.RENTED
        assert house_landlords(tenancy.house) == [tenancy.landlord]
        landlord_home = tenancy.landlord.occupancies.get(until__isnull=True).house
        assert landlord_home.grid_id == grid.pk and landlord_home != tenancy.house


def test_a_tenant_who_moved_keeps_the_earlier_home_in_their_history(demo, db):
    ended = Occupancy.objects.filter(until__isnull=False).select_related("resident")
    assert ended.count() >= Grid.objects.count()
    for before in ended[:20]:
        now = before.resident.occupancies.get(until__isnull=True)
        assert (now.since - before.until).days == 1 and now.house_id != before.house_id


def test_organisations_have_valid_unique_credit_codes_of_every_kind(demo, db):
    rows = list(Organisation.objects.all())
    for organisation in rows:
        assert codes.credit_code_validate(organisation.credit_code) == organisation.credit_code
        assert organisation.credit_code[2:8] == "360102"
    assert len({o.credit_code for o in rows}) == len(rows)
    assert {o.kind for o in rows} == set(Organisation.Kind.values) - {Organisation.Kind.OTHER}
    assert all(o.legal_representative_masked and o.contact_phone_masked for o in rows)


def test_some_organisations_carry_risk_tags_and_some_inspections_are_overdue(demo, db):
    tagged = [o for o in Organisation.objects.all() if o.risk_tags]
    assert {tag for o in tagged for tag in o.risk_tags} == set(Organisation.Risk.values)
    today = timezone.localdate()
    overdue = [o for o in tagged if o.next_inspection_on and o.next_inspection_on < today]
    assert 0 < len(overdue) < len(tagged) / 2


def test_facility_codes_are_unique_and_say_their_district_and_class(demo, db):
    rows = list(Facility.objects.select_related("facility_class"))
    assert len({f.code for f in rows}) == len(rows)
    for facility in rows:
        parsed = codes.facility_code_parse(facility.code)
        assert parsed.district == "360102"
        assert parsed.major + parsed.minor == facility.facility_class.code


def test_facilities_are_kept_by_the_departments_the_routing_names(demo, db):
    kept = dict(Facility.objects.values_list("facility_class__code", "department__code").distinct())
    assert kept["0102"] == kept["0103"] == "municipal"  # sewer and storm-water covers
    assert kept["0101"] == "water" and kept["0105"] == "power"  # their owners maintain them
    assert kept["0303"] == "sanitation" and kept["0116"] == "power" and kept["0402"] == "greening"
    states = set(Facility.objects.values_list("surveyed_state", flat=True))
    assert {Facility.State.DAMAGED, Facility.State.MISSING} <= states


def test_some_cases_name_a_facility_and_take_its_grid_and_category(demo, db):
    cases = list(Case.objects.filter(facility__isnull=False).select_related("facility__facility_class"))
    assert len(cases) >= 3
    for case in cases:
        assert case.grid_id == case.facility.grid_id
        assert (case.lat, case.lng) == (case.facility.lat, case.facility.lng)
        assert case.category.code == case.facility.facility_class.case_category_code


def test_a_facility_shows_its_open_case_and_returns_once_its_cases_end(demo, db):
    named = Facility.objects.filter(cases__isnull=False).distinct().prefetch_related("cases__category")
    for facility in named:
        open_cases = [c for c in facility.cases.all() if c.state in OPEN_STATES]
        expected = open_cases[0].category.facility_state if open_cases else facility.surveyed_state
        assert facility.state == expected, facility.code


def test_residents_write_their_house_in_the_ways_people_do(plan):
    """Every text planned to match reads, through the address parser, as its household's house; the texts
    planned not to match name no house of the grid."""
    matched = []
    for grid in plan.grids:
        keys = {
            addresses.house_key(addresses.building_key(b.road, b.number, b.name), h.unit, h.room)
            for b in grid.buildings
            for h in b.houses
        }
        for n, text in enumerate(grid.resident_addresses):
            try:
                found = addresses.address_keys(text)[1]
            except InvalidInput:
                found = None
            if n in grid.unmatched:
                assert found not in keys, text
                continue
            building = grid.buildings[grid.homes[n // 3][0]]
            house = grid.house(grid.homes[n // 3])
            wanted = addresses.building_key(building.road, building.number, building.name)
            assert found == addresses.house_key(wanted, house.unit, house.room), text
            matched.append(text)
    for way in ("东湖区", "#楼", "幢", "-", "一栋", "室"):
        assert any(way in text for text in matched), way


def test_the_same_seed_plans_the_same_base_data_and_another_seed_does_not(plan, demo, db):
    grids = list(Grid.objects.all())
    again = base_data_plan(grid_areas(grids), seed=SEED, residents_per_grid=RESIDENTS_PER_GRID)
    other = base_data_plan(grid_areas(grids), seed=SEED + 1, residents_per_grid=RESIDENTS_PER_GRID)
    assert again == plan and other != plan
    planned = {
        addresses.building_key(b.road, b.number, b.name) for grid in plan.grids for b in grid.buildings
    }
    assert set(Building.objects.values_list("address_key", flat=True)) == planned
    assert House.objects.count() == sum(len(b.houses) for grid in plan.grids for b in grid.buildings)
    assert Facility.objects.count() == sum(len(grid.facilities) for grid in plan.grids)
