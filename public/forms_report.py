"""Forms of the public report page: the report itself, the point the page asks about as it fills (where,
nearby), and a "me too"."""

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cases.forms import MultipleImageField, MultipleImageInput
from cases.models import Category
from cases.selectors import active_minor_categories, categories_minor
from cases.ui import category_label

from .reporting import MAX_ADDRESS, MAX_DESCRIPTION, MAX_NAME, MAX_PHOTOS

LOCATION_MISSING = _(
    "Choose where the problem is: use your position, tap the map, search a place, or type the coordinates."
)
CATEGORY_UNKNOWN = _("Choose a category from the list.")


def _category_by_code(code: str) -> Category | None:
    code = (code or "").strip()
    if not code or len(code) > 12 or not code.isascii():
        return None
    return active_minor_categories.get().get(code)


# The picker's glyph of each major class (national codes: 01–06 components, 21–26 events), drawn in
# templates/public/_report_icons.html; another class takes its kind's.
MAJOR_ICONS = {
    "01": "utility",
    "02": "road",
    "03": "bin",
    "04": "tree",
    "05": "house",
    "06": "box",
    "21": "broom",
    "22": "poster",
    "23": "cone",
    "24": "alert",
    "25": "stall",
    "26": "scale",
}
KIND_ICONS = {Category.Kind.COMPONENT: "box", Category.Kind.EVENT: "alert"}


def category_groups(chosen: str = "") -> list[dict]:
    """Active minor categories under their major class, in the page language, for the picker:
    [{"code", "label", "icon", "open", "minors": [{"code", "label", "other"}]}] ("other": the name in the
    other language, so the filter finds 井盖 on the English page and "manhole" on the Chinese one; "open":
    the group holds the `chosen` code)."""
    language = get_language() or ""
    english = language.startswith("en")
    groups: dict[int, dict] = {}
    for minor in categories_minor().order_by("parent__code", "code"):
        major = minor.parent
        group = groups.setdefault(
            major.pk,
            {
                "code": major.code,
                "label": category_label(major, language),
                "icon": MAJOR_ICONS.get(major.code) or KIND_ICONS.get(major.kind, "box"),
                "open": False,
                "minors": [],
            },
        )
        group["open"] = group["open"] or minor.code == chosen
        other = minor.name if english else minor.name_en
        group["minors"].append({"code": minor.code, "label": category_label(minor, language), "other": other})
    return list(groups.values())


class PublicReportForm(forms.Form):
    """Where (a point), what (a category by code), the description, up to three photos; optional name,
    address and contact; whether to hear how it goes."""

    # Not required one by one: a missing point is one message (clean), not "required" twice.
    lat = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90, required=False)
    lng = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180, required=False)
    category = forms.CharField(label=_("Category"), max_length=12, required=False)
    description = forms.CharField(
        label=_("What is wrong?"),
        max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    photos = MultipleImageField(
        label=_("Photos (optional)"),
        required=False,
        widget=MultipleImageInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
    )
    address = forms.CharField(
        label=_("Address or landmark (optional)"), max_length=MAX_ADDRESS, required=False
    )
    name = forms.CharField(label=_("Your name (optional)"), max_length=MAX_NAME, required=False)
    contact = forms.CharField(label=_("Phone or e-mail (optional)"), max_length=100, required=False)
    wants_updates = forms.BooleanField(label=_("Send me updates on this case"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("lat", "lng"):
            self.fields[name].widget.attrs.update(
                {"step": "any", "inputmode": "decimal", "autocomplete": "off"}
            )
        self.fields["description"].widget.attrs.update({"maxlength": MAX_DESCRIPTION})
        self.fields["name"].widget.attrs.update({"autocomplete": "name"})
        self.fields["contact"].widget.attrs.update({"autocomplete": "tel", "inputmode": "email"})

    def clean_category(self) -> Category | None:
        code = self.cleaned_data["category"]
        if not code:
            raise forms.ValidationError(_("Choose a category."), code="required")
        category = _category_by_code(code)
        if category is None:
            raise forms.ValidationError(CATEGORY_UNKNOWN, code="invalid")
        return category

    def clean_photos(self) -> list:
        photos = self.cleaned_data["photos"]
        if len(photos) > MAX_PHOTOS:
            raise forms.ValidationError(
                _("At most %(n)s photos per report.") % {"n": MAX_PHOTOS}, code="too_many"
            )
        return photos

    def clean(self) -> dict:
        data = super().clean()
        missing = [name for name in ("lat", "lng") if data.get(name) is None and not self.has_error(name)]
        if missing:
            self.add_error(
                "lat" if len(missing) == 2 else missing[0],
                forms.ValidationError(LOCATION_MISSING, code="location_missing"),
            )
        return data

    @property
    def category_code(self) -> str:
        """The code the page shows as chosen (what was sent, even when refused)."""
        if self.is_bound:
            return (self.data.get("category") or "")[:12]
        return str(self.initial.get("category") or "")


class PointForm(forms.Form):
    """?lat=&lng= (and &category=) of the page's questions as it fills: where, nearby."""

    lat = forms.FloatField(min_value=-90, max_value=90)
    lng = forms.FloatField(min_value=-180, max_value=180)
    category = forms.CharField(max_length=12, required=False)

    def clean_category(self) -> Category | None:
        code = self.cleaned_data["category"]
        if not code:
            return None
        category = _category_by_code(code)
        if category is None:
            raise forms.ValidationError(CATEGORY_UNKNOWN, code="invalid")
        return category


class SupportForm(forms.Form):
    contact = forms.CharField(label=_("Phone or e-mail (optional)"), max_length=100, required=False)
