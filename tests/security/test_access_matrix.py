"""Who reaches what: every URL of the project × GET and POST × anonymous and every persona.

The URLs come from the resolver itself, so a new page, API endpoint or Open311 resource without a row in
EXPECTED fails `test_every_url_has_an_expectation` (and its own matrix cases) until someone writes down who
may use it. Path parameters are filled with real objects of one shared world: cases of grid 1 in the
state each action needs, handled by sanitation (the `staff` persona's department), a resident of grid 1, an
import job, a photo, an Open311 request and its token. Bodies are empty: an allowed caller then gets its
answer (200, a redirect, or the 400/409 of bad input), a refused one 401/403/404/405, and nobody a 500.
"""

import io
import json
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import QueryDict
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from PIL import Image

from cases.hotline import hotline_case_report
from gridmgmt import tasking
from grids import residents_import
from open311.services import api_key_ensure_demo, request_create
from places.codes import credit_code_complete
from places.io import jobs as place_jobs
from public.models import RegistryLinkRequest, ResidentAccount
from public.reporting import sent_token

from ..cases.helpers import drive, report
from ..factories import centre, world_build
from ..grids.resident_factories import csv_bytes, id_number, resident, row
from ..patrols import factories as patrol_factories
from ..places import factories as place_factories

ANON = "anonymous"
PERSONAS = (
    ANON,
    "gridadmin",
    "other_gridadmin",
    "dispatcher",
    "staff",
    "other_staff",
    "supervisor",
    "resident",
    "outsider",
)
METHODS = ("GET", "POST")

# Parts of the URL space this matrix leaves out, and why.
EXEMPT_PREFIXES = {
    "admin/": "Django's admin: its own login for is_staff accounts, not the project's roles",
    "i18n/": "set_language: choosing the interface language is open to everyone by design",
    "media/": "uploaded files, served by Django only when DEBUG is on (django.conf.urls.static)",
    "static/": "the project's CSS and JS, public by design",
}


# --- the URL space, from the resolver -------------------------------------------------------------------


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            yield (f"{namespace}{entry.name}" if entry.name else route), route


def discovered_urls() -> dict[str, str]:
    """{url name (or route when unnamed): route} for every URL outside EXEMPT_PREFIXES."""
    found: dict[str, str] = {}
    for key, route in _walk(get_resolver().url_patterns):
        if route.lstrip("^").startswith(tuple(EXEMPT_PREFIXES)):
            continue
        assert key not in found, f"two URL patterns are named {key}: the matrix keys on names"
        found[key] = route
    return found


URLS = discovered_urls()


# --- one world for the module ---------------------------------------------------------------------------
# Hundreds of requests would otherwise each build the same district, people and cases. It is built once in a
# transaction rolled back when the module ends; every test runs in pytest-django's savepoint inside it, so
# a POST that changes something (an accepted case, a logout) is undone before the next test.


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (30, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def _png(name: str = "scene.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, _png_bytes(), content_type="image/png")


def _base_data(world) -> SimpleNamespace:
    """Grid 1's base data (tests/places/factories.grid_base_data), with the facility's photo and a base-data
    import job uploaded by grid 1's administrator."""
    built = place_factories.grid_base_data(world)
    facility = built.facility
    facility.photo.save("cover.png", ContentFile(_png_bytes()))
    lat, lng = centre(world.g1)
    upload = SimpleUploadedFile(
        "facilities.csv", f"facility_class,lat,lng\n0101,{lat},{lng}\n".encode(), content_type="text/csv"
    )
    job = place_jobs.import_job_create(actor=world.gridadmin, kind="facilities", upload=upload)
    built.job = job
    return built


def _build(world) -> SimpleNamespace:
    from cases import services

    def case_in(state: str, **report_kwargs):
        return drive(world, state, report(world, **report_kwargs))

    with tasking.suppressed():
        cases = {state: case_in(state) for state in ("reported", "filed", "dispatched", "in_progress")}
        cases["resolved"] = case_in("resolved")
        cases["pending_extension"] = case_in("in_progress")
        services.case_request_extension(
            case=cases["pending_extension"], actor=world.staff, minutes=120, reason="需要调集设备"
        )
        cases["suspended"] = case_in("dispatched")
        services.case_suspend(case=cases["suspended"], actor=world.dispatcher, reason="等待上级批复")
        cases["photo"] = case_in("dispatched", photos=[_png()])
        # A hotline call in grid 1, closed, its caller waiting to be called back.
        lat, lng = centre(world.g1)
        call = hotline_case_report(
            actor=world.dispatcher,
            caller_name="王明",
            caller_phone="13800138000",
            lat=lat,
            lng=lng,
            category=world.cats.waste,
            description="热线反映垃圾堆放",
        )
        cases["hotline"] = drive(world, "closed", call)
        key = api_key_ensure_demo()
        data = QueryDict(mutable=True)
        lat = (world.g1.min_lat + world.g1.max_lat) / 2
        lng = (world.g1.min_lng + world.g1.max_lng) / 2
        data.update({"service_code": world.cats.waste.code, "lat": str(lat), "long": str(lng)})
        _, service_request = request_create(api_key=key, data=data)
    for name, case in cases.items():
        case.refresh_from_db()
        cases[name] = case
    upload = SimpleUploadedFile("residents.csv", csv_bytes([row(world.g1.code)]), content_type="text/csv")
    job = residents_import.resident_import_job_create(actor=world.gridadmin, upload=upload, partial=False)
    places = _base_data(world)
    sessions = {}
    for persona in PERSONAS[1:]:
        client = Client()
        client.force_login(getattr(world, persona))
        sessions[persona] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return SimpleNamespace(
        world=world,
        cases=cases,
        photo=cases["photo"].photos.get(),
        resident=resident(world.g1),
        job=job,
        places=places,
        patrols=patrol_factories.patrol_world(world, places),
        service_request=service_request,
        sessions=sessions,
    )


@pytest.fixture(scope="module")
def media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("matrix-media")


@pytest.fixture(autouse=True)
def _isolated_test_settings(settings, media_root):
    """tests/conftest.py's settings, with this module's media directory: the shared world's photo lives
    there for every test (the usual per-test media directory would not have it)."""
    settings.MEDIA_ROOT = media_root
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WORK_CALENDAR_CHECK_SECONDS = 3600


@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker, media_root):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with override_settings(
                PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], MEDIA_ROOT=media_root
            ):
                built = _build(world_build())
            yield built
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


