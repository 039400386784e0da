"""Forms of the case pages: the report form (a grid administrator's or a resident's) and the case search."""

import re

from django import forms
from django.contrib.auth import get_user_model
from django.utils.functional import lazy
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext_lazy as _

from departments.models import Department
from gridmgmt.errors import InvalidInput
from gridmgmt.messages import Message
from gridmgmt.roles import Role
from grids.models import Jurisdiction

from .evidence import position_parse, taken_at_parse
from .models import Case, CaseState, Category
from .selectors import categories_minor
from .services import MAX_EXTENSION_MINUTES, MAX_TEXT
from .ui import STATE_LABELS, category_label
from .words import FIELD_WORDS


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


LOCATION_MISSING = _("Tap the map or use “my location” to set where the problem is.")


class ReportForm(forms.Form):
    """Location (GPS, a tap on the map, an address found, or typed in), or a facility the case is about;
    category, description and photos of a new case."""

    # Not required one by one: a missing location is one message (clean), not "required" twice.
    lat = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90, required=False)
    lng = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180, required=False)
    # A facility (部件) brings its own point and category: the service takes both from it.
    facility = forms.CharField(
        label=_("Facility code (optional)"),
        max_length=40,
        required=False,
        help_text=_("The 16 digits on the facility, or tap a facility on the map."),
    )
    # Required unless a facility is named (clean); empty is "" for the choice field.
    category = forms.TypedChoiceField(label=_("Category"), coerce=int, required=False)
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
        self.fields["facility"].widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "off", "aria-describedby": "id_facility_help"}
        )

    def clean_category(self) -> Category | None:
        pk = self.cleaned_data["category"]
        if pk in (None, ""):
            return None
        for category in self._categories:
            if category.pk == pk:
                return category
        raise forms.ValidationError(_("Choose a category from the list."))

    def clean_facility(self) -> str:
        # Spaces and dashes people type between the digit groups; the service reads the code itself.
        return self.cleaned_data["facility"].strip()

    def clean(self) -> dict:
        data = super().clean()
        if data.get("facility"):
            return data  # the facility's point and (unless chosen) its class's category
        if data.get("category") is None and not self.has_error("category"):
            required = self.fields["category"].error_messages["required"]
            self.add_error("category", forms.ValidationError(required, code="required"))
        # A coordinate typed wrong has its own message already; one missing says what to do, once, at the map.
        missing = [name for name in ("lat", "lng") if data.get(name) is None and not self.has_error(name)]
        if missing:
            self.add_error(
                "lat" if len(missing) == 2 else missing[0],
                forms.ValidationError(LOCATION_MISSING, code="location_missing"),
            )
        return data

    @property
    def coordinates_refused(self) -> bool:
        """A typed coordinate was refused, not merely missing: the page opens the coordinate inputs."""
        missing = self.has_error("lat", "location_missing") or self.has_error("lng", "location_missing")
        return not missing and (self.has_error("lat") or self.has_error("lng"))


def form_error_summary(form: forms.Form, *, anchors: dict[str, tuple[str, str]] | None = None) -> list[dict]:
    """Every error of a bound form for the summary at the top of its page: [{"href", "label", "message"}],
    each linking to its field (or to `anchors[name] = (href, label)`: the report map stands for latitude and
    longitude), a message said once even when two fields carry it."""
    anchors = anchors or {}
    summary, seen = [], set()
    for message in form.non_field_errors():
        summary.append({"href": "", "label": "", "message": message})
    for field in form:
        for message in field.errors:
            href, label = anchors.get(field.name, (f"#{field.auto_id}", field.label))
            if (href, message) not in seen:
                seen.add((href, message))
                summary.append({"href": href, "label": label, "message": message})
    return summary


# Ids and versions sent back by pages (hidden fields, queue checkboxes): parsed by form fields, so that
# anything else (superscript digits, numbers past the database's range) is a refusal, not a crash.
MAX_ID = 2**63 - 1
MAX_VERSION = 2**31 - 1
_CASE_REF = re.compile(r"([0-9]{1,19})(?::([0-9]{1,10}))?", re.ASCII)


# What each action on the case page asks for besides the version: {action: {field: required}}. Checked
# all at once here, so a form with two invalid fields says both; the services check the texts again (length,
# characters) for every other caller.
# The on-site proof a step sends beside its photos (static/js/evidence.js fills them from the device): the
# position read into `position` (a refusal of either is shown there), the first photo's time into `taken_at`.
EVIDENCE_FIELDS = {
    "lat": False,
    "lng": False,
    "accuracy": False,
    "position": False,
    "taken_at": False,
}

