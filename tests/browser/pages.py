"""Every HTML page of every role, and what a finished page must be: the routes come from the URLconf (the
hostile harness's discovery), their path parameters are filled from the seeded demo district by parameter
name, each persona's Django test client says which pages it may open, and the checks read what Chromium
measured on each page (see MEASURE_JS) and return the problems found, one line each.

Data markers: text the user needs as it is stored (a code beside its name, a username, a formula's
variable) is exempt from the code and language checks when it sits inside an element marked
`translate="no"` (HTML's own "this is data, do not translate") or inside <code>, <kbd> or <samp>. Text
inside an element with its own `lang` (the language switcher's "English") is in the language it declares;
the map's attribution names its sources in their own words.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fnmatch import fnmatchcase
from html import unescape
from io import StringIO
from typing import NamedTuple
from urllib.parse import urljoin

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client, override_settings
from PIL import Image

from cases import services as case_services
from cases.models import OPEN_STATES, Case, CasePhoto, Category, ExtensionRequest
from departments.models import Department
from evaluation import indicators
from evaluation.patrol_indicators import PatrolFigures, PatrolTable
from evaluation.services import evaluation_materialise_nightly
from grids import residents_import
from grids.models import Grid, Jurisdiction, Resident

from ..grids.resident_factories import csv_bytes, row
from ..hostile.discovery import Route, url_routes

# --- which routes are pages --------------------------------------------------------------------------------

# Not pages a person reads: machine interfaces, the admin (Django's own), language switching, health,
# logging out, and photo files (the case page shows them).
SKIPPED_PREFIXES = ("/api/", "/open311/", "/admin/", "/i18n/", "/healthz", "/logout/")
SKIPPED_ROUTES = {
    "case-photo": "a photo file, shown on the case page",
    "places-facility-photo": "a photo file, shown on the facility page",
    "places-export": "a file download (CSV, XLSX, GeoJSON), linked from the import page",
}


def page_routes() -> list[Route]:
    """The URL patterns that may serve a page: all of them but the machine interfaces and files above."""
    return [
        route
        for route in url_routes()
        if not route.template.startswith(SKIPPED_PREFIXES) and route.name not in SKIPPED_ROUTES
    ]


# --- the seeded district -----------------------------------------------------------------------------------


@dataclass
class District:
    """The demo district as the page test needs it: the personas, and the objects pages are about."""

    personas: dict[str, object]  # role → user (None: not logged in)
    cases: dict[str, int]  # what the case shows → pk
    resident: int
    import_job: int
    area_code: str  # the district: the partition report of everything
    names: dict[str, tuple[str, str]]  # a department, grid or area code → (what it is, its name)
    places: dict[str, list] = field(default_factory=dict)  # base-data pages' objects by kind → pks (codes)
    public: dict[str, list] = field(default_factory=dict)  # the public site's personal links (_public_links)
    usernames: set[str] = field(default_factory=set)


def _png(size=(64, 48), colour=(30, 120, 200)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return SimpleUploadedFile("scene.png", buffer.getvalue(), content_type="image/png")


def district_seed(*, cases: int = 60, seed: int = 7) -> District:
    """The demo seed (every state, suspended, overdue and extension cases, residents, two months of
    history), plus what it leaves out: photos on a resident's report, an import job, stored figures."""
    with override_settings(DEBUG=True):
        call_command(
            "seed_demo", "--cases", str(cases), "--seed", str(seed), stdout=StringIO(), stderr=StringIO()
        )
    User = get_user_model()
    resident_user = User.objects.get(username="resident1")
    gridadmin = User.objects.get(username="gridadmin1")
    grid = Grid.objects.filter(assignments__user=gridadmin).order_by("code").first()
    from demo.seed import DEMO_POINT  # the demo app is there: the test is marked `demo`

    photo_case = case_services.case_report(
        actor=resident_user,
        source=Case.Source.RESIDENT,
        lat=DEMO_POINT[0],
        lng=DEMO_POINT[1],
        category=Category.objects.filter(parent__isnull=False, is_active=True).order_by("code").first(),
        description="小区门口的井盖松动，踩上去会晃。",
        photos=[_png(), _png((48, 64), (160, 90, 40))],
    )
    upload = SimpleUploadedFile("residents.csv", csv_bytes([row(grid.code)]), content_type="text/csv")
    job = residents_import.resident_import_job_create(actor=gridadmin, upload=upload, partial=False)
    evaluation_materialise_nightly()

    open_cases = Case.objects.filter(state__in=OPEN_STATES)
    running = open_cases.filter(suspended_at__isnull=True, deadline_at__isnull=False)
    if not running.filter(overdue_at__isnull=False).exists():
        # The seed's history is drawn relative to now: at some hours none of its few open cases has run out
        # of time yet. The deadline sweep, run just after the earliest running deadline, makes one overdue.
        from dispatch.services import deadlines_enforce

        earliest = running.order_by("deadline_at").values_list("deadline_at", flat=True).first()
        if earliest is not None:
            deadlines_enforce(now=earliest + dt.timedelta(minutes=1))
    pending = ExtensionRequest.objects.filter(state=ExtensionRequest.State.PENDING).values("case")
    picks = {
        "suspended": open_cases.filter(suspended_at__isnull=False),
        "overdue": open_cases.filter(overdue_at__isnull=False, suspended_at__isnull=True),
        "extension requested": Case.objects.filter(pk__in=pending),
        "with photos": Case.objects.filter(pk=photo_case.pk),
        "closed after a return": Case.objects.filter(state="closed", return_count__gt=0),
        "rejected": Case.objects.filter(state="rejected"),
        # The hotline's: its caller on the page (masked), the call back recorded or waiting.
        "a hotline call": Case.objects.filter(caller__isnull=False),
    }
    chosen = {
        what: query.order_by("-reported_at").values_list("pk", flat=True).first()
        for what, query in picks.items()
    }
    missing = [what for what, pk in chosen.items() if pk is None]
    assert not missing, f"the seeded district has no case that is {', '.join(missing)}"

    # The department whose staff member sees the extension request waiting for a decision.
    staff_department = Case.objects.get(pk=chosen["extension requested"]).department
    names: dict[str, tuple[str, str]] = {}
    for code, name in Department.objects.values_list("code", "name"):
        names[code] = ("department", name)
    for code, name in Grid.objects.values_list("code", "name"):
        names[code] = ("grid", name)
    for code, name in Jurisdiction.objects.values_list("code", "name"):
        names[code] = ("area", name)
    return District(
        places={**_base_data_picks(grid), **_patrol_picks(gridadmin)},
        personas={
            "anonymous": None,
            "grid administrator": gridadmin,
            "dispatcher": User.objects.get(username="dispatcher"),
            "department staff": User.objects.get(username=f"staff_{staff_department.code}"),
            "supervisor": User.objects.get(username="supervisor"),
            "resident": resident_user,
            "superuser": User.objects.get(username="admin"),
        },
        cases=chosen,
        resident=Resident.objects.filter(grid=grid).order_by("pk").values_list("pk", flat=True).first(),
        import_job=job.pk,
        area_code=Jurisdiction.objects.get(parent__isnull=True).code,
        names=names,
        usernames=set(User.objects.values_list("username", flat=True)),
    )


