"""Forms of the case pages: the report form (a grid administrator's or a resident's) and the case search."""

import re

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from departments.models import Department
from grids.models import Jurisdiction

from .models import CaseState, Category
from .selectors import categories_minor
from .ui import STATE_LABELS, category_label


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several photos in one input; each is checked by cases.photos when the service runs."""

    widget = MultipleImageInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(MultipleImageField, self).clean(f, initial) for f in files]


def category_choices(categories=None) -> list:
    """Minor classes grouped under their major class: [(major label, [(id, "code name"), …]), …]."""
    language = get_language()
    groups: dict[int, tuple[str, list]] = {}
    for minor in categories if categories is not None else categories_minor().order_by("code"):
        major = minor.parent
        label = f"{major.code} {category_label(major, language)}"
        groups.setdefault(major.pk, (label, []))[1].append(
            (minor.pk, f"{minor.code} {category_label(minor, language)}")
        )
    return [("", _("Choose a category"))] + [group for _, group in sorted(groups.items())]


class ReportForm(forms.Form):
    """Location (GPS, a tap on the map, or typed in), category, description and photos of a new case."""

    lat = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90)
    lng = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180)
    category = forms.TypedChoiceField(label=_("Category"), coerce=int)
    description = forms.CharField(
        label=_("What is wrong?"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    address = forms.CharField(label=_("Address or landmark (optional)"), max_length=200, required=False)
    photos = MultipleImageField(
        label=_("Photos"),
        required=False,
        widget=MultipleImageInput(attrs={"accept": "image/*", "capture": "environment"}),
    )

    def __init__(self, *args, categories=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._categories = list(categories if categories is not None else categories_minor().order_by("code"))
        self.fields["category"].choices = category_choices(self._categories)
        self.fields["lat"].widget.attrs.update({"step": "any", "inputmode": "decimal"})
        self.fields["lng"].widget.attrs.update({"step": "any", "inputmode": "decimal"})

    def clean_category(self) -> Category:
        pk = self.cleaned_data["category"]
        for category in self._categories:
            if category.pk == pk:
                return category
        raise forms.ValidationError(_("Choose a category from the list."))


# Ids and versions sent back by pages (hidden fields, queue checkboxes): parsed by form fields, so that
# anything else (superscript digits, numbers past the database's range) is a refusal, not a crash.
MAX_ID = 2**63 - 1
MAX_VERSION = 2**31 - 1
_CASE_REF = re.compile(r"([0-9]{1,19})(?::([0-9]{1,10}))?", re.ASCII)


class CaseActionForm(forms.Form):
    """The parsed fields a workflow action on the case page carries besides its texts and photos (which the
    services check): the version the page showed, and a department to dispatch to."""

    version = forms.IntegerField(required=False, min_value=0, max_value=MAX_VERSION)
    department = forms.ModelChoiceField(
        queryset=Department.objects.filter(is_active=True),
        required=False,
        error_messages={"invalid_choice": _("choose an active department")},
    )


class CaseRefsField(forms.Field):
    """Queue checkboxes, each "<id>:<version>" (or a bare id) → [(id, version or None), …]."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("%(value)s is not a case of the list.")}

    def to_python(self, value) -> list[tuple[int, int | None]]:
        if isinstance(value, str):  # one hidden input ("accept only this one")
            value = [value] if value else []
        refs = []
        for raw in value or ():
            match = _CASE_REF.fullmatch(raw)
            if match is None or int(match[1]) > MAX_ID or int(match[2] or 0) > MAX_VERSION:
                raise forms.ValidationError(self.error_messages["invalid"], params={"value": raw[:40]})
            refs.append((int(match[1]), int(match[2]) if match[2] else None))
        return refs


class BulkAcceptForm(forms.Form):
    cases = CaseRefsField(required=False)
    only = CaseRefsField(required=False, widget=forms.HiddenInput)

    def refs(self) -> list[tuple[int, int | None]]:
        return self.cleaned_data["only"] or self.cleaned_data["cases"]


class ReportCheckForm(forms.Form):
    """The report form's live check (grid, duplicates nearby): a field that does not parse is unknown."""

    lat = forms.FloatField(required=False, min_value=-90, max_value=90)
    lng = forms.FloatField(required=False, min_value=-180, max_value=180)
    category = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)

    def known(self, name: str):
        self.is_valid()
        return self.cleaned_data.get(name)


class CaseSearchForm(forms.Form):
    """The supervisor's (and dispatcher's) case search: number or text, state, street, category."""

    q = forms.CharField(label=_("Case number or text"), required=False, max_length=100)
    state = forms.ChoiceField(label=_("State"), required=False)
    street = forms.ChoiceField(label=_("Street"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        language = get_language()
        self.fields["state"].choices = [("", _("Any state"))] + [
            (state, STATE_LABELS[state]) for state in CaseState.values
        ]
        self.fields["street"].choices = [("", _("Any street"))] + [
            (j.code, j.name)
            for j in Jurisdiction.objects.filter(level=Jurisdiction.Level.STREET).order_by("code")
        ]
        self.fields["category"].choices = [("", _("Any category"))] + [
            (c.code, f"{c.code} {category_label(c, language)}")
            for c in Category.objects.filter(parent__isnull=True).order_by("code")
        ]
