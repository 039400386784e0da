"""Public reporting (the report page, its questions as it fills, the "thank you" page), "me too" on a public
case, and the proof-of-work challenge every public form fetches. public.reporting holds the rules."""

import secrets

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from shapely.geometry import Point, shape

from cases.forms import form_error_summary
from cases.models import Case
from cases.ui import RESIDENT_STATE_LABELS, category_label
from gridmgmt.errors import DomainError, InvalidInput, error_body
from grids.maps import map_config
from grids.models import Grid

from . import reporting
from .forms_report import PointForm, PublicReportForm, SupportForm, category_groups
from .guard import Throttled, challenge_issue, form_guard

# A service's field → the form's field it is shown at ("" : the summary at the top).
_REPORT_FIELDS = {
    "location": "lat",
    "category": "category",
    "description": "description",
    "photos": "photos",
    "address": "address",
    "reporter_name": "name",
    "name": "name",
    "reporter_contact": "contact",
    "contact": "contact",
}
SUPPORTER_COOKIE_AGE = 365 * 24 * 3600


def _private(response: HttpResponse) -> HttpResponse:
    """A page or answer for one browser only: kept out of caches and search engines."""
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _json_refusal(
    message: str, *, field: str | None, status: int = 400, code="invalid_input"
) -> JsonResponse:
    return JsonResponse(error_body(code, str(message), field), status=status)


def _first_error(form) -> tuple[str, str]:
    for name, errors in form.errors.items():
        return name, str(errors[0])
    return "", ""


def _point_message(form) -> JsonResponse:
    name, message = _first_error(form)
    if name == "category":
        return _json_refusal(message, field="category")
    return _json_refusal(_("Give the point as lat and lng in degrees."), field="location")


# --- the report page --------------------------------------------------------------------------------------


def _grid_centre(grid: Grid) -> tuple[float, float]:
    """A point inside the grid: the middle of its box when that lies in it, else a point of its polygon."""
    lat, lng = (grid.min_lat + grid.max_lat) / 2, (grid.min_lng + grid.max_lng) / 2
    try:
        polygon = shape(grid.boundary)
        if not polygon.contains(Point(lng, lat)):
            inside = polygon.representative_point()
            lat, lng = inside.y, inside.x
    except Exception:  # noqa: BLE001 - a boundary shapely cannot read: the box's middle will do
        pass
    return lat, lng


def _initial(request: HttpRequest) -> tuple[dict, Grid | None]:
    """?grid=<code> (a grid's poster, its page) puts the point in the grid; ?lat=&lng= (the front page's
    map) puts it there; &category=<code> chooses the category."""
    initial: dict = {}
    grid = None
    code = request.GET.get("grid", "")
    if code.isascii() and code.isdigit() and len(code) == 14:
        grid = Grid.objects.select_related("community__parent").filter(code=code).first()
        if grid is not None:
            lat, lng = _grid_centre(grid)
            initial.update(lat=round(lat, 6), lng=round(lng, 6))
    point = PointForm(request.GET)
    if point.is_valid():
        initial.update(lat=point.cleaned_data["lat"], lng=point.cleaned_data["lng"])
        if point.cleaned_data["category"] is not None:
            initial["category"] = point.cleaned_data["category"].code
    elif request.GET.get("category"):
        category = PointForm({"lat": 0, "lng": 0, "category": request.GET["category"]})
        if category.is_valid() and category.cleaned_data["category"] is not None:
            initial["category"] = category.cleaned_data["category"].code
    return initial, grid


def _words() -> dict:
    """What static/js/public_report.js says, in the page language ({…} filled in there)."""
    return {
        "locating": _("Finding your position…"),
        "noGeo": _("Your position is not available: tap the map, search a place or type the coordinates."),
        "chosen": _("Point chosen: {lat}, {lng}"),
        "asking": _("Looking up the grid…"),
        "inGrid": _("Grid {grid}"),
        "admins": _("Your grid administrator: {names}"),
        "adminPhone": _("{name}, work phone {phone}"),
        "whereFailed": _("The grid could not be looked up now: you can still send the report."),
        "searching": _("Searching…"),
        "noPlaces": _("No place of that name was found. Tap the map instead."),
        "searchFailed": _("The place search is not available now. Tap the map instead."),
        "found": _("Places found: {n}. Choose one."),
        "typeMore": _("Type at least two characters."),
        "categoriesMatch": _("{n} categories match"),
        "noCategory": _("No category matches. Try another word, or choose from the groups."),
        "chosenCategory": _("Chosen: {category}"),
        "nearbyNone": _("No open problem of this kind has been reported nearby. Go on below."),
        "nearbySome": _("Is it one of these? Say “me too” instead of reporting it again."),
        "nearbyAny": _("Open problems reported nearby:"),
        "metres": _("{n} m away"),
        "reported": _("reported {date}"),
        "supporters": _("Residents who said me too: {n}"),
        "meToo": _("Me too"),
        "view": _("View case {number}"),
        "supported": _("Thank you: your “me too” is counted ({n} in all)."),
        "supportFailed": _("Your “me too” was not sent. Try again in a moment."),
        "photosKept": _("{n} photos chosen."),
        "photosTooMany": _("At most {n} photos: only the first {n} are kept."),
        "photoResized": _("Photos are made smaller on your phone before sending."),
        "contactNeeded": _("Give a phone number or an e-mail address to get updates."),
    }