ACTION_FIELDS: dict[str, dict[str, bool]] = {
    "file": {"note": False},
    "file_dispatch": {"department": True, "note": False},
    "dispatch": {"department": True, "note": False},
    "reject": {"reason": True, "duplicate_of": False},
    "return": {"reason": True},
    "request_extension": {"minutes": True, "reason": True},
    "approve_extension": {"note": False},
    "deny_extension": {"reason": True},
    "suspend": {"reason": True},
    "resume": {"note": False},
    "resolve": {"notes": True, **EVIDENCE_FIELDS},
    "verify_pass": {"note": False, **EVIDENCE_FIELDS},
    "verify_fail": {"reason": True, **EVIDENCE_FIELDS},
    "verify_desk": {"reason": True},
    "delegate_verification": {"delegate": True, "reason": True},
    "publicity": {"public": False, "public_description": False, "reason": True},
    "reopen": {"reason": True},
}


# A service's sentence (gridmgmt.messages.Message) as a lazy string a form field can carry and format.
_said = lazy(lambda template, **params: str(Message(template, **params)), str)

_EXTENSION_RANGE = _said(gettext_noop("an extension is between 1 and %(n)s minutes"), n=MAX_EXTENSION_MINUTES)


class CaseActionForm(forms.Form):
    """The fields a workflow action on the case page carries besides its photos (which the services check):
    the version the page showed, and what the action asks for (ACTION_FIELDS), every one checked at once."""

    version = forms.IntegerField(required=False, min_value=0, max_value=MAX_VERSION)
    department = forms.ModelChoiceField(
        queryset=Department.objects.filter(is_active=True),
        required=False,
        error_messages={
            "required": _("choose a department"),
            "invalid_choice": _("choose an active department"),
        },
    )
    # The services' own sentences (cases.words), so a page says the same whichever check refused.
    reason = forms.CharField(
        required=False,
        max_length=MAX_TEXT,
        error_messages={"required": _said(gettext_noop("%(what)s is required"), what=FIELD_WORDS["reason"])},
    )
    notes = forms.CharField(
        required=False,
        max_length=MAX_TEXT,
        error_messages={"required": _said(gettext_noop("%(what)s is required"), what=FIELD_WORDS["notes"])},
    )
    note = forms.CharField(required=False, max_length=MAX_TEXT)
    minutes = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_EXTENSION_MINUTES,
        error_messages={
            "required": _said(gettext_noop("minutes must be a whole number")),
            "invalid": _said(gettext_noop("minutes must be a whole number")),
            "min_value": _EXTENSION_RANGE,
            "max_value": _EXTENSION_RANGE,
        },
    )
    duplicate_of = forms.CharField(required=False, max_length=20)
    # Sent by the page's script, never typed: a value it did not send is refused at `position`.
    lat = forms.CharField(required=False, max_length=40)
    lng = forms.CharField(required=False, max_length=40)
    accuracy = forms.CharField(required=False, max_length=40)
    position = forms.CharField(required=False, max_length=1)  # carries the parsed position and its error
    taken_at = forms.CharField(required=False, max_length=40)
    public = forms.BooleanField(required=False)
    public_description = forms.CharField(required=False, max_length=MAX_TEXT)
    delegate = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        error_messages={
            "required": _("choose a grid administrator"),
            "invalid_choice": _("choose an active grid administrator"),
        },
    )

    def __init__(self, *args, action: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        asks = ACTION_FIELDS.get(action, {})
        for name in list(self.fields):
            if name == "version":
                continue
            if name not in asks:
                del self.fields[name]
            else:
                self.fields[name].required = asks[name]
        if "delegate" in self.fields:
            self.fields["delegate"].queryset = delegate_candidates()

    def clean_taken_at(self):
        try:
            return taken_at_parse(self.cleaned_data["taken_at"])
        except InvalidInput as exc:
            raise forms.ValidationError(exc.localized()) from exc

    def clean(self) -> dict:
        data = super().clean()
        if "position" in self.fields:
            try:
                data["position"] = position_parse(data.get("lat"), data.get("lng"), data.get("accuracy"))
            except InvalidInput as exc:
                self.add_error("position", exc.localized())
        return data

    def clean_duplicate_of(self) -> Case | None:
        number = self.cleaned_data["duplicate_of"].strip()
        if not number:
            return None
        duplicate = Case.objects.filter(number=number).first()
        if duplicate is None:
            raise forms.ValidationError(_said(gettext_noop("there is no case %(number)s"), number=number))
        return duplicate


def delegate_candidates():
    """Who a verification may be handed to: the active grid administrators (the service checks again)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.GRID_ADMIN)
        .distinct()
        .order_by("username")
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


# The search's state choice for every open state at once (a grid profile's "open cases" links here).
STATE_OPEN = "open"


class CaseSearchForm(forms.Form):
    """The supervisor's (and dispatcher's) case search: number or text, state, street, category; a grid
    code narrows it to one grid (the grid profile's counts link to their cases so)."""

    q = forms.CharField(label=_("Case number or text"), required=False, max_length=100)
    state = forms.ChoiceField(label=_("State"), required=False)
    grid = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    street = forms.ChoiceField(label=_("Street"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    order = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[("newest", _("Newest first")), ("urgent", _("Most urgent first"))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        language = get_language()
        self.fields["state"].choices = [("", _("Any state")), (STATE_OPEN, _("Any open state"))] + [
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