# --- path parameters: real objects of the shared world ----------------------------------------------------

_ACTION_CASES = {
    "file": "reported",
    "reject": "reported",
    "dispatch": "filed",
    "accept": "dispatched",
    "return": "dispatched",
    "request_extension": "dispatched",
    "suspend": "dispatched",
    "approve_extension": "pending_extension",
    "deny_extension": "pending_extension",
    "resume": "suspended",
    "resolve": "in_progress",
    "verify_pass": "resolved",
    "verify_fail": "resolved",
    "verify_desk": "resolved",
    "delegate_verification": "resolved",
    "callback": "hotline",
    "reopen": "hotline",  # closed
}


def _place_kwargs(places: SimpleNamespace, world) -> dict[str, dict]:
    """The base-data routes' parameters: grid 1's rows, by the web's pk and the API's id."""
    pks = {
        "building": places.building.pk,
        "house": places.house.pk,
        "occupancy": places.occupancy.pk,
        "organisation": places.organisation.pk,
        "facility": places.facility.pk,
    }
    web_names = {
        "places-building-detail": "building",
        "places-building-edit": "building",
        "places-house-create": "building",
        "places-house-detail": "house",
        "places-house-edit": "house",
        "places-occupancy-create": "house",
        "places-occupancy-end": "occupancy",
        "places-organisation-detail": "organisation",
        "places-organisation-edit": "organisation",
        "places-facility-detail": "facility",
        "places-facility-edit": "facility",
        "places-facility-photo": "facility",
    }
    api_names = {
        "api-building-detail": "building",
        "api-house-detail": "house",
        "api-house-occupancies": "house",
        "api-occupancy-end": "occupancy",
        "api-organisation-detail": "organisation",
        "api-facility-detail": "facility",
    }
    return {
        **{name: {"pk": pks[kind]} for name, kind in web_names.items()},
        **{name: {"id": str(pks[kind])} for name, kind in api_names.items()},
        "places-grid-profile": {"code": world.g1.code},
        "places-unmatched-resolve": {"pk": places.unmatched.pk},
        "places-import-job": {"pk": places.job.pk},
        "places-import-job-status": {"pk": places.job.pk},
        "places-export": {"kind": "buildings", "fmt": "csv"},
    }


def _patrol_kwargs(patrols: SimpleNamespace) -> dict[str, dict]:
    """Grid 1's administrator's patrols: the flagged one awaiting review (ended), the running one; the visit
    to grid 1's organisation and its need."""
    flagged = patrols.flagged.pk
    return {
        "patrol-detail": {"pk": flagged},
        "patrol-review": {"pk": flagged},
        "patrol-record": {"pk": patrols.running.pk},
        "visit-detail": {"pk": patrols.visit.pk},
        "visit-need-case": {"pk": patrols.need.pk},
        "api-patrol-detail": {"id": str(flagged)},
        "api-patrol-review": {"id": str(flagged)},
        "api-patrol-points": {"id": str(patrols.running.pk)},
        "api-patrol-end": {"id": str(patrols.running.pk)},
        "api-visit-detail": {"id": str(patrols.visit.pk)},
    }


def _registry_link_request(world) -> RegistryLinkRequest:
    """A pending registry link request of grid 1 (from a confirmed account matching nobody)."""
    now = timezone.now()
    user = get_user_model().objects.create_user("linking_resident")
    account = ResidentAccount.objects.create(user=user, email_confirmed_at=now, created_at=now)
    return RegistryLinkRequest.objects.create(
        account=account, grid=world.g1, id_hash="0" * 64, created_at=now
    )


def _rating_invitation(s: SimpleNamespace):
    """An unused rating link of the closed case (made directly: the hotline case gets its call back instead),
    and a dissatisfied rating of it waiting for review."""
    import datetime as dt

    from django.utils import timezone

    from public.models import CaseRating, RatingInvitation
    from public.ratings import rating_token

    case, now = s.cases["hotline"], timezone.now()
    made = {"case": case, "created_at": now, "expires_at": now + dt.timedelta(days=1)}
    invitation = RatingInvitation.objects.create(nonce=f"matrix-{RatingInvitation.objects.count()}", **made)
    used = RatingInvitation.objects.create(nonce=f"matrix-used-{invitation.pk}", used_at=now, **made)
    rating = CaseRating.objects.create(
        case=case, invitation=used, rating="dissatisfied", created_at=now, review="pending"
    )
    return rating_token(invitation), rating


def path_for(key: str, s: SimpleNamespace) -> str:
    """The URL to request for a URL name, its parameters taken from the shared world."""
    case = s.cases["dispatched"]
    number = {"number": case.number}
    resident_pk = {"pk": s.resident.pk}
    kwargs: dict = {
        "grid-partition": {"code": s.world.district.code},
        "resident-detail": resident_pk,
        "resident-edit": resident_pk,
        "resident-move-out": resident_pk,
        "resident-reveal": {**resident_pk, "field": "id_number"},
        "resident-import-job": {"pk": s.job.pk},
        "resident-import-job-status": {"pk": s.job.pk},
        "evaluation-export-indicators": {"fmt": "csv"},
        "evaluation-export-cases": {"fmt": "csv"},
        "api-resident-detail": {"id": str(s.resident.pk)},
        "api-resident-move-out": {"id": str(s.resident.pk)},
        "api-resident-reveal": {"id": str(s.resident.pk)},
        "api-case-detail": number,
        "api-case-events": number,
        "api-case-photo": {
            "number": s.cases["photo"].number,
            "photo_id": str(s.photo.pk),
            "variant": "thumb",
        },
        "case-detail": {"pk": case.pk},
        "case-receipt": {"pk": case.pk},
        "public-case": number,  # a public case (waste is public unless the dispatch center hides it)
        "public-case-support": number,  # "me too" on an open public case
        "public-report-sent": {"token": sent_token(case)},  # the reporter's signed thank-you link
        "public-email-confirm": {"token": "x"},  # a confirmation link of nobody's: refused, whoever opens it
        "public-password-reset-confirm": {"uidb64": "x", "token": "x"},  # likewise a reset link
        "public-case-follow": number,
        "public-grid-subscribe": {"code": s.world.g1.code},
        "public-unsubscribe": {"token": "x" * 43},  # a link of nobody's: not found, whoever asks
        "public-subscription-confirm": {"token": "x" * 43},
        "public-grid": {"code": s.world.g1.code},
        "public-grid-poster": {"code": s.world.g1.code},
        "public-grid-qr": {"code": s.world.g1.code},
        "case-photo": {"pk": s.cases["photo"].pk, "photo_pk": s.photo.pk, "variant": "thumb"},
        "case-action": {"pk": case.pk, "action": "accept"},
        "api-case-caller-reveal": {"number": s.cases["hotline"].number},
        **{
            name: {"pk": s.cases["hotline"].pk}
            for name in ("hotline-caller", "hotline-reveal", "hotline-callback")
        },
        "open311:discovery": {"fmt": "json"},
        "open311:services": {"fmt": "json"},
        "open311:service": {"code": s.world.cats.waste.code, "fmt": "json"},
        "open311:requests": {"fmt": "json"},
        "open311:request": {"service_request_id": s.service_request.case.number, "fmt": "json"},
        "open311:token": {"token": s.service_request.token, "fmt": "json"},
        "open311:media": {"photo_id": str(s.photo.pk)},
        **_place_kwargs(s.places, s.world),
        **_patrol_kwargs(s.patrols),
    }
    if key == "public-case-photo":  # the fix's photo of a closed public case: the one kind shown once closed
        closed = s.cases["hotline"]
        fix = closed.photos.filter(kind="evidence").first()
        return reverse(key, kwargs={"number": closed.number, "photo_id": fix.pk, "variant": "thumb"})
    if key == "public-rate":  # a reporter's signed rating link, valid and unused
        return reverse(key, kwargs={"token": _rating_invitation(s)[0]})
    if key == "rating-review-decide":  # a dissatisfied rating waiting for review
        return reverse(key, kwargs={"rating_id": _rating_invitation(s)[1].pk})
    if key == "registry-link-decide":
        return reverse(key, kwargs={"request_id": _registry_link_request(s.world).pk})
    if key == "open311:unknown":
        return "/open311/v2/no-such-resource.json"
    if key.startswith("api-case-") and key.removeprefix("api-case-") in _ACTION_CASES:
        return reverse(key, kwargs={"number": s.cases[_ACTION_CASES[key.removeprefix("api-case-")]].number})
    return reverse(key, kwargs=kwargs.get(key))