def _report_form_page(
    request: HttpRequest, form: PublicReportForm, *, grid=None, status=200, files_dropped=False
):
    where = ("#where", _("Where"))
    context = {
        "form": form,
        "errors": form_error_summary(
            form, anchors={"lat": where, "lng": where, "category": ("#category-filter", _("Category"))}
        )
        if form.is_bound
        else [],
        "files_dropped": files_dropped,
        "groups": category_groups(form.category_code),
        "chosen_category": form.category_code,
        "preset_grid": grid,
        "map_config": map_config(),
        "words": _words(),
        "max_photos": reporting.MAX_PHOTOS,
        "confirmed_email": bool(reporting.confirmed_email(reporting.reporting_user(request.user))),
    }
    return render(request, "public/report.html", context, status=status)


@require_http_methods(["GET", "POST"])
def report_page(request: HttpRequest) -> HttpResponse:
    """GET: the form (a grid or a point may be chosen by the link); POST: the report, guarded against robots
    and floods; refused, the form again with every error at its field and everything typed kept."""
    if request.method == "GET":
        initial, grid = _initial(request)
        return _report_form_page(request, PublicReportForm(initial=initial), grid=grid)
    form = PublicReportForm(request.POST, request.FILES)
    files_dropped = bool(request.FILES)
    if not form.is_valid():
        return _report_form_page(request, form, status=400, files_dropped=files_dropped)
    data = form.cleaned_data
    try:
        form_guard(request, "report")
        case = reporting.public_report(
            user=request.user,
            lat=data["lat"],
            lng=data["lng"],
            category=data["category"],
            description=data["description"],
            photos=data["photos"],
            address=data["address"],
            name=data["name"],
            contact=data["contact"],
            wants_updates=data["wants_updates"],
            language=reporting.page_language(),
        )
    except DomainError as exc:
        form.add_error(_REPORT_FIELDS.get(exc.field or "") or None, exc.localized())
        response = _report_form_page(request, form, status=exc.status, files_dropped=files_dropped)
        if isinstance(exc, Throttled):
            response["Retry-After"] = str(exc.wait_seconds)
        return response
    response = HttpResponse(status=303)
    response["Location"] = reverse("public-report-sent", kwargs={"token": reporting.sent_token(case)})
    return response


@require_GET
def report_where(request: HttpRequest) -> JsonResponse:
    """?lat=&lng=: the grid the point lies in, its community and street, and its administrators' names and
    work phones (nothing else of them); outside every grid, a sentence saying so."""
    point = PointForm(request.GET)
    if not point.is_valid():
        return _point_message(point)
    where = reporting.where_read(lat=point.cleaned_data["lat"], lng=point.cleaned_data["lng"])
    if where is None:
        return JsonResponse(
            {
                "inside": False,
                "message": _(
                    "This point is outside the city's grids: the city cannot take a report here. "
                    "Move the point into the city."
                ),
            }
        )
    grid = where.grid
    community = grid.community
    street = community.parent if community is not None else None
    return JsonResponse(
        {
            "inside": True,
            "grid": {
                "code": grid.code,
                "name": grid.name,
                "place": grid.place,
                "community": community.name if community is not None else "",
                "street": street.name if street is not None else "",
                "url": reverse("public-grid", kwargs={"code": grid.code}),
                "outline": grid.boundary,
            },
            "administrators": [{"name": a.name, "work_phone": a.work_phone} for a in where.administrators],
        }
    )