def _base_data_picks(grid) -> dict[str, list]:
    """The demo's base data the pages are about: in the grid administrator's grid first, then one facility
    of each maintaining department (each staff member opens their department's)."""
    from places.models import Building, Facility, House, Occupancy, Organisation, UnmatchedAddress

    def first(rows) -> list:
        return [rows.order_by("pk").values_list("pk", flat=True).first()]

    facilities = [
        Facility.objects.filter(department=department).order_by("pk").values_list("pk", flat=True).first()
        for department in Department.objects.filter(facilities__isnull=False).distinct()
    ]
    picks = {
        "grid": [grid.code],
        "building": first(Building.objects.filter(grid=grid, houses__isnull=False)),
        "house": first(House.objects.filter(grid=grid, use="rented", occupancies__until__isnull=True)),
        "occupancy": first(Occupancy.objects.filter(house__grid=grid, until__isnull=True)),
        "unmatched": first(UnmatchedAddress.objects.filter(grid=grid)),
        "organisation": first(Organisation.objects.filter(grid=grid)),
        "facility": first(Facility.objects.filter(grid=grid)) + facilities,
    }
    from places.io import jobs as place_jobs

    lat, lng = Building.objects.filter(grid=grid).values_list("lat", "lng").first()
    upload = SimpleUploadedFile(
        "facilities.csv", f"facility_class,lat,lng\n0101,{lat},{lng}\n".encode(), content_type="text/csv"
    )
    administrator = get_user_model().objects.get(username="gridadmin1")
    picks["import_job"] = [
        place_jobs.import_job_create(actor=administrator, kind="facilities", upload=upload).pk
    ]
    missing = [kind for kind, pks in picks.items() if not pks or pks[0] is None]
    assert not missing, f"the demo's grid {grid.code} has no {', '.join(missing)}"
    return picks