def request_as(s: SimpleNamespace, persona: str, method: str, path: str, **client_kwargs):
    client = Client(raise_request_exception=False, **client_kwargs)
    if persona != ANON:
        client.cookies[settings.SESSION_COOKIE_NAME] = s.sessions[persona]
    if method == "GET":
        return client.get(path)
    if path.startswith("/api/"):  # the API's empty body: JSON with nothing in it
        return client.post(path, data="", content_type="application/json")
    return client.post(path)  # a form's empty body: multipart with no fields


# --- the expectation table ---------------------------------------------------------------------------------
# Each URL name → method → persona → the statuses allowed. Anonymous callers are sent to the login page
# (302) by the web and get 401 from the API; denied personas get exactly the 403 or 404 the view decides on
# (404 where existence itself is not to be revealed). An allowed caller's empty POST may be done (200/201,
# a redirect) or refused for its input or the case's state (400/409): any of them proves access, and which
# one is the business of the feature's own tests.

ROLES = frozenset(PERSONAS[1:])
GRIDADMINS = {"gridadmin", "other_gridadmin"}
CENTRE = {"dispatcher", "supervisor"}  # the dispatch centre and supervisors: read everything
REPORTERS = {"gridadmin", "other_gridadmin", "dispatcher", "resident"}
STAFF = {"staff", "other_staff"}
# Who sees the cases of grid 1 handled by sanitation: its administrator, the centre, sanitation's staff.
CASE_VIEWERS = {"gridadmin", "dispatcher", "staff", "supervisor"}
WRITE = frozenset({200, 201, 302, 400, 409})


def _statuses(value) -> frozenset[int]:
    return frozenset({value}) if isinstance(value, int) else frozenset(value)


def everyone(status) -> dict[str, frozenset[int]]:
    """The same answer for every caller, anonymous included (public endpoints, or a method nobody has)."""
    return {persona: _statuses(status) for persona in PERSONAS}


def web(allowed, ok, denied=403) -> dict[str, frozenset[int]]:
    """A login-only page: anonymous → the login page; `allowed` personas → `ok`; the rest → `denied`."""
    table = {persona: _statuses(ok if persona in allowed else denied) for persona in ROLES}
    return {ANON: frozenset({302}), **table}


def api(allowed, ok, denied=403) -> dict[str, frozenset[int]]:
    """An API endpoint: anonymous → 401; `allowed` personas → `ok`; the rest → `denied`."""
    table = {persona: _statuses(ok if persona in allowed else denied) for persona in ROLES}
    return {ANON: frozenset({401}), **table}


WEB_405 = web(ROLES, 405)  # a method the page refuses (after the login check)
API_405 = api(ROLES, 405)


# Before dispatch no department holds a case: sanitation's staff do not see it yet.
UNROUTED_VIEWERS = CASE_VIEWERS - {"staff"}


def case_action(allowed, *, api_style: bool, viewers=CASE_VIEWERS) -> dict[str, frozenset[int]]:
    """Acting on a case of grid 1 / sanitation: a caller who cannot see it gets 404, one who sees it but
    whose role never takes this action 403, the role that does gets its answer."""
    build = api if api_style else web
    return build(allowed, WRITE, denied=404) | {p: frozenset({403}) for p in viewers - set(allowed)}


def api_case_action(*allowed: str, viewers=CASE_VIEWERS) -> dict[str, dict]:
    return {"GET": API_405, "POST": case_action(allowed, api_style=True, viewers=viewers)}


def same(spec: dict) -> dict[str, dict]:
    """GET and POST answer alike (a page that does not restrict its methods: POST renders it too)."""
    return {"GET": spec, "POST": spec}


# --- base data (places): grid administrators keep their own grids' rows, the centre reads all of it,
# department staff see their department's facilities only, nobody else sees any. The shared world's rows
# lie in grid 1 (gridadmin's); its facility is sanitation's (staff's). Rows of grid 1 are hidden (404) from
# those who read base data elsewhere; a role that reads none is refused outright (403).
BASE_READERS = GRIDADMINS | CENTRE  # lists: each sees its scope
GRID1_READERS = {"gridadmin"} | CENTRE
FACILITY_READERS = GRID1_READERS | {"staff"}


def grid1_row(readers=GRID1_READERS, *, ok, hidden=("other_gridadmin",), build=None) -> dict:
    """A row of grid 1: `readers` → `ok`, `hidden` (who reads base data elsewhere) → 404, the rest → 403."""
    build = build or web
    return build(readers, ok) | {persona: frozenset({404}) for persona in hidden}


