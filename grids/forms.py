"""Forms of the grid pages: the resident form.

Each field is checked on its own, with the services' own checks (grids.services, grids.pii), so a form with
several invalid fields says all of them at once; a refusal only the service can make (an ID number already
registered, a moved-in date before the birth date) comes after, at the top of the form.
"""

from datetime import date

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_noop

from gridmgmt.errors import DomainError
from gridmgmt.messages import Message

from . import pii, services
from .models import Grid, Resident


def _checked(check, value):
    """A service check as a form check: its refusal becomes the field's error, in the page language."""
    try:
        return check(value)
    except DomainError as exc:
        raise forms.ValidationError(exc.localized()) from None


# The views' own sentences (gridmgmt.messages.Message), as lazy strings form fields can carry.
_said = lazy(lambda template, **params: str(Message(template, **params)), str)
_ONE_OF_YOUR_GRIDS = _said(gettext_noop("choose one of your grids"))
_NOT_A_DATE = _said(gettext_noop("the moved-in date must be a date (YYYY-MM-DD)"))


class ResidentForm(forms.Form):
    """Register (resident=None) or edit a resident. On the edit form a blank ID number or phone keeps the
    stored one (the form never shows them in clear); `changes()` holds only what the user changed."""

    grid = forms.ChoiceField()
    name = forms.CharField(required=False, strip=False)
    id_number = forms.CharField(required=False, strip=False)
    phone = forms.CharField(required=False, strip=False)
    clear_phone = forms.BooleanField(required=False)
    address = forms.CharField(required=False, strip=False)
    household_no = forms.CharField(required=False, strip=False)
    moved_in_on = forms.CharField(required=False)
    care_tags = forms.MultipleChoiceField(required=False, choices=Resident.CareTag.choices)

    def __init__(self, *args, grids, resident: Resident | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.resident = resident
        self._grids = {grid.code: grid for grid in grids}
        self.fields["grid"].choices = [(code, grid.name) for code, grid in self._grids.items()]
        self.grids = list(self._grids.values())  # the choices the page's select shows
        self.fields["grid"].error_messages.update(
            invalid_choice=_ONE_OF_YOUR_GRIDS, required=_ONE_OF_YOUR_GRIDS
        )

    def clean_grid(self) -> Grid:
        return self._grids[self.cleaned_data["grid"]]

    def clean_name(self) -> str:
        return _checked(services.resident_name_clean, self.cleaned_data["name"])

    def clean_address(self) -> str:
        return _checked(services.resident_address_clean, self.cleaned_data["address"])

    def clean_household_no(self) -> str:
        return _checked(services.resident_household_clean, self.cleaned_data["household_no"])

    def clean_id_number(self) -> str | None:
        raw = self.cleaned_data["id_number"]
        if self.resident is not None and not raw.strip():
            return None  # keep
        self.id_info = _checked(pii.id_number_validate, raw)
        return raw

    def clean_phone(self) -> str | None:
        raw = self.cleaned_data["phone"]
        if self.resident is not None and not raw.strip() and not self.data.get("clear_phone"):
            return None  # keep
        _checked(pii.phone_validate, raw)
        return raw

    def clean_moved_in_on(self) -> date:
        try:
            return date.fromisoformat(self.cleaned_data["moved_in_on"])
        except ValueError:
            raise forms.ValidationError(_NOT_A_DATE) from None

    def changes(self) -> dict:
        """The fields for grids.services.resident_create / resident_update."""
        data = self.cleaned_data
        changes = {key: data[key] for key in ("name", "address", "household_no", "moved_in_on", "care_tags")}
        for key in ("id_number", "phone"):
            if data[key] is not None:
                changes[key] = data[key]
        if self.resident is None:
            changes["grid"] = data["grid"]
        elif data["grid"].pk != self.resident.grid_id:
            changes["grid"] = data["grid"]
        return changes