def _patrol_picks(gridadmin) -> dict[str, list]:
    """The demo's week of patrols and visits: the grid administrator's flagged patrol awaiting review and a
    clean one (the supervisor opens both), a visit with a need."""
    from patrols.models import Patrol, Visit, VisitNeed

    mine = Patrol.objects.filter(patroller=gridadmin).order_by("-started_at")
    picks = {
        "patrol": [
            mine.filter(review=Patrol.Review.PENDING).values_list("pk", flat=True).first(),
            mine.filter(review=Patrol.Review.CLEAN).values_list("pk", flat=True).first(),
        ],
        "visit": [
            Visit.objects.filter(visitor=gridadmin).order_by("pk").values_list("pk", flat=True).first()
        ],
        "need": [
            VisitNeed.objects.filter(visit__visitor=gridadmin)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        ],
    }
    missing = [kind for kind, pks in picks.items() if None in pks]
    assert not missing, f"the demo's {gridadmin.username} has no {', '.join(missing)}"
    return picks


# --- path parameters ---------------------------------------------------------------------------------------


def _public_cases(d: District) -> list[Case]:
    """The picked cases the public may read, the resident's report with photos first (its photos shown)."""
    picked = sorted(d.cases.items(), key=lambda item: item[0] != "with photos")
    order = {pk: i for i, (_, pk) in enumerate(picked)}
    found = Case.objects.filter(pk__in=order, is_public=True, number__isnull=False)
    return sorted(found, key=lambda case: order[case.pk])


def _public_numbers(d: District) -> list[str]:
    return [case.number for case in _public_cases(d)]


def _public_photo_ids(d: District) -> list[int]:
    cases = _public_cases(d)
    return (
        list(CasePhoto.objects.filter(case=cases[0], kind=CasePhoto.Kind.REPORT).values_list("pk", flat=True))
        if cases
        else []
    )


def _public_links(d: District) -> dict[str, list]:
    """The tokens of the public site's personal links, made once over the district: the "thank you" page of
    the resident's report; its reporter following the first closed public case (the unsubscribe link) and
    asked to rate it, another reporter's dissatisfied rating waiting for review; a grid subscription to
    confirm; a new account's e-mail confirmation; a resident's password reset; the demo's registry link
    request."""
    if d.public:
        return d.public
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from public import accounts, follow, ratings, reporting
    from public.models import Channel, Follower, RegistryLinkRequest

    public = _public_cases(d)
    closed = next((c for c in public if c.state == "closed"), None)
    assert closed is not None, "the seeded district has no closed public case to rate"
    reporter = follow.follower_add(
        case=closed, kind=Follower.Kind.REPORTER, channel=Channel.EMAIL, address="reporter@example.net"
    )
    rated = follow.follower_add(
        case=closed, kind=Follower.Kind.REPORTER, channel=Channel.EMAIL, address="rated@example.net"
    )
    answered = ratings.rating_invitation_issue(case=closed, follower=rated)
    review = ratings.rating_record(invitation=answered, rating="dissatisfied", comment="还没修好")
    grid = Grid.objects.get(code=d.places["grid"][0])
    subscription = follow.grid_subscription_request(grid=grid, contact="grid.reader@example.net")
    password = "a long pass phrase 7"
    new = accounts.account_signup_email(email="new.reader@example.net", password=password, base_url="")
    # Nobody logs in as this one: a log-in would spend its reset link.
    forgetful = accounts.account_signup_email(
        email="forgetful.reader@example.net", password=password, base_url=""
    ).account
    accounts.email_confirm(token=accounts.email_confirm_token(forgetful))
    link_request = RegistryLinkRequest.objects.order_by("pk").values_list("pk", flat=True).first()
    assert link_request is not None, "the seeded district has no registry link request (demo.public)"
    d.public.update(
        sent=[reporting.sent_token(public[0])],
        unsubscribe=[reporter.token],
        rate=[ratings.rating_link_for(closed, reporter).rstrip("/").rsplit("/", 1)[-1]],
        rating=[review.pk],
        subscription=[subscription.token],
        email=[accounts.email_confirm_token(new.account)],
        uid=[urlsafe_base64_encode(force_bytes(forgetful.user.pk))],
        reset=[default_token_generator.make_token(forgetful.user)],
        link_request=[link_request],
    )
    return d.public