@require_GET
def report_nearby(request: HttpRequest) -> JsonResponse:
    """?lat=&lng=[&category=]: open public cases near the point, nearest first, as the public reads them."""
    point = PointForm(request.GET)
    if not point.is_valid():
        return _point_message(point)
    near = reporting.nearby_public_cases(
        lat=point.cleaned_data["lat"], lng=point.cleaned_data["lng"], category=point.cleaned_data["category"]
    )
    language = get_language()
    rows = [
        {
            "number": case.number,
            "category": category_label(case.category, language),
            "major": category_label(case.category.parent, language) if case.category.parent_id else "",
            "text": reporting.public_text(case),
            "metres": round(metres),
            "state": str(RESIDENT_STATE_LABELS.get(case.state, case.state)),
            "supporters": case.supporter_count,
            "reported": date_format(timezone.localtime(case.reported_at), "DATE_FORMAT"),
            "url": reverse("public-case", kwargs={"number": case.number}),
            "support_url": reverse("public-case-support", kwargs={"number": case.number}),
        }
        for case, metres in near
    ]
    return JsonResponse({"cases": rows, "radius": reporting.NEARBY_RADIUS_M})


@require_GET
def report_sent(request: HttpRequest, token: str) -> HttpResponse:
    """The "thank you" after a report: its number and what happens next (only the reporter's browser holds
    the signed link)."""
    case = reporting.sent_case(token)
    if case is None:
        raise Http404
    language = get_language()
    context = {
        "case": case,
        "category": " › ".join(
            name
            for name in (
                category_label(case.category.parent, language),
                category_label(case.category, language),
            )
            if name
        ),
        "place": case.grid.place if case.grid_id else "",
        "state_label": RESIDENT_STATE_LABELS.get(case.state, case.state),
        "follows": case.followers.filter(kind="reporter", is_active=True).exists(),
    }
    response = render(request, "public/report_sent.html", context)
    response["Referrer-Policy"] = "no-referrer"
    return _private(response)


@require_GET
def challenge(request: HttpRequest) -> JsonResponse:
    """A fresh proof-of-work challenge for static/js/pow.js; never cached (each is good for one message)."""
    response = JsonResponse(challenge_issue())
    response["Cache-Control"] = "no-store"
    return response


# --- me too -------------------------------------------------------------------------------------------------


def _supportable(number: str) -> Case:
    if not (number.isascii() and number.isdigit() and len(number) <= 20):
        raise Http404
    case = Case.objects.filter(number=number, is_public=True).first()
    if case is None:
        raise Http404  # a hidden case reads like a number that does not exist
    return case


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_POST
def case_support(request: HttpRequest, number: str) -> HttpResponse:
    """ "Me too" on an open public case (guarded like every public form), once per account, contact or
    browser. From the page's script: JSON with the new count; from a plain form: back to the case page."""
    case = _supportable(number)
    browser_id = request.get_signed_cookie(
        reporting.SUPPORTER_COOKIE, default="", salt=reporting.SUPPORTER_SALT, max_age=SUPPORTER_COOKIE_AGE
    )
    new_browser = not browser_id or len(browser_id) > 64
    if new_browser:
        browser_id = secrets.token_urlsafe(18)
    form = SupportForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidInput(
                gettext_noop("a contact is a phone number or an e-mail address of at most 100 characters"),
                field="contact",
            )
        form_guard(request, "support")
        saved = reporting.case_support(
            case=case,
            user=request.user,
            fingerprint=reporting.browser_fingerprint(browser_id),
            contact=form.cleaned_data["contact"],
            language=reporting.page_language(),
        )
    except DomainError as exc:
        if _wants_json(request):
            response = _json_refusal(exc.localized(), field=exc.field, status=exc.status, code=exc.code)
        else:
            context = {
                "case": case,
                "message": exc.localized(),
                "contact": form.data.get("contact", "")[:100],
            }
            response = render(request, "public/_report_support.html", context, status=exc.status)
        if isinstance(exc, Throttled):
            response["Retry-After"] = str(exc.wait_seconds)
    else:
        if _wants_json(request):
            response = JsonResponse(
                {
                    "supporters": saved.supporter_count,
                    "message": _("Thank you: your “me too” is counted (%(n)s in all).")
                    % {"n": saved.supporter_count},
                }
            )
        else:
            response = HttpResponse(status=303)
            response["Location"] = (
                reverse("public-case", kwargs={"number": case.number}) + "?supported=1#me-too"
            )
    if new_browser:
        response.set_signed_cookie(
            reporting.SUPPORTER_COOKIE,
            browser_id,
            salt=reporting.SUPPORTER_SALT,
            max_age=SUPPORTER_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return _private(response)