def grid1_write(*, readers=GRID1_READERS, hidden=("other_gridadmin",), api_style=False) -> dict:
    """Changing a row of grid 1: its administrator's answer; readers who may not write 403; hidden 404."""
    table = grid1_row({"gridadmin"}, ok=WRITE, hidden=hidden, build=api if api_style else web)
    return table | {persona: frozenset({403}) for persona in set(readers) - {"gridadmin"}}


def grid1_edit_page(**kwargs) -> dict[str, dict]:
    """A form on a row of grid 1: GET shows it to its administrator, POST saves (or refuses the input)."""
    get = grid1_write(**kwargs) | {"gridadmin": frozenset({200})}
    return {"GET": get, "POST": grid1_write(**kwargs)}


def create_page() -> dict[str, dict]:
    """A form creating base data: grid administrators (each in their own grids), nobody else."""
    return {"GET": web(GRIDADMINS, 200), "POST": web(GRIDADMINS, WRITE)}


def api_list(readers) -> dict[str, dict]:
    """A base-data collection: `readers` list their scope; grid administrators create (input checked)."""
    return {"GET": api(readers, 200), "POST": api(GRIDADMINS, WRITE)}


def api_detail(readers=GRID1_READERS, hidden=("other_gridadmin",)) -> dict[str, dict]:
    """One row of grid 1 (changed by PATCH, so POST is no method of it)."""
    return {"GET": grid1_row(readers, ok=200, hidden=hidden, build=api), "POST": API_405}


FACILITY_HIDDEN = ("other_gridadmin", "other_staff")

# Patrols and visits: grid administrators (each their own), the dispatch centre and supervisors read them.
PATROL_READERS = GRIDADMINS | CENTRE


def own_patrol(ok, *, build=None) -> dict:
    """Grid 1's administrator's patrol or visit: readers → `ok`, the other administrator 404, the rest 403."""
    return (build or web)(PATROL_READERS, ok) | {"other_gridadmin": frozenset({404})}


# A signed-in caller of the public sign-up and sign-in forms is sent on (to their reports, or staff home).
SIGNED_IN_SENT_ON = {persona: frozenset({302}) for persona in ROLES}