# How to fill a path parameter, by "route:parameter" (fnmatch patterns, first match wins). A parameter no
# line fills stops the test: a new page cannot be left out without anyone noticing.
FILLERS: list[tuple[str, object]] = [
    ("case-*:pk", lambda d: list(d.cases.values())),
    ("hotline-*:pk", lambda d: [d.cases["a hotline call"]]),
    ("resident-import-job*:pk", lambda d: [d.import_job]),
    ("resident-*:pk", lambda d: [d.resident]),
    ("grid-partition:code", lambda d: [d.area_code]),
    ("places-grid-profile:code", lambda d: d.places["grid"]),
    ("places-house-create:pk", lambda d: d.places["building"]),  # a new house of this building
    ("places-building-*:pk", lambda d: d.places["building"]),
    ("places-house-*:pk", lambda d: d.places["house"]),
    ("places-occupancy-create:pk", lambda d: d.places["house"]),
    ("places-occupancy-*:pk", lambda d: d.places["occupancy"]),
    ("places-unmatched-*:pk", lambda d: d.places["unmatched"]),
    ("places-organisation-*:pk", lambda d: d.places["organisation"]),
    ("places-facility-*:pk", lambda d: d.places["facility"]),
    ("places-import-job*:pk", lambda d: d.places["import_job"]),
    ("patrol-*:pk", lambda d: d.places["patrol"]),
    ("visit-need-case:pk", lambda d: d.places["need"]),
    ("visit-*:pk", lambda d: d.places["visit"]),
    # The public case page: the public ones among the picks, the resident's case with photos first.
    ("public-case*:number", lambda d: _public_numbers(d)),
    ("public-case-photo:photo_id", lambda d: _public_photo_ids(d)),
    ("public-case-photo:variant", lambda d: ["thumb"]),
    ("public-grid*:code", lambda d: d.places["grid"]),
    ("public-rate:token", lambda d: _public_links(d)["rate"]),
    ("public-unsubscribe:token", lambda d: _public_links(d)["unsubscribe"]),
    ("rating-review-decide:rating_id", lambda d: _public_links(d)["rating"]),
    ("public-report-sent:token", lambda d: _public_links(d)["sent"]),
    ("public-subscription-confirm:token", lambda d: _public_links(d)["subscription"]),
    ("public-email-confirm:token", lambda d: _public_links(d)["email"]),
    ("public-password-reset-confirm:uidb64", lambda d: _public_links(d)["uid"]),
    ("public-password-reset-confirm:token", lambda d: _public_links(d)["reset"]),
    ("registry-link-decide:request_id", lambda d: _public_links(d)["link_request"]),
    ("*:action", lambda d: ["accept"]),  # case actions are posted; a GET must say so
    ("*:field", lambda d: ["phone"]),
    ("*:fmt", lambda d: ["csv"]),
]
# Pages that look different for each of their values (a case in each state): every value a persona may
# open is visited. Of other pages, the first value the persona may open.
EVERY_VALUE = {"case-detail"}


class UnfillableParameter(Exception):
    pass


