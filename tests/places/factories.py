"""Builders for base-data test rows, on the four-grid test district of tests/factories.py."""

import itertools
from datetime import date
from types import SimpleNamespace

from places import services
from places.models import FacilityClass, UnmatchedAddress
from places.taxonomy import facility_classes_ensure
from tests.factories import centre
from tests.grids.resident_factories import resident

_serial = itertools.count(1)


def building(
    grid, *, road: str = "八一大道", number: str | None = None, name: str = "1", actor=None, **extra
):
    """A building in the middle of `grid` (a fresh door number unless one is given)."""
    lat, lng = centre(grid)
    return services.building_save(
        actor=actor,
        road=road,
        number=number or str(100 + next(_serial)),
        name=name,
        floors=extra.pop("floors", 18),
        units=extra.pop("units", 3),
        lat=extra.pop("lat", lat),
        lng=extra.pop("lng", lng),
        **extra,
    )


def house(building, *, unit=1, room: str | None = None, actor=None, **extra):
    return services.house_save(
        actor=actor,
        building=building,
        unit=unit,
        room=room or f"{1 + next(_serial) % 9}0{next(_serial) % 4 + 1}",
        **extra,
    )


def facility_class(code: str = "0101") -> FacilityClass:
    if not FacilityClass.objects.exists():  # a live-server test before this one emptied every table
        facility_classes_ensure()
    return services.facility_class_get(code)


def facility(grid, *, code: str = "0101", actor=None, **extra):
    lat, lng = centre(grid)
    return services.facility_save(
        actor=actor,
        facility_class=facility_class(code),
        lat=extra.pop("lat", lat),
        lng=extra.pop("lng", lng),
        **extra,
    )


def grid_base_data(world) -> SimpleNamespace:
    """The base data the harnesses reach every page with, in grid 1: a building with a rented house, its
    landlord and tenant, a resident whose address matches no house, an organisation and a facility
    maintained by sanitation (the staff persona's department)."""
    building_ = building(world.g1, road="八一大道", number="123", name="1")
    house_ = house(building_, unit=1, room="301", use="rented")
    landlord, tenant = resident(world.g1), resident(world.g1)
    services.occupancy_start(actor=None, resident=landlord, house=house_, since=date(2015, 1, 1))
    occupancy = services.occupancy_start(
        actor=None,
        resident=tenant,
        house=house_,
        since=date(2020, 1, 1),
        relation="tenant",
        landlord=landlord,
    )
    homeless = resident(world.g1, address="八一大道999号")
    services.residents_link_addresses(grid_ids=[world.g1.pk])
    organisation = services.organisation_save(
        actor=None,
        name="洪城副食店",
        credit_code="91350100M000100Y43",
        kind="shop",
        building=building_,
        legal_representative="王小明",
        contact_phone="13812345678",
    )
    return SimpleNamespace(
        building=building_,
        house=house_,
        occupancy=occupancy,
        unmatched=UnmatchedAddress.objects.get(resident=homeless),
        organisation=organisation,
        facility=facility(world.g1, code="0101", department=world.sanitation),
    )