EXPECTED: dict[str, dict[str, dict[str, frozenset[int]]]] = {
    # --- operations, documentation and API login: public by design ---
    "healthz": {"GET": everyone({200, 503}), "POST": everyone(405)},  # 503 when the broker is down
    "api-schema": {"GET": everyone(200), "POST": everyone(405)},
    "api-docs": {"GET": everyone(200), "POST": everyone(405)},
    "api-token": {"GET": everyone(405), "POST": everyone(400)},  # no credentials in an empty body
    # --- the web login ---
    "login": same({ANON: frozenset({200})} | {p: frozenset({302}) for p in ROLES}),
    "logout": {"GET": everyone(405), "POST": everyone(302)},
    # --- every role's pages ---
    "home": same(web(ROLES, 200)),
    "my-reports": same(web(ROLES, 200)),  # one's own reports
    "case-search": same(web(ROLES, 200)),  # results scoped to what one may see
    "case-report": {"GET": web(REPORTERS, 200), "POST": web(REPORTERS, WRITE)},
    "case-report-check": {"GET": web(REPORTERS, 200), "POST": WEB_405},
    "verification-queue": same(web(GRIDADMINS | {"dispatcher"}, 200)),
    "department-queue": same(web(STAFF, 200)),
    "case-bulk-accept": {"GET": WEB_405, "POST": web(STAFF, WRITE)},
    "supervisor-overview": same(web(CENTRE, 200)),
    "case-detail": same(web(CASE_VIEWERS, 200, denied=404)),
    "case-receipt": same(web(CASE_VIEWERS, 200, denied=404)),
    "case-photo": {"GET": web(CASE_VIEWERS, 200, denied=404), "POST": WEB_405},
    "case-action": {"GET": WEB_405, "POST": case_action({"staff"}, api_style=False)},  # accept
    # --- dispatch centre ---
    "dispatch-queue": same(web({"dispatcher"}, 200)),
    "dispatch-queue-rows": same(web({"dispatcher"}, 200)),
    "dispatch-map": same(web(CENTRE, 200)),
    # Supervision (督办): the centre and supervisors see every level; staff their departments' cases.
    "supervision-list": same(web(CENTRE | STAFF, 200)),
    # The hotline: the dispatch centre's desk.
    "hotline-intake": {"GET": web({"dispatcher"}, 200), "POST": web({"dispatcher"}, WRITE)},
    "hotline-history": {"GET": web({"dispatcher"}, 200), "POST": WEB_405},
    # A role-level gate: whoever is not a dispatcher is refused before the case is looked at.
    "hotline-callbacks": {"GET": web({"dispatcher"}, 200), "POST": WEB_405},
    "hotline-caller": {"GET": web({"dispatcher"}, 200), "POST": WEB_405},
    "hotline-reveal": {"GET": WEB_405, "POST": web({"dispatcher"}, WRITE)},
    "hotline-callback": {"GET": WEB_405, "POST": web({"dispatcher"}, WRITE)},
    # --- evaluation: the centre reads, supervisors recompute ---
    "evaluation-dashboard": {"GET": web(CENTRE, 200), "POST": WEB_405},
    "evaluation-formulas": {"GET": web(CENTRE, 200), "POST": WEB_405},
    "evaluation-trends": {"GET": web(CENTRE, 200), "POST": WEB_405},
    "evaluation-export-indicators": {"GET": web(CENTRE, 200), "POST": WEB_405},
    "evaluation-export-cases": {"GET": web(CENTRE, 200), "POST": WEB_405},
    "evaluation-recompute": {"GET": WEB_405, "POST": web({"supervisor"}, WRITE)},
    # --- grid layer reports and workload ---
    "grid-partition-index": same(web(CENTRE, 302)),  # straight to the only district
    "grid-partition": same(web(CENTRE, 200)),
    "grid-workload": {"GET": web(GRIDADMINS | CENTRE, 200), "POST": web({"dispatcher"}, WRITE)},
    # --- resident registry: administrators of the grid; the centre sees counts only ---
    "resident-list": same(web(GRIDADMINS | CENTRE, 200)),  # the centre gets the counts page
    "resident-counts": same(web(GRIDADMINS | CENTRE, 200)),
    "resident-create": {"GET": web(GRIDADMINS, 200), "POST": web(GRIDADMINS, WRITE)},
    "resident-detail": same(web({"gridadmin"}, 200, denied=404)),
    "resident-edit": {"GET": web({"gridadmin"}, 200, denied=404), "POST": web({"gridadmin"}, WRITE, 404)},
    "resident-move-out": {"GET": WEB_405, "POST": web({"gridadmin"}, WRITE, denied=404)},
    "resident-reveal": {"GET": WEB_405, "POST": web({"gridadmin"}, 200)},  # 403 alike for absent and denied
    "resident-import": {"GET": web(GRIDADMINS, 200), "POST": web(GRIDADMINS, WRITE)},
    "resident-import-job": same(web({"gridadmin"}, 200, denied=404)),  # the uploader's own job
    "resident-import-job-status": same(web({"gridadmin"}, 200, denied=404)),
    # --- reporting helpers on the report form's map: reporters only, a GET without its point is a 400 ---
    "case-report-facilities": {"GET": web(REPORTERS, 400), "POST": WEB_405},
    "case-report-locate": {"GET": web(REPORTERS, 400), "POST": WEB_405},
    # --- base data pages (/places/) ---
    # --- patrols and visits: grid administrators patrol and visit in their grids; the centre reads all and
    # supervisors decide and plan. The shared world's patrols and visit are grid 1's administrator's.
    "patrols-today": {"GET": web(PATROL_READERS, 200), "POST": WEB_405},
    "patrol-start": {"GET": WEB_405, "POST": web(GRIDADMINS, 302)},
    "patrol-detail": {"GET": own_patrol(200), "POST": WEB_405},
    # The recording page of a patrol one may read but not record: its figures page instead (302).
    "patrol-record": {"GET": own_patrol({200, 302}), "POST": WEB_405},
    "patrol-review": {"GET": WEB_405, "POST": own_patrol(403) | {"supervisor": WRITE}},
    "patrols-overview": {"GET": web(PATROL_READERS, 200), "POST": WEB_405},
    "patrol-plans": {"GET": web(PATROL_READERS, 200), "POST": web({"supervisor"}, WRITE)},
    "visits-list": same(web(PATROL_READERS, 200)),
    "visit-new": {"GET": web(GRIDADMINS, 200), "POST": web(GRIDADMINS, WRITE)},
    "visits-overdue": same(web(PATROL_READERS, 200)),
    "visit-detail": same(own_patrol(200)),
    "visit-need-case": {"GET": WEB_405, "POST": own_patrol(403) | {"gridadmin": WRITE}},
    "visit-plans": {"GET": web(PATROL_READERS, 200), "POST": web({"supervisor"}, WRITE)},
    "places-index": same(web(BASE_READERS, 200)),
    "places-grid-profile": same(grid1_row(ok=200)),
    # Search is scoped like case-search: department staff find their department's facilities.
    "places-search": same(web(BASE_READERS | STAFF, 200)),
    "places-building-list": same(web(BASE_READERS, 200)),
    "places-building-create": create_page(),
    "places-building-detail": same(grid1_row(ok=200)),
    "places-building-edit": grid1_edit_page(),
    "places-house-create": grid1_edit_page(),  # a house of grid 1's building
    "places-house-list": same(web(BASE_READERS, 200)),
    "places-house-detail": same(grid1_row(ok=200)),
    "places-house-edit": grid1_edit_page(),
    "places-occupancy-create": grid1_edit_page(),
    "places-occupancy-end": {"GET": WEB_405, "POST": grid1_write()},
    "places-occupant-list": same(web(BASE_READERS, 200)),  # names masked
    "places-unmatched": same(web(BASE_READERS, 200)),
    "places-unmatched-resolve": {"GET": WEB_405, "POST": grid1_write()},
    "places-organisation-list": same(web(BASE_READERS, 200)),
    "places-organisation-create": create_page(),
    "places-organisation-detail": same(grid1_row(ok=200)),
    "places-organisation-edit": grid1_edit_page(),
    "places-facility-list": same(web(BASE_READERS | STAFF, 200)),  # staff: their department's
    "places-facility-create": create_page(),
    "places-facility-detail": same(grid1_row(FACILITY_READERS, ok=200, hidden=FACILITY_HIDDEN)),
    "places-facility-edit": grid1_edit_page(readers=FACILITY_READERS, hidden=FACILITY_HIDDEN),
    "places-facility-photo": {
        "GET": grid1_row(FACILITY_READERS, ok=200, hidden=FACILITY_HIDDEN),
        "POST": WEB_405,  # a file, like case-photo
    },
    # The import page also offers the exports: those who read base data (staff: their facilities) see it;
    # only grid administrators upload.
    "places-import": {"GET": web(BASE_READERS | STAFF, 200), "POST": web(GRIDADMINS, WRITE)},
    "places-import-job": same(web({"gridadmin"}, 200, denied=404)),  # the uploader's own job
    "places-import-job-status": same(web({"gridadmin"}, 200, denied=404)),
    "places-export": same(web(BASE_READERS, 200)),  # buildings.csv: each reader's scope
    # --- REST API ---
    "api-grids": {"GET": api(ROLES, 200), "POST": API_405},
    "api-grid-locate": {"GET": api(ROLES, 400), "POST": API_405},  # no point given
    "api-categories": {"GET": api(ROLES, 200), "POST": API_405},
    "api-departments": {"GET": api(ROLES, 200), "POST": API_405},
    "api-residents": {"GET": api(GRIDADMINS, 200), "POST": api(GRIDADMINS, WRITE)},
    "api-resident-counts": {"GET": api(GRIDADMINS | CENTRE, 200), "POST": API_405},
    "api-resident-detail": {
        "GET": api({"gridadmin"}, 200) | {"other_gridadmin": frozenset({404})},
        "POST": API_405,
    },
    "api-resident-move-out": {
        "GET": API_405,
        "POST": api({"gridadmin"}, WRITE) | {"other_gridadmin": frozenset({404})},
    },
    "api-resident-reveal": {"GET": API_405, "POST": api({"gridadmin"}, WRITE)},
    # Input is checked before the reporter's role: a valid report by a role that may not report is a 403
    # (test_a_valid_write_reaches_only_its_roles below).
    "api-cases": {"GET": api(ROLES, 200), "POST": api(ROLES, 400)},
    "api-case-detail": {"GET": api(CASE_VIEWERS, 200, denied=404), "POST": API_405},
    "api-case-events": {"GET": api(CASE_VIEWERS, 200, denied=404), "POST": API_405},
    "api-case-photo": {"GET": api(CASE_VIEWERS, 200, denied=404), "POST": API_405},
    "api-case-file": api_case_action("dispatcher", viewers=UNROUTED_VIEWERS),
    "api-case-reject": api_case_action("dispatcher", viewers=UNROUTED_VIEWERS),
    "api-case-dispatch": api_case_action("dispatcher", viewers=UNROUTED_VIEWERS),
    "api-case-accept": api_case_action("staff"),
    "api-case-return": api_case_action("staff"),
    "api-case-request_extension": api_case_action("staff"),
    "api-case-approve_extension": api_case_action("dispatcher"),
    "api-case-deny_extension": api_case_action("dispatcher"),
    "api-case-suspend": api_case_action("dispatcher"),
    "api-case-resume": api_case_action("dispatcher"),
    "api-case-resolve": api_case_action("staff"),
    "api-case-verify_pass": api_case_action("gridadmin"),  # on site: the grid's administrator
    "api-case-verify_fail": api_case_action("gridadmin", "dispatcher"),  # the dispatcher's is a desk decision
    "api-case-verify_desk": api_case_action("dispatcher"),
    "api-case-delegate_verification": api_case_action("gridadmin", "dispatcher"),
    # The hotline's caller: the dispatch centre's alone (others who see the case are refused).
    "api-case-callback": api_case_action("dispatcher"),
    "api-case-reopen": api_case_action("dispatcher"),
    "api-case-caller-reveal": api_case_action("dispatcher"),
    "api-hotline-cases": {"GET": API_405, "POST": api({"dispatcher"}, 400)},
    # --- REST API: base data ---
    "api-buildings": api_list(BASE_READERS),
    "api-building-detail": api_detail(),
    "api-houses": api_list(BASE_READERS),
    "api-house-detail": api_detail(),
    "api-house-occupancies": {
        "GET": grid1_row(ok=200, build=api),
        "POST": grid1_write(api_style=True),
    },
    "api-occupancy-end": {"GET": API_405, "POST": grid1_write(api_style=True)},
    "api-organisations": api_list(BASE_READERS),
    "api-organisation-detail": api_detail(),
    "api-facilities": api_list(BASE_READERS | STAFF),
    "api-facility-detail": api_detail(FACILITY_READERS, FACILITY_HIDDEN),
    "api-facility-classes": {"GET": api(ROLES, 200), "POST": API_405},  # reference data, like categories
    "api-places-locate": {"GET": api(ROLES, 400), "POST": API_405},  # the geocoder; no address given
    # --- REST API: patrols, plans and visits ---
    "api-patrols": {"GET": api(PATROL_READERS, 200), "POST": api(GRIDADMINS, {200, 201})},
    "api-patrol-detail": {"GET": own_patrol(200, build=api), "POST": API_405},
    "api-patrol-points": {"GET": API_405, "POST": own_patrol(403, build=api) | {"gridadmin": WRITE}},
    "api-patrol-end": {"GET": API_405, "POST": own_patrol(403, build=api) | {"gridadmin": WRITE}},
    "api-patrol-review": {"GET": API_405, "POST": own_patrol(403, build=api) | {"supervisor": WRITE}},
    "api-patrol-plans": {"GET": api(PATROL_READERS, 200), "POST": api({"supervisor"}, WRITE)},
    "api-patrol-states": {"GET": api(PATROL_READERS, 200), "POST": API_405},
    "api-visits": {"GET": api(PATROL_READERS, 200), "POST": api(GRIDADMINS, WRITE)},
    "api-visits-overdue": {"GET": api(PATROL_READERS, 200), "POST": API_405},
    "api-visit-detail": {"GET": own_patrol(200, build=api), "POST": API_405},
    "api-visit-plans": {"GET": api(PATROL_READERS, 200), "POST": api({"supervisor"}, WRITE)},
    # --- Open311 GeoReport v2: a public interface; creating a request needs the client's api_key ---
    "open311:root": {"GET": everyone(200), "POST": everyone(405)},
    "open311:discovery": {"GET": everyone(200), "POST": everyone(405)},
    "open311:services": {"GET": everyone(200), "POST": everyone(405)},
    "open311:service": {"GET": everyone(200), "POST": everyone(405)},
    "open311:requests": {"GET": everyone(200), "POST": everyone(403)},  # no api_key: refused for all
    "open311:request": {"GET": everyone(200), "POST": everyone(405)},
    "open311:token": {"GET": everyone(200), "POST": everyone(405)},
    "open311:media": {"GET": everyone(200), "POST": everyone(405)},  # the EXIF-free copy of a report photo
    "open311:unknown": {"GET": everyone(404), "POST": everyone(404)},
    # --- the residents' public site: no login; a case the public may read, whoever asks ---
    "public-home": {  # the public site; a staff member is sent to their home
        "GET": everyone(200) | {p: frozenset({302}) for p in ROLES - {"resident", "outsider"}},
        "POST": everyone(405),
    },
    "public-case": {"GET": everyone(200), "POST": everyone(405)},
    # reporting: the form (an empty POST: no proof of work, refused for its input), its questions as it
    # fills (no point given: a 400 saying so), the thank-you page of a signed link, the challenge, "me too"
    "public-report": {"GET": everyone(200), "POST": everyone(400)},
    "public-report-where": {"GET": everyone(400), "POST": everyone(405)},
    "public-report-nearby": {"GET": everyone(400), "POST": everyone(405)},
    "public-report-sent": {"GET": everyone(200), "POST": everyone(405)},
    "public-challenge": {"GET": everyone(200), "POST": everyone(405)},
    "public-case-support": {"GET": everyone(405), "POST": everyone(400)},
    "public-map-data": {"GET": everyone(400), "POST": everyone(405)},  # no bbox given: a 400 saying so
    "public-place-search": {"GET": everyone(200), "POST": everyone(405)},  # no text: no places
    "public-grid": {"GET": everyone(200), "POST": everyone(405)},
    "public-case-photo": {"GET": everyone(200), "POST": everyone(405)},  # an EXIF-free copy only
    # a reporter's rating link: the page for whoever holds it; an empty POST refused by the guard. The
    # review of dissatisfied ratings is the dispatch center's (an empty decision refused for its input).
    "public-rate": {"GET": everyone(200), "POST": everyone(400)},
    "rating-reviews": {"GET": web({"dispatcher"}, 200), "POST": WEB_405},
    "rating-review-decide": {"GET": WEB_405, "POST": web({"dispatcher"}, 400)},
    # resident accounts: the forms for everyone (a signed-in caller is sent on from sign-up and sign-in), an
    # empty POST refused by the form or the guard; the resident's pages need a sign-in on the public login
    # page and send staff to their home; a resident persona without an account may not ask for a link
    "public-signup": {"GET": everyone(200) | SIGNED_IN_SENT_ON, "POST": everyone(400) | SIGNED_IN_SENT_ON},
    "public-email-confirm": {"GET": everyone(400), "POST": everyone(405)},
    "public-phone-code": {"GET": everyone(200), "POST": everyone(400)},
    "public-login": {"GET": everyone(200) | SIGNED_IN_SENT_ON, "POST": everyone(400)},
    "public-logout": {"GET": everyone(405), "POST": everyone(302)},
    "public-password-reset": {"GET": everyone(200), "POST": everyone(400)},
    "public-password-reset-confirm": {"GET": everyone(400), "POST": everyone(400)},
    "public-password-reset-code": {"GET": everyone(200), "POST": everyone(400)},
    "public-my-reports": same(web({"resident", "outsider"}, 200, denied=302)),
    "public-registry-link": {
        "GET": web({"resident", "outsider"}, 200, denied=302),
        "POST": web({"resident", "outsider"}, 403, denied=302),
    },
    # the registry links queue: the administrators of the grid (others' requests are not found)
    "registry-links": {"GET": web(GRIDADMINS, 200), "POST": WEB_405},
    "registry-link-decide": {
        "GET": WEB_405,
        "POST": web({"gridadmin"}, 400) | {"other_gridadmin": frozenset({404})},
    },
    # following a case and subscribing to a grid: the form (GET), and an empty POST refused by the guard
    "public-case-follow": {"GET": everyone(200), "POST": everyone(400)},
    "public-grid-subscribe": {"GET": everyone(200), "POST": everyone(400)},
    # the links in the messages: a token is the only key (the feature's tests open real ones)
    "public-unsubscribe": {"GET": everyone(404), "POST": everyone(404)},
    "public-subscription-confirm": {"GET": everyone(404), "POST": everyone(404)},
    # a grid's poster and its QR code: the grid, its administrators' names and work phones, public by issue 19
    "public-grid-poster": {"GET": everyone(200), "POST": everyone(405)},
    "public-grid-qr": {"GET": everyone(200), "POST": everyone(405)},
}