def route_paths(route: Route, district: District) -> list[str]:
    """The concrete paths to visit for a route: one per value of its first parameter (several cases in
    different states), the others at their first value."""
    values = {}
    for param in route.params:
        filler = next(
            (fill for pattern, fill in FILLERS if fnmatchcase(f"{route.name}:{param}", pattern)), None
        )
        if filler is None:
            raise UnfillableParameter(
                f"{route.template} ({route.name}) has a path parameter {param!r} that tests/browser/pages.py "
                "cannot fill: add a line to FILLERS"
            )
        values[param] = [str(v) for v in filler(district)]
    if not route.params:
        return [route.template]
    first, rest = route.params[0], {p: values[p][0] for p in route.params[1:]}
    return [route.fill({first: value, **rest}) for value in values[first]]


# --- who may open what -------------------------------------------------------------------------------------


@dataclass
class Visit:
    path: str
    route: str
    known_ratios: list[float]  # the rates behind the figures the page shows (evaluation tables)
    headline_ratios: list[float]  # rates the page must show, rounded
    status: int = 200  # an error page is visited for its 403 or 404


@dataclass
class Plan:
    """What one persona opens (status 200, a whole HTML document) and what it does not, with why."""

    visits: list[Visit] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # path → "403", "302 → /", "405", "json" …


def _figures_in(value, depth: int = 0) -> Iterable[indicators.Figures | PatrolFigures]:
    if isinstance(value, indicators.Figures | PatrolFigures):
        yield value
    elif isinstance(value, indicators.Table | PatrolTable):
        yield from value.rows
    elif isinstance(value, list | tuple) and depth < 3:
        for item in value:
            yield from _figures_in(item, depth + 1)


# The rates the evaluation's headline (templates/evaluation/dashboard.html) shows for the whole period; the
# valid-report rate is a per-administrator figure, shown in the tables only.
HEADLINE_RATES = (
    "closure_rate",
    "on_time_closure_rate",
    "return_rate",
    "rework_rate",
    "on_time_verification_rate",
)


# The patrol section's rates (evaluation.patrol_indicators), beside the case figures' own.
PATROL_RATES = ("coverage", "flagged_share", "visit_rate", "discovery_rate")


def _rates(figures, names=None) -> list[float]:
    if names is None:
        names = PATROL_RATES if isinstance(figures, PatrolFigures) else indicators.RATE_FIELDS
    return [r for name in names if (r := getattr(figures, name)) is not None]


def plan_for(client: Client, routes: list[Route], district: District) -> Plan:
    """Ask each page as the client's persona; keep the ones that answer with a page."""
    plan = Plan()
    for route in routes:
        opened = False
        for path in route_paths(route, district):
            if opened and route.name not in EVERY_VALUE:
                break
            response = client.get(path)
            kind = response.get("Content-Type", "")
            if response.status_code in (301, 302, 303):
                plan.refused[path] = f"{response.status_code} → {response['Location']}"
            elif response.status_code != 200:
                plan.refused[path] = str(response.status_code)
            elif not kind.startswith("text/html"):
                plan.refused[path] = kind.split(";")[0]
            elif b"<html" not in response.content[:400].lower():
                plan.refused[path] = "an HTML fragment"
            else:
                known, headline = [], []
                for context in response.context or []:
                    for value in context.flatten().values():
                        for figures in _figures_in(value):
                            known.extend(_rates(figures))
                total = response.context.get("total") if response.context else None
                if isinstance(total, indicators.Figures):
                    headline = _rates(total, HEADLINE_RATES)
                plan.visits.append(Visit(path, route.name, known, headline))
                seen = {visit.path for visit in plan.visits}
                tabs = [tab for tab in tab_links(path, response.content) if tab not in seen]
                plan.visits.extend(Visit(tab, route.name, [], []) for tab in dict.fromkeys(tabs))
                opened = True
    return plan


_TABS = re.compile(r'<nav class="tabs"[^>]*>(.*?)</nav>', re.DOTALL)
_LINK = re.compile(r"<a\b([^>]*)>")
_HREF = re.compile(r'href="([^"]*)"')


def tab_links(path: str, content: bytes) -> list[str]:
    """A page's other tabs (`<nav class="tabs">` links but the current one): the returned cases, the
    extension requests, all of one's reports are pages of their own."""
    found = []
    for nav in _TABS.findall(content.decode()):
        for attrs in _LINK.findall(nav):
            href = _HREF.search(attrs)
            # A link to a place on the same page (#level-2) is no page of its own.
            if href and "aria-current" not in attrs and not href.group(1).startswith("#"):
                found.append(urljoin(path, unescape(href.group(1))))
    return found


