"""The organisation form (实有单位): each field checked on its own with the services' checks, so a form with
several mistakes says all of them at once; what only the service can refuse (a credit code registered
already, a grid that is not the user's) comes after, at its field.

The place is an address of the base data (the organisation then sits at that house or building, on its
point) or, for an address the base data does not hold, a point tapped on the map or typed in.
Personal fields (legal representative, contact) are never shown back: on the edit form an empty one keeps
the stored value.
"""

from datetime import date

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy

from gridmgmt.errors import DomainError, InvalidInput
from gridmgmt.messages import Message
from gridmgmt.text import text_check
from grids import pii

from . import codes, selectors, services
from .models import Building, House, Organisation

_said = lazy(lambda template, **params: str(Message(template, **params)), str)

NAME_REQUIRED = _said(gettext_noop("enter the name of the organisation"))
KIND_REQUIRED = _said(gettext_noop("choose the type of organisation"))
ADDRESS_REQUIRED = _said(gettext_noop("an address is required"))
NOT_A_DATE = _said(gettext_noop("the next inspection date must be a date (YYYY-MM-DD)"))
NOT_A_COUNT = _said(gettext_noop("the number of employees must be a whole number from 0 to 1000000"))
UNKNOWN_RISK = _said(gettext_noop("choose risk tags from the list"))
# Said under the address when it names nothing of the base data and no point was given.
POINT_WANTED = _said(
    gettext_noop(
        "for an address outside the base data, tap the organisation's place on the map or type its "
        "coordinates"
    )
)
HALF_A_POINT = _said(gettext_noop("give both latitude and longitude, or neither"))

PII_FIELDS = ("legal_representative", "contact_name", "contact_phone")
_THE_NAME = pgettext_lazy("of an organisation or a facility", "the name")


def checked(check, value):
    """A service check as a form check: its refusal becomes the field's error, in the page language."""
    try:
        return check(value)
    except DomainError as exc:
        raise forms.ValidationError(exc.localized()) from None


def _person_name(value: str, *, label) -> str:
    text = value.strip()
    text_check(text, what=label, field="")
    if len(text) > 50:
        raise InvalidInput(gettext_noop("%(what)s has at most %(n)s characters"), what=label, n=50)
    return text


class OrganisationForm(forms.Form):
    """Register (organisation=None) or edit an organisation; `save_arguments()` gives what
    places.services.organisation_save takes."""

    name = forms.CharField(required=False, strip=False)
    credit_code = forms.CharField(required=False, strip=False)
    kind = forms.ChoiceField(choices=Organisation.Kind.choices, required=False)
    address = forms.CharField(required=False, strip=False)
    lat = forms.CharField(required=False)
    lng = forms.CharField(required=False)
    legal_representative = forms.CharField(required=False, strip=False)
    contact_name = forms.CharField(required=False, strip=False)
    contact_phone = forms.CharField(required=False, strip=False)
    clear_legal_representative = forms.BooleanField(required=False)
    clear_contact_name = forms.BooleanField(required=False)
    clear_contact_phone = forms.BooleanField(required=False)
    employees = forms.CharField(required=False)
    risk_tags = forms.MultipleChoiceField(choices=Organisation.Risk.choices, required=False)
    next_inspection_on = forms.CharField(required=False)

    def __init__(self, *args, organisation: Organisation | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.place = None  # a house or a building of the base data, found from the address
        self.point_grid = None  # the grid the typed or tapped point lies in
        self.fields["kind"].error_messages.update(invalid_choice=KIND_REQUIRED)
        self.fields["risk_tags"].error_messages.update(invalid_choice=UNKNOWN_RISK)

    # --- one field at a time ---

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        checked(lambda v: text_check(v, what=_THE_NAME, field="name"), name)
        if not name:
            raise forms.ValidationError(NAME_REQUIRED)
        if len(name) > 100:
            raise forms.ValidationError(
                _said(
                    gettext_noop("%(what)s has at most %(n)s characters"),
                    what=_THE_NAME,
                    n=100,
                )
            )
        return name

    def clean_credit_code(self) -> str:
        return checked(codes.credit_code_validate, self.cleaned_data["credit_code"])

    def clean_kind(self) -> str:
        if not self.cleaned_data["kind"]:
            raise forms.ValidationError(KIND_REQUIRED)
        return self.cleaned_data["kind"]

    def clean_address(self) -> str:
        address = self.cleaned_data["address"].strip()
        checked(lambda v: text_check(v, what=gettext_lazy("the address"), field="address"), address)
        if not address:
            raise forms.ValidationError(ADDRESS_REQUIRED)
        if len(address) > 240:
            raise forms.ValidationError(
                _said(
                    gettext_noop("%(what)s has at most %(n)s characters"),
                    what=gettext_lazy("the address"),
                    n=240,
                )
            )
        return address

    def _pii(self, field: str, check):
        """None keeps the stored value (an empty field on the edit form, unless "remove" is ticked)."""
        raw = self.cleaned_data[field]
        if self.organisation is not None and not raw.strip():
            return "" if self.data.get(f"clear_{field}") else None
        return checked(check, raw)

    def clean_legal_representative(self) -> str | None:
        label = gettext_lazy("the legal representative")
        return self._pii("legal_representative", lambda v: _person_name(v, label=label))

    def clean_contact_name(self) -> str | None:
        label = gettext_lazy("the contact")
        return self._pii("contact_name", lambda v: _person_name(v, label=label))

    def clean_contact_phone(self) -> str | None:
        return self._pii("contact_phone", pii.phone_validate)

    def clean_employees(self) -> int:
        raw = self.cleaned_data["employees"].strip()
        if not raw:
            return 0
        if not (raw.isascii() and raw.isdigit()) or int(raw) > 1_000_000:
            raise forms.ValidationError(NOT_A_COUNT)
        return int(raw)

    def clean_next_inspection_on(self) -> date | None:
        raw = self.cleaned_data["next_inspection_on"].strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise forms.ValidationError(NOT_A_DATE) from None

    # --- the place: an address of the base data, or a point ---

    def clean(self):
        data = super().clean()
        lat, lng = (self.data.get(key, "").strip() for key in ("lat", "lng"))
        if bool(lat) != bool(lng):
            self.add_error("lat", HALF_A_POINT)
            return data
        address = data.get("address")
        if not address:
            return data
        try:
            located = selectors.address_locate(address)
        except InvalidInput as exc:
            if not lat:
                self.add_error("address", exc.localized())
                self.add_error("address", POINT_WANTED)
                return data
        else:
            self.place = located.house or located.building
            return data
        try:
            _lat, _lng, self.point_grid = services.locate_in_grid(lat, lng)
        except DomainError as exc:
            self.add_error("lat", exc.localized())
        return data

    def save_arguments(self) -> dict:
        """Keyword arguments for places.services.organisation_save (actor and organisation aside)."""
        data = self.cleaned_data
        place = self.place
        arguments = {
            "name": data["name"],
            "credit_code": data["credit_code"],
            "kind": data["kind"],
            "address": data["address"],
            "house": place if isinstance(place, House) else None,
            "building": place if isinstance(place, Building) else None,
            # A place of the base data puts the organisation on its building's point.
            "lat": None if place is not None else self.data.get("lat", "").strip(),
            "lng": None if place is not None else self.data.get("lng", "").strip(),
            "employees": data["employees"],
            "risk_tags": data["risk_tags"],
            "next_inspection_on": data["next_inspection_on"],
        }
        for field in PII_FIELDS:
            arguments[field] = data[field]
        return arguments