# Residents' pages send an anonymous caller to the public site's sign-in page, not the staff's.
PUBLIC_SIGN_IN = {"public-my-reports", "public-registry-link"}

MATRIX = [
    pytest.param(key, method, persona, id=f"{key}-{method}-{persona}")
    for key in URLS
    for method in METHODS
    for persona in PERSONAS
]


def test_every_url_has_an_expectation():
    """A URL added without deciding who may use it fails here; so does a row for a URL that is gone."""
    assert sorted(set(URLS) - set(EXPECTED)) == [], "URLs without a row in EXPECTED"
    assert sorted(set(EXPECTED) - set(URLS)) == [], "rows in EXPECTED for URLs that no longer exist"
    for key, methods in EXPECTED.items():
        assert set(methods) == set(METHODS), key
        for method, table in methods.items():
            assert set(table) == set(PERSONAS), f"{key} {method}"
            assert all(500 not in allowed for allowed in table.values()), f"{key} {method}"


def test_the_matrix_covers_web_api_and_open311():
    prefixes = {route.lstrip("^").split("/", 1)[0] for route in URLS.values()}
    assert {"api", "open311", "grids", "dispatch", "evaluation", "cases", "healthz"} <= prefixes
    assert len(MATRIX) == len(URLS) * len(METHODS) * len(PERSONAS)