def persona_client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# --- what the browser measures -----------------------------------------------------------------------------

# One pass over the page: the horizontal overflow (and the element that reaches furthest out), and every
# visible text with whether it is marked as data, the language it declares, and the text of the block it
# stands in, or of its table row (a code beside its name is fine, alone it is not).
MEASURE_JS = r"""(codes) => {
  const DATA = '[translate="no"], code, kbd, samp, .leaflet-control-attribution';
  const ATTRS = '[placeholder], [title], [aria-label], img[alt], input[type=submit], input[type=button]';
  const known = new Set(codes);
  const width = window.innerWidth;
  const root = document.documentElement;
  const pageLang = (root.getAttribute('lang') || '').toLowerCase();
  const flat = (s, n) => (s || '').replace(/\s+/g, ' ').trim().slice(0, n);
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    const cls = (el.getAttribute('class') || '').trim().split(/\s+/).filter(Boolean).slice(0, 3);
    if (cls.length) s += '.' + cls.join('.');
    const text = flat(el.textContent, 40);
    return text ? `${s} "${text}"` : s;
  };
  const scrolls = (el) => {
    for (let a = el.parentElement; a && a !== document.body && a !== root; a = a.parentElement) {
      if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(a).overflowX)) return true;
    }
    return false;
  };
  // The element reaching furthest right outside any box of its own that scrolls (the deepest on a tie).
  let widest = null;
  if (root.scrollWidth > width + 1) {
    let best = null;
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.right <= width + 1 || scrolls(el)) continue;
      const further = !best || r.right > best.right + 0.5;
      if (further || (Math.abs(r.right - best.right) <= 0.5 && best.el.contains(el))) {
        best = {el, right: r.right, width: r.width};
      }
    }
    if (best) {
      widest = `${describe(best.el)} (${Math.round(best.width)} px wide, ` +
        `right edge at ${Math.round(best.right)} px)`;
    }
  }
  const blocks = new Map();
  const blockOf = (el) => {
    let b = el;
    while (b.parentElement && b !== document.body && getComputedStyle(b).display.startsWith('inline')) {
      b = b.parentElement;
    }
    // A table cell stands beside the other cells of its row (a code column beside the name column).
    const around = b.closest('tr') || b;
    if (!blocks.has(b)) blocks.set(b, {where: describe(b), context: flat(around.textContent, 2000)});
    return blocks.get(b);
  };
  const shown = new Map();
  const visible = (el) => {
    if (!shown.has(el)) {
      const target = el.closest('select') || el;
      shown.set(el, target.getClientRects().length > 0 && getComputedStyle(target).visibility !== 'hidden');
    }
    return shown.get(el);
  };
  const texts = [];
  // Only texts with a Latin letter, a digit or a % matter to the checks; Chinese prose is left out.
  const add = (el, text, kind) => {
    if (!/[A-Za-z0-9%]/.test(text)) return;
    const langEl = el.closest('[lang]');
    const lang = langEl ? langEl.getAttribute('lang').toLowerCase() : pageLang;
    const block = blockOf(el);
    const coded = (text.match(/[A-Za-z0-9_]+/g) || []).some((t) => known.has(t));
    texts.push({
      text, kind,
      data: !!el.closest(DATA),
      scale: !!el.closest('.axis'),
      foreign: !!langEl && langEl !== root && !lang.startsWith(pageLang.slice(0, 2)),
      context: coded ? block.context : '',
      where: block.where,
    });
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = flat(node.nodeValue, 2000);
    const el = node.parentElement;
    if (!text || !el || el.closest('script, style, noscript, template, textarea') || !visible(el)) continue;
    add(el, text, 'text');
  }
  for (const el of document.body.querySelectorAll(ATTRS)) {
    if (!visible(el)) continue;
    for (const attr of ['placeholder', 'title', 'aria-label', 'alt', 'value']) {
      if (attr === 'value' && el.tagName !== 'INPUT') continue;
      const v = flat(el.getAttribute(attr), 2000);
      if (v) add(el, v, attr);
    }
  }
  const body = document.body ? document.body.textContent.slice(0, 20000) : '';
  return {scrollWidth: root.scrollWidth, width, widest, lang: pageLang, texts, body};
}"""


