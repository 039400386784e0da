"""What building_save and house_save read from the text they are given, as functions the bulk import calls
for each row (the services do the same inline; see places.services).

Kept beside the import until places.services takes them over: building_save and house_save would then call
them, so the bulk path and the one-at-a-time path cannot drift apart. tests/places/test_io.py checks that
both paths store the same rows.
"""

from django.utils.translation import gettext_lazy, gettext_noop

from gridmgmt.errors import InvalidInput

from .. import addresses, services
from ..addresses import AddressParts
from ..models import Building


def building_parts(road: str, number: str, name: str) -> AddressParts:
    """The standard parts of a building's address from its road, door number and building number/name,
    read back through the parser, so "1", "1栋", "1号楼" and "一幢" are the same building."""
    marker = "栋" if name and name[-1].isascii() and name[-1].isalnum() else ""
    return addresses.address_parse(f"{road}{number.removesuffix('号')}号{name}{marker}")


def house_parts(building: Building, unit, room: str) -> AddressParts:
    """The standard parts of a house's address: the building's address, the unit, the room; the unit must
    be one the building has."""
    unit_text = "" if unit in (None, "") else f"{unit}单元"
    parts = addresses.address_parse(f"{building.address}{unit_text}{room}")
    if parts.unit is not None and parts.unit > building.units:
        raise InvalidInput(
            gettext_noop("the building has %(units)s units: there is no unit %(unit)s"),
            units=building.units,
            unit=parts.unit,
            field="unit",
        )
    return parts


def house_floor(building: Building, parts: AddressParts, floor, room: str) -> int:
    """The floor given, or the one the room number says; within the building's floors."""
    if floor in (None, ""):
        floor = parts.floor
    if floor is None:
        raise InvalidInput(
            gettext_noop("give the floor: it cannot be read from room %(room)s"), room=room, field="floor"
        )
    return services._count(
        floor, field="floor", label=gettext_lazy("the floor"), low=-10, high=building.floors
    )