@pytest.mark.parametrize(("key", "method", "persona"), MATRIX)
def test_access(db, shared, key, method, persona):
    assert key in EXPECTED, f"{key} ({URLS[key]}) has no row in EXPECTED: decide who may use it"
    allowed = EXPECTED[key][method][persona]
    path = path_for(key, shared)

    response = request_as(shared, persona, method, path)

    assert response.status_code in allowed, (
        f"{persona} {method} {path} → {response.status_code}, expected one of {sorted(allowed)}"
    )
    if persona == ANON and response.status_code == 302 and key not in ("logout", "public-logout"):
        login = reverse("public-login") if key in PUBLIC_SIGN_IN else reverse("login")
        assert response["Location"].startswith(f"{login}?next="), response["Location"]


# --- valid writes: the roles that create things, with input that would be accepted ----------------------
# An empty body is refused for its input before some endpoints look at the role; these send a valid one, so
# a role that may not create (or a grid administrator aiming at someone else's grid) is refused for what
# it is, and nothing is written.


def _valid_write(key: str, s: SimpleNamespace) -> tuple[str, dict, str | None]:
    """(path, body, content type or None for a form) of a valid create."""
    g1 = s.world.g1
    lat, lng = (g1.min_lat + g1.max_lat) / 2, (g1.min_lng + g1.max_lng) / 2
    resident_body = {
        "grid": g1.code,
        "name": "王小明",
        "id_number": id_number(),
        "phone": "13800001111",
        "address": "八一大道 2 号",
        "moved_in_on": "2020-01-01",
    }
    return {
        "case-report": (
            reverse("case-report"),
            {"lat": lat, "lng": lng, "category": s.world.cats.waste.pk, "description": "垃圾堆放"},
            None,
        ),
        "api-cases": (
            reverse("api-cases"),
            {"lat": lat, "lng": lng, "category": s.world.cats.waste.code, "description": "垃圾堆放"},
            "application/json",
        ),
        "resident-create": (reverse("resident-create"), resident_body, None),
        "api-residents": (reverse("api-residents"), resident_body, "application/json"),
        **_valid_base_data_writes(s, lat, lng),
    }[key]


