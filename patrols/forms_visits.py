"""The forms of the visit pages: a visit (when, where the visitor stood, who was met, notes, needs one per
line), a need made a case (its category), a visit plan (supervisors). Each field is checked on its own
with the services' checks, so a form with several mistakes says all of them at once;
the service has the last word."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy, gettext_noop

from cases.forms import category_choices
from cases.selectors import categories_minor
from gridmgmt.errors import DomainError
from gridmgmt.messages import Message
from grids.models import Jurisdiction, Resident
from places.models import Organisation

from . import visits
from .models import VisitPlan

_said = lazy(lambda template, **params: str(Message(template, **params)), str)

WHEN_REQUIRED = _said(gettext_noop("say when the visit was"))
NOT_A_TIME = _said(gettext_noop("the time of the visit must be a date and time (YYYY-MM-DD HH:MM)"))
CATEGORY_REQUIRED = _said(gettext_noop("choose a category"))
DAYS_REQUIRED = _said(gettext_noop("say every how many days (1 to 366)"))
TAG_REQUIRED = _said(gettext_noop("choose a tag"))

FIELD_LABELS = {
    "visited_at": gettext_lazy("When"),
    "lat": gettext_lazy("Position"),
    "lng": gettext_lazy("Position"),
    "accuracy": gettext_lazy("Position"),
    "met": gettext_lazy("Who was met"),
    "notes": gettext_lazy("Notes"),
    "needs": gettext_lazy("Needs found"),
    "target": gettext_lazy("Whom"),
    "resident": gettext_lazy("Whom"),
    "house": gettext_lazy("Whom"),
    "category": gettext_lazy("Category"),
    "every_days": gettext_lazy("Every how many days"),
    "tag": gettext_lazy("Tag"),
    "community": gettext_lazy("Community"),
}


def _checked(check, *args):
    """A service check as a form check: its refusal becomes the field's error, in the page language."""
    try:
        return check(*args)
    except DomainError as exc:
        raise forms.ValidationError(exc.localized()) from None


def local_input(moment: dt.datetime) -> str:
    """A moment as a datetime-local input shows it (local time, to the minute)."""
    return f"{timezone.localtime(moment):%Y-%m-%dT%H:%M}"


class VisitForm(forms.Form):
    """What a visit records beside its target (which the page resolves from the ids it carries)."""

    visited_at = forms.CharField(required=False)
    lat = forms.CharField(required=False)
    lng = forms.CharField(required=False)
    accuracy = forms.CharField(required=False)
    met = forms.CharField(required=False, strip=False)
    notes = forms.CharField(required=False, strip=False)
    needs = forms.CharField(required=False, strip=False)

    def clean_visited_at(self) -> dt.datetime:
        raw = self.cleaned_data["visited_at"].strip()
        if not raw:
            raise forms.ValidationError(WHEN_REQUIRED)
        value = None
        for pattern in ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
            try:
                value = dt.datetime.strptime(raw[:19], pattern)
                break
            except ValueError:
                continue
        if value is None:
            raise forms.ValidationError(NOT_A_TIME)
        return _checked(visits.visited_at_check, timezone.make_aware(value))

    def clean_met(self) -> str:
        return _checked(
            lambda v: visits.text_clean(
                v, what=gettext_lazy("who was met"), field="met", limit=visits.MET_MAX_CHARS
            ),
            self.cleaned_data["met"],
        )

    def clean_notes(self) -> str:
        return _checked(
            lambda v: visits.text_clean(
                v, what=gettext_lazy("the notes"), field="notes", limit=visits.NOTES_MAX_CHARS
            ),
            self.cleaned_data["notes"],
        )

    def clean_needs(self) -> list[str]:
        return _checked(visits.needs_parse, self.cleaned_data["needs"])

    def clean(self):
        data = super().clean()
        try:
            data["position"] = visits.position_parse(data.get("lat"), data.get("lng"), data.get("accuracy"))
        except DomainError as exc:
            self.add_error(exc.field if exc.field in self.fields else "lat", exc.localized())
        return data


class NeedCaseForm(forms.Form):
    category = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        self.fields["category"].error_messages.update(invalid_choice=CATEGORY_REQUIRED)

    def clean_category(self):
        pk = self.cleaned_data["category"]
        category = categories_minor().filter(pk=pk).first() if pk else None
        if category is None:
            raise forms.ValidationError(CATEGORY_REQUIRED)
        return category


def plan_tag_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Tags grouped by target, each as "target:tag"."""
    return [
        (
            VisitPlan.Target.RESIDENT.label,
            [(f"resident:{code}", label) for code, label in Resident.CareTag.choices],
        ),
        (
            VisitPlan.Target.ORGANISATION.label,
            [(f"organisation:{code}", label) for code, label in Organisation.Risk.choices],
        ),
    ]


class VisitPlanForm(forms.Form):
    tag = forms.CharField(required=False)
    every_days = forms.CharField(required=False)
    community = forms.CharField(required=False)

    def clean_tag(self) -> tuple[str, str]:
        raw = self.cleaned_data["tag"]
        known = {value for _group, options in plan_tag_choices() for value, _label in options}
        if raw not in known:
            raise forms.ValidationError(TAG_REQUIRED)
        target, tag = raw.split(":", 1)
        return target, tag

    def clean_every_days(self) -> int:
        raw = self.cleaned_data["every_days"].strip()
        if not raw.isascii() or not raw.isdigit() or not (1 <= int(raw) <= visits.PLAN_MAX_DAYS):
            raise forms.ValidationError(DAYS_REQUIRED)
        return int(raw)

    def clean_community(self) -> Jurisdiction | None:
        raw = self.cleaned_data["community"].strip()
        if not raw:
            return None
        community = Jurisdiction.objects.filter(level=Jurisdiction.Level.COMMUNITY, code=raw).first()
        if community is None:
            raise forms.ValidationError(
                _said(gettext_noop("choose a community, or none for the whole district"))
            )
        return community