# --- the checks --------------------------------------------------------------------------------------------

DEBUG_MARKERS = ("Traceback", "Using the URLconf", "Django tried these URL patterns", "Exception Value")


def overflow_problems(measure: dict) -> list[str]:
    if measure["scrollWidth"] <= measure["width"] + 1:
        return []
    widest = measure["widest"] or "no single element found (a margin or a transform?)"
    return [f"page is {measure['scrollWidth']} px wide in a {measure['width']} px window; widest: {widest}"]


def debug_problems(measure: dict) -> list[str]:
    return [f"debug page: {marker!r} on the page" for marker in DEBUG_MARKERS if marker in measure["body"]]


_TOKEN = re.compile(r"[A-Za-z0-9_]+")
_BARE = re.compile(r"^\W*([A-Za-z0-9_]+)\W*$")


def code_problems(measure: dict, names: dict[str, tuple[str, str]]) -> list[Problem]:
    """A department, grid or area code standing where its name is not: in a text whose block does not also
    show the name, outside the data markers. On an English page a code that is also an English word
    ("water", "traffic") counts only when it stands alone, as "(water)" would."""
    chinese = measure["lang"].startswith("zh")
    found = []
    for entry in measure["texts"]:
        if entry["data"]:
            continue
        if chinese:
            tokens = _TOKEN.findall(entry["text"])
        else:
            tokens = [t for t in _TOKEN.findall(entry["text"]) if t.isdigit()]
            bare = _BARE.match(entry["text"])
            tokens += [bare.group(1)] if bare and not bare.group(1).isdigit() else []
        for token in tokens:
            if token in names:
                what, name = names[token]
                if name not in entry["context"] and name not in entry["text"]:
                    pattern = _TOKEN.sub(
                        lambda m: f"‹{names[m[0]][0]} code›" if m[0] in names else m[0], entry["text"]
                    )
                    found.append(
                        Problem(
                            f"{what} code alone in {_tag(entry)}: {re.sub(r'[0-9]+', 'N', pattern)!r}",
                            f"{token} for {name}: {_quote(entry)}",
                        )
                    )
    return found


# Words a Chinese page may show in Latin letters: product and format names, units, abbreviations the
# Chinese interface itself uses.
LATIN_ALLOWED = {
    w.lower()
    for w in (
        "Open311 GeoJSON GeoReport JSON CSV XLSX Excel API REST PNG JPEG JPG WebP SVG PDF HTTP HTTPS URL "
        "OpenStreetMap OSM Leaflet Tianditu AMap GCJ WGS WGS84 Django htmx OpenAPI Swagger Redoc "
        "UTF GB18030 km m cm mm kg px KB MB GB ms min h s m² P90 ID No"
    ).split()
}
DATE_FORMATS = {"YYYY-MM-DD", "YYYY-MM", "HH:MM"}  # how to type a date, as spreadsheets spell it
_EMAIL = re.compile(r"\S+@\S+")
_FILE = re.compile(r"[\w.-]+\.(?:csv|xlsx|xls|png|jpe?g|webp|pdf|json|geojson)\b", re.IGNORECASE)
_URL = re.compile(r"(?:https?://|/)[\w./?=&%#:-]+")
_LATIN_CHUNK = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.'’-]*")
_WORD = re.compile(r"[A-Za-z]{2,}")


def english_problems(measure: dict, *, exempt: set[str]) -> list[str]:
    """On a Chinese page: a visible text with a Latin word that is not data (marked, a code, a username, an
    e-mail address, a URL, a product name or a unit)."""
    if not measure["lang"].startswith("zh"):
        return []
    found = []
    for entry in measure["texts"]:
        if entry["data"] or entry["foreign"]:
            continue
        text = _FILE.sub(" ", _URL.sub(" ", _EMAIL.sub(" ", entry["text"])))
        words = []
        for chunk in _LATIN_CHUNK.findall(text):
            chunk = chunk.strip(".'’-")
            if chunk in exempt or chunk.lower() in LATIN_ALLOWED or chunk in DATE_FORMATS:
                continue
            words.extend(w for w in _WORD.findall(chunk) if w.lower() not in LATIN_ALLOWED)
        if words:
            found.append(f"English on a Chinese page ({' '.join(dict.fromkeys(words))}): {_quote(entry)}")
    return found


