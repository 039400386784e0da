"""Forms of the base-data pages: building, house, a resident moving in and out, an unmatched address.

Each field is checked on its own, so a form with several wrong fields says all of them at once; what only the
service can decide (the grid a point lies in, an address already registered, a move before the last one)
comes after, from places.services, at its field. Residents are named by their ID number and found through
the registry's keyed hash, in the reader's scope: the clear number is never compared in the database.
"""

import json
from datetime import date

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_noop

from gridmgmt.errors import DomainError
from gridmgmt.messages import Message
from grids import pii
from grids import selectors as grid_selectors
from grids.models import Resident

from .models import Building, House, Occupancy

# The forms' own sentences (gridmgmt.messages.Message), as lazy strings form fields can carry.
_said = lazy(lambda template, **params: str(Message(template, **params)), str)
_NOT_A_DATE = _said(gettext_noop("enter a date (YYYY-MM-DD)"))
_NOT_JSON = _said(gettext_noop("the footprint must be a GeoJSON Polygon written as JSON text"))
_NO_SUCH_RESIDENT = _said(gettext_noop("no current resident of your grids has this ID number"))


def _checked(check, value):
    """A service check as a form check: its refusal becomes the field's error, in the page language."""
    try:
        return check(value)
    except DomainError as exc:
        raise forms.ValidationError(exc.localized()) from None


def _date(raw: str) -> date:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        raise forms.ValidationError(_NOT_A_DATE) from None


class BuildingForm(forms.Form):
    """Create or change a building: its address parts, use, size and position (a map tap fills lat/lng)."""

    road = forms.CharField(max_length=60)
    number = forms.CharField(max_length=20)
    name = forms.CharField(max_length=40, required=False)
    use = forms.ChoiceField(choices=Building.Use.choices)
    floors = forms.IntegerField(min_value=1, max_value=200)
    units = forms.IntegerField(min_value=1, max_value=99)
    lat = forms.FloatField(min_value=-90, max_value=90)
    lng = forms.FloatField(min_value=-180, max_value=180)
    footprint = forms.CharField(required=False, max_length=20000)

    def clean_footprint(self) -> dict | None:
        text = self.cleaned_data["footprint"].strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except ValueError:
            raise forms.ValidationError(_NOT_JSON) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_NOT_JSON)
        # A Feature pasted from a map tool carries the Polygon as its geometry.
        if value.get("type") == "Feature" and isinstance(value.get("geometry"), dict):
            value = value["geometry"]
        return value

    @classmethod
    def initial_for(cls, building: Building) -> dict:
        return {
            "road": building.road.name,
            "number": building.number,
            "name": building.name,
            "use": building.use,
            "floors": building.floors,
            "units": building.units,
            "lat": f"{building.lat:.6f}",
            "lng": f"{building.lng:.6f}",
            "footprint": json.dumps(building.footprint, ensure_ascii=False) if building.footprint else "",
        }


class HouseForm(forms.Form):
    """Create or change a house: unit, room, floor (read from the room when empty), use, area."""

    unit = forms.IntegerField(required=False, min_value=1, max_value=99)
    room = forms.CharField(max_length=20)
    floor = forms.IntegerField(required=False, min_value=-10, max_value=200)
    use = forms.ChoiceField(choices=House.Use.choices)
    area_m2 = forms.DecimalField(
        required=False, min_value=1, max_value=100000, max_digits=8, decimal_places=2
    )

    @classmethod
    def initial_for(cls, house: House) -> dict:
        return {
            "unit": house.unit,
            "room": house.room,
            "floor": house.floor,
            "use": house.use,
            "area_m2": house.area_m2,
        }


def _resident_by_id_number(user, raw: str, editable: set[int] | None) -> Resident:
    """The current resident with this ID number among those `user` may see (and, with `editable` given, of
    those grids); the number is checked first, so a typo is named as one."""
    number = _checked(pii.id_number_validate, raw).number
    found = grid_selectors.residents_visible_to(user, id_number=number)
    if editable is not None:
        found = found.filter(grid_id__in=editable)
    resident = found.first()
    if resident is None:
        raise forms.ValidationError(_NO_SUCH_RESIDENT)
    return resident


class OccupancyForm(forms.Form):
    """A resident moves into a house (places.services.occupancy_start). The resident and the landlord are
    named by ID number: the resident of the administrator's grids, the landlord of any grid they see."""

    id_number = forms.CharField(max_length=18, strip=True)
    relation = forms.ChoiceField(choices=Occupancy.Relation.choices)
    population = forms.ChoiceField(choices=Occupancy.Population.choices)
    is_tenant = forms.BooleanField(required=False)
    landlord_id_number = forms.CharField(max_length=18, required=False, strip=True)
    since = forms.CharField()

    def __init__(self, *args, user, editable: set[int] | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.editable = editable

    def clean_id_number(self) -> Resident:
        return _resident_by_id_number(self.user, self.cleaned_data["id_number"], self.editable)

    def clean_landlord_id_number(self) -> Resident | None:
        raw = self.cleaned_data["landlord_id_number"]
        if not raw:
            return None
        return _resident_by_id_number(self.user, raw, None)

    def clean_since(self) -> date:
        return _date(self.cleaned_data["since"])

    def start_arguments(self) -> dict:
        """The keyword arguments of places.services.occupancy_start (without actor and house)."""
        data = self.cleaned_data
        return {
            "resident": data["id_number"],
            "since": data["since"],
            "relation": data["relation"],
            "population": data["population"],
            "is_tenant": data["is_tenant"],
            "landlord": data["landlord_id_number"],
        }


class OccupancyEndForm(forms.Form):
    """The resident moved out of the house (places.services.occupancy_end) on `until`."""

    until = forms.CharField()

    def clean_until(self) -> date:
        return _date(self.cleaned_data["until"])


class UnmatchedResolveForm(forms.Form):
    """Link a resident whose address matched no house to the house a typed address names, or dismiss."""

    action = forms.ChoiceField(choices=[("link", "link"), ("dismiss", "dismiss")])
    address = forms.CharField(max_length=300, required=False)
    relation = forms.ChoiceField(choices=Occupancy.Relation.choices, required=False)
    population = forms.ChoiceField(choices=Occupancy.Population.choices, required=False)
    since = forms.CharField(required=False)

    def clean(self):
        data = super().clean()
        if data.get("action") != "link":
            return data
        for name in ("address", "relation", "population", "since"):
            if not data.get(name) and name not in self.errors:
                self.add_error(name, forms.Field.default_error_messages["required"])
        if data.get("since") and "since" not in self.errors:
            try:
                data["since"] = _date(data["since"])
            except forms.ValidationError as exc:
                self.add_error("since", exc)
        return data
