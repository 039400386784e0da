"""The city facility form (部件): class, position, name, address, owner, maintaining department, state.

Each field is checked on its own, with the services' checks, so every mistake is said at once; a facility
keeps its class once registered (its code says it), so the edit form shows the class and does not ask.
"""

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy

from departments.models import Department
from gridmgmt.errors import DomainError
from gridmgmt.messages import Message
from gridmgmt.text import text_check

from . import services
from .models import Facility, FacilityClass

_said = lazy(lambda template, **params: str(Message(template, **params)), str)

CLASS_REQUIRED = _said(gettext_noop("choose the class of the facility"))
LOCATION_REQUIRED = _said(gettext_noop("tap the facility's place on the map or type its coordinates"))
HALF_A_POINT = _said(gettext_noop("give both latitude and longitude, or neither"))
STATE_REQUIRED = _said(gettext_noop("choose the state the facility was found in"))
DEPARTMENT_UNKNOWN = _said(gettext_noop("choose a department from the list"))


def _checked(check, value):
    try:
        return check(value)
    except DomainError as exc:
        raise forms.ValidationError(exc.localized()) from None


def _text(value: str, *, label, max_length: int) -> str:
    text = value.strip()
    _checked(lambda v: text_check(v, what=label, field=""), text)
    if len(text) > max_length:
        raise forms.ValidationError(
            _said(gettext_noop("%(what)s has at most %(n)s characters"), what=label, n=max_length)
        )
    return text


class FacilityForm(forms.Form):
    """Register (facility=None) or edit a facility; `save_arguments()` gives what
    places.services.facility_save takes."""

    facility_class = forms.CharField(required=False)
    photo = forms.FileField(required=False)  # checked by places.services.photo_check when saved
    lat = forms.CharField(required=False)
    lng = forms.CharField(required=False)
    name = forms.CharField(required=False, strip=False)
    address = forms.CharField(required=False, strip=False)
    owner = forms.CharField(required=False, strip=False)
    department = forms.CharField(required=False)
    state = forms.ChoiceField(choices=Facility.State.choices, required=False)

    def __init__(self, *args, departments, facility: Facility | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.facility = facility
        self.departments = {department.code: department for department in departments}
        self.fields["state"].error_messages.update(invalid_choice=STATE_REQUIRED)

    def clean_facility_class(self) -> FacilityClass:
        if self.facility is not None:
            return self.facility.facility_class  # kept: the code names it
        code = self.cleaned_data["facility_class"].strip()
        if not code:
            raise forms.ValidationError(CLASS_REQUIRED)
        return _checked(services.facility_class_get, code)

    def clean_name(self) -> str:
        return _text(
            self.cleaned_data["name"],
            label=pgettext_lazy("of an organisation or a facility", "the name"),
            max_length=100,
        )

    def clean_address(self) -> str:
        return _text(self.cleaned_data["address"], label=gettext_lazy("the address"), max_length=240)

    def clean_owner(self) -> str:
        return _text(self.cleaned_data["owner"], label=gettext_lazy("the owning unit"), max_length=100)

    def clean_department(self) -> Department | None:
        code = self.cleaned_data["department"].strip()
        if not code:
            return None
        if code not in self.departments:
            raise forms.ValidationError(DEPARTMENT_UNKNOWN)
        return self.departments[code]

    def clean_state(self) -> str:
        if not self.cleaned_data["state"]:
            raise forms.ValidationError(STATE_REQUIRED)
        return self.cleaned_data["state"]

    def clean(self):
        data = super().clean()
        lat, lng = (self.data.get(key, "").strip() for key in ("lat", "lng"))
        if not lat and not lng:
            self.add_error("lat", LOCATION_REQUIRED)
        elif not lat or not lng:
            self.add_error("lat", HALF_A_POINT)
        else:
            try:
                data["lat"], data["lng"], self.grid = services.locate_in_grid(lat, lng)
            except DomainError as exc:
                self.add_error("lat", exc.localized())
        return data

    def save_arguments(self) -> dict:
        """Keyword arguments for places.services.facility_save (actor and facility aside)."""
        data = self.cleaned_data
        keys = ("facility_class", "lat", "lng", "name", "address", "owner", "department", "state")
        return {key: data[key] for key in keys}