_PERCENT = re.compile(r"(\d+(?:\.(\d+))?)\s*%")


def _one_decimal(ratio: float) -> set[Decimal]:
    exact = Decimal(repr(ratio * 100))
    return {exact.quantize(Decimal("0.1"), rounding=mode) for mode in (ROUND_HALF_UP, ROUND_HALF_EVEN)}


def _truncated(ratio: float) -> Decimal:
    return Decimal(repr(ratio * 100)).quantize(Decimal("0.1"), rounding=ROUND_DOWN)


def percentage_problems(measure: dict, visit: Visit) -> list[str]:
    """Rates are rounded to one decimal: none with more; none that is a known rate cut off rather than
    rounded; and the page's headline rates (the evaluation's total) appear rounded."""
    rounded = set().union(*(_one_decimal(r) for r in visit.known_ratios))
    cut = {_truncated(r) for r in visit.known_ratios} - rounded
    shown: set[Decimal] = set()
    found = []
    for entry in measure["texts"]:
        if entry.get("scale"):
            continue  # a chart's axis marks (0%, 25% … 100%) are a scale, not figures
        for match in _PERCENT.finditer(entry["text"]):
            figure, decimals = Decimal(match.group(1)), match.group(2) or ""
            shown.add(figure)
            if len(decimals) >= 2:
                found.append(f"percentage with {len(decimals)} decimals {match.group(0)!r}: {_quote(entry)}")
            elif figure in cut:
                found.append(f"percentage truncated, not rounded {match.group(0)!r}: {_quote(entry)}")
    for ratio in visit.headline_ratios:
        if not _one_decimal(ratio) & shown:
            expected = " or ".join(sorted(str(v) for v in _one_decimal(ratio)))
            found.append(f"headline rate {ratio:.5f} is not shown as {expected} %")
    return found


def _tag(entry: dict) -> str:
    return entry["where"].split(" ", 1)[0]


def _quote(entry: dict) -> str:
    text = entry["text"] if entry["kind"] == "text" else f"{entry['kind']}={entry['text']!r}"
    return f"{text!r} in {entry['where']}"


# --- collecting -------------------------------------------------------------------------------------------


class Problem(NamedTuple):
    """What is wrong (problems alike share it) and one instance of it."""

    detail: str
    example: str = ""


@dataclass
class _Seen:
    places: dict[tuple[str, str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    examples: list[str] = field(default_factory=list)


@dataclass
class Findings:
    """Problems by kind → detail → where (persona, language, page, viewports), reported together."""

    by_kind: dict[str, dict[str, _Seen]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(_Seen))
    )

    def add(
        self, kind: str, problem: str | Problem, *, persona: str, lang: str, page: str, viewport: str
    ) -> None:
        problem = problem if isinstance(problem, Problem) else Problem(problem)
        seen = self.by_kind[kind][problem.detail]
        seen.places[(persona, lang, page)].add(viewport)
        if problem.example and problem.example not in seen.examples:
            seen.examples.append(problem.example)

    def __bool__(self) -> bool:
        return bool(self.by_kind)

    def count(self) -> int:
        return sum(len(details) for details in self.by_kind.values())

    def report(self, *, limit: int = 6) -> str:
        lines = []
        for kind in sorted(self.by_kind):
            details = self.by_kind[kind]
            lines.append(f"\n== {kind}: {len(details)} ==")
            for detail in sorted(details):
                seen = details[detail]
                where = [
                    f"{persona}/{lang}/{'+'.join(sorted(viewports, key=len))} {page}"
                    for (persona, lang, page), viewports in sorted(seen.places.items())
                ]
                lines.append(f"- {detail}")
                if seen.examples:
                    more = f" (+{len(seen.examples) - 1} alike)" if len(seen.examples) > 1 else ""
                    lines.append(f"    e.g. {seen.examples[0]}{more}")
                more = f" (+{len(where) - limit} more)" if len(where) > limit else ""
                lines.append(f"    at {'; '.join(where[:limit])}{more}")
        return "\n".join(lines)