def _valid_base_data_writes(s: SimpleNamespace, lat: float, lng: float) -> dict[str, tuple]:
    """Base data created in grid 1: a building (page and API), a house in grid 1's building, an
    organisation and a facility at a point of grid 1."""
    building_body = {"road": "阳明路", "number": "7", "name": "2", "use": "residential", "floors": 6}
    building_body |= {"units": 2, "lat": lat, "lng": lng}
    facility_body = {"facility_class": "0101", "lat": lat, "lng": lng, "name": "阳明路井盖"}
    organisation_body = {
        "name": "阳明路副食店",
        "credit_code": credit_code_complete("91350100M00020000"),
        "kind": "shop",
        "address": "阳明路7号",
        "lat": lat,
        "lng": lng,
    }
    json_type = "application/json"
    return {
        "places-building-create": (reverse("places-building-create"), building_body, None),
        "api-buildings": (reverse("api-buildings"), building_body, json_type),
        "api-houses": (
            reverse("api-houses"),
            {"building": s.places.building.pk, "unit": 1, "room": "502", "use": "vacant"},
            json_type,
        ),
        "api-organisations": (reverse("api-organisations"), organisation_body, json_type),
        "places-facility-create": (
            reverse("places-facility-create"),
            facility_body | {"state": "intact"},
            None,
        ),
        "api-facilities": (reverse("api-facilities"), facility_body, json_type),
    }


VALID_WRITES = {
    # Reporters report; a grid administrator only in their own grids (grid 1 is not other_gridadmin's).
    "case-report": web({"gridadmin", "dispatcher", "resident"}, 302),
    "api-cases": api({"gridadmin", "dispatcher", "resident"}, 201),
    # Grid administrators register residents of their own grids; another grid's code is bad input.
    "resident-create": web({"gridadmin"}, 302) | {"other_gridadmin": frozenset({400})},
    "api-residents": api({"gridadmin"}, 201) | {"other_gridadmin": frozenset({400})},
    # Grid administrators keep their own grids' base data: grid 1's point is refused to other_gridadmin
    # (403), a building of grid 1 is one they cannot see, so a bad reference (400); the centre reads only.
    "places-building-create": web({"gridadmin"}, 302),
    "api-buildings": api({"gridadmin"}, 201),
    "api-houses": api({"gridadmin"}, 201) | {"other_gridadmin": frozenset({400})},
    "api-organisations": api({"gridadmin"}, 201),
    "places-facility-create": web({"gridadmin"}, 302),
    "api-facilities": api({"gridadmin"}, 201),
}

_WRITTEN_MODELS = {
    "case-report": "cases.Case",
    "api-cases": "cases.Case",
    "resident-create": "grids.Resident",
    "api-residents": "grids.Resident",
    "places-building-create": "places.Building",
    "api-buildings": "places.Building",
    "api-houses": "places.House",
    "api-organisations": "places.Organisation",
    "places-facility-create": "places.Facility",
    "api-facilities": "places.Facility",
}


def _rows(key: str) -> int:
    return apps.get_model(_WRITTEN_MODELS[key]).objects.count()


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", list(VALID_WRITES))
def test_a_valid_write_reaches_only_its_roles(db, shared, key, persona):
    path, body, content_type = _valid_write(key, shared)
    client = Client(raise_request_exception=False)
    if persona != ANON:
        client.cookies[settings.SESSION_COOKIE_NAME] = shared.sessions[persona]
    before = _rows(key)

    with tasking.suppressed():
        if content_type:
            response = client.post(path, data=json.dumps(body), content_type=content_type)
        else:
            response = client.post(path, body)

    allowed = VALID_WRITES[key][persona]
    assert response.status_code in allowed, f"{persona}: {response.status_code}, expected {sorted(allowed)}"
    created = persona != ANON and response.status_code in (201, 302)
    assert _rows(key) == before + (1 if created else 0)


# --- CSRF: forms and session-authenticated API calls need the token; Open311 and API tokens do not ---------


def _csrf_token(client: Client, page: str) -> str:
    client.get(page)
    return client.cookies[settings.CSRF_COOKIE_NAME].value


def test_csrf_refuses_a_login_form_posted_without_its_token(db, shared):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "staff", "password": "pw"})
    assert response.status_code == 403
    assert settings.SESSION_COOKIE_NAME not in response.cookies

    token = _csrf_token(client, reverse("login"))
    response = client.post(
        reverse("login"), {"username": "staff", "password": "pw", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_csrf_refuses_a_case_action_without_its_token(db, shared):
    case = shared.cases["dispatched"]
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.SESSION_COOKIE_NAME] = shared.sessions["staff"]
    path = reverse("case-action", kwargs={"pk": case.pk, "action": "accept"})

    assert client.post(path).status_code == 403
    case.refresh_from_db()
    assert case.state == "dispatched"

    token = _csrf_token(client, reverse("case-detail", kwargs={"pk": case.pk}))
    with tasking.suppressed():
        assert client.post(path, {"csrfmiddlewaretoken": token}).status_code == 302
    case.refresh_from_db()
    assert case.state == "in_progress"


def test_csrf_refuses_a_reveal_without_its_token_and_logs_no_reveal(db, shared):
    from grids.models import ResidentAccessLog

    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.SESSION_COOKIE_NAME] = shared.sessions["gridadmin"]
    path = reverse("resident-reveal", kwargs={"pk": shared.resident.pk, "field": "id_number"})
    before = ResidentAccessLog.objects.count()

    assert client.post(path).status_code == 403
    assert ResidentAccessLog.objects.count() == before


def test_the_api_wants_the_csrf_token_with_a_session_but_not_with_an_api_token(db, shared):
    from rest_framework.authtoken.models import Token

    case = shared.cases["dispatched"]
    path = reverse("api-case-accept", kwargs={"number": case.number})
    session = Client(enforce_csrf_checks=True)
    session.cookies[settings.SESSION_COOKIE_NAME] = shared.sessions["staff"]

    response = session.post(path, data="{}", content_type="application/json")
    assert response.status_code == 403 and "CSRF" in response.json()["error"]["message"]
    case.refresh_from_db()
    assert case.state == "dispatched"

    key = Token.objects.create(user=shared.world.staff).key
    token_client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {key}")
    with tasking.suppressed():
        assert token_client.post(path, data="{}", content_type="application/json").status_code == 200
    case.refresh_from_db()
    assert case.state == "in_progress"


def test_open311_creates_with_its_api_key_and_no_csrf_token(db, shared):
    from cases.models import Case

    g1 = shared.world.g1
    body = {
        "api_key": api_key_ensure_demo().key,
        "service_code": shared.world.cats.waste.code,
        "lat": str((g1.min_lat + g1.max_lat) / 2),
        "long": str((g1.min_lng + g1.max_lng) / 2),
    }
    before = Case.objects.count()
    with tasking.suppressed():
        response = Client(enforce_csrf_checks=True).post("/open311/v2/requests.json", body)
    assert response.status_code == 200, response.content
    assert Case.objects.count() == before + 1
