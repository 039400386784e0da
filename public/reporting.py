"""Residents' reports from the public site and their "me too": the writes (public_report, case_support) and
the reads the report page asks for as its form fills (which grid a point lies in, public cases nearby).

A reporter's name and contact go to the case for the city's eyes only (and, encrypted, to a follower row
when they want updates); nothing here ever returns them to a page. A grid's administrators are told by
name and work phone only, as on the grid's public page.
"""

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils.translation import get_language, gettext_noop

from cases import services as case_services
from cases.models import OPEN_STATES, Case, Category
from gridmgmt import clock
from gridmgmt.errors import InvalidInput, InvalidTransition
from gridmgmt.roles import Role, user_roles
from grids.geometry import degree_box, distance_m
from grids.models import Grid
from grids.selectors import grid_locate

from .follow import contact_parse, follower_add
from .grids import Administrator, grid_administrators
from .models import CaseSupport, Channel, Follower

MAX_PHOTOS = 3  # a resident's report: enough to show the problem, light on a phone's upload
MAX_DESCRIPTION = 2000
MAX_NAME = 100
MAX_ADDRESS = 200
NEARBY_RADIUS_M = 150  # "is it one of these?": wider than the staff's duplicate radius, people guess the spot
NEARBY_SCAN = 200  # rows read from the box at most (the newest), before the exact distance decides
NEARBY_SHOWN = 10
NEARBY_TEXT = 160  # characters of a nearby case's public text
SENT_SALT = "public.report.sent"
SENT_MAX_AGE = 7 * 24 * 3600
SUPPORTER_COOKIE = "gm_supporter"
SUPPORTER_SALT = "public.supporter"


# --- reporting ----------------------------------------------------------------------------------------------


def reporting_user(user):
    """The account a report is filed under: a logged-in resident; anyone else reports anonymously (a staff
    member on the public site is a resident like any other, and their staff powers stay out of it)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user if Role.RESIDENT in user_roles(user) else None


def confirmed_email(user) -> str:
    account = getattr(user, "resident_account", None) if user is not None else None
    if user is None or not user.email or account is None or account.email_confirmed_at is None:
        return ""
    return user.email


def public_report(
    *,
    user,
    lat,
    lng,
    category: Category | None,
    description: str,
    photos=(),
    address: str = "",
    name: str = "",
    contact: str = "",
    wants_updates: bool = False,
    language: str | None = None,
) -> Case:
    """A resident's report from the public site: a case (source "public") routed like any other.

    Name and contact are optional; a contact is needed to hear of the case (`wants_updates`), unless the
    logged-in resident has a confirmed e-mail address, which is then used. The reporter who wants updates
    follows the case (the address encrypted). One transaction: no case without its follower."""
    reporter = reporting_user(user)
    photos = list(photos or ())
    if len(photos) > MAX_PHOTOS:
        raise InvalidInput(gettext_noop("at most %(n)s photos per report"), n=MAX_PHOTOS, field="photos")
    channel, address_to = "", ""
    if (contact or "").strip():
        channel, address_to = contact_parse(contact)
    elif wants_updates:
        email = confirmed_email(reporter)
        if not email:
            raise InvalidInput(
                gettext_noop("give a phone number or an e-mail address to hear how the case goes"),
                field="contact",
            )
        channel, address_to = Channel.EMAIL, email
    with transaction.atomic():
        case = case_services.case_report(
            actor=reporter,
            source=Case.Source.PUBLIC,
            lat=lat,
            lng=lng,
            category=category,
            description=description,
            address=address,
            reporter_name=name,
            # What the city calls back on; a confirmed account e-mail stays with the account.
            reporter_contact=address_to if (contact or "").strip() else "",
            photos=photos,
        )
        if wants_updates and address_to:
            follower_add(
                case=case,
                kind=Follower.Kind.REPORTER,
                channel=channel,
                address=address_to,
                language=language,
                user=reporter,
            )
    return case


def sent_token(case: Case) -> str:
    """The signed id the "thank you" page is opened with: only the reporter's browser was given it."""
    return signing.dumps(case.pk, salt=SENT_SALT)


def sent_case(token: str) -> Case | None:
    """The case of a "thank you" token, or None when the token is forged, too old or its case gone."""
    if not token or len(token) > 200:
        return None
    try:
        pk = signing.loads(token, salt=SENT_SALT, max_age=SENT_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return Case.objects.select_related("category__parent", "grid__community__parent").filter(pk=pk).first()


# --- me too -------------------------------------------------------------------------------------------------


def _keyed(text: str) -> str:
    return hmac.new(settings.FIELD_HASH_KEY.encode(), text.encode(), hashlib.sha256).hexdigest()


def browser_fingerprint(browser_id: str) -> str:
    """The keyed hash of a browser's random supporter id (the signed cookie gm_supporter)."""
    return _keyed(f"support-browser:{browser_id}")


ALREADY_SUPPORTED = gettext_noop("you already support this case")


def case_support(
    *, case: Case, user, fingerprint: str, contact: str = "", language: str | None = None
) -> Case:
    """A resident's "me too" on an open public case, once per account, else per contact, else per browser
    (`fingerprint`, browser_fingerprint of its cookie). The case counts it and its priority rises as
    settings.SUPPORT_PRIORITY_RULE says (cases.services.case_support_add); a supporter who leaves a contact
    follows the case. Returns the case as saved (its new supporter_count)."""
    if not case.is_public:
        raise InvalidInput(gettext_noop("this case is not shown publicly"), field="case")
    if case.state not in OPEN_STATES:
        raise InvalidTransition(gettext_noop("this case is closed: report the problem again if it is back"))
    account = user if getattr(user, "is_authenticated", False) else None
    channel, address = contact_parse(contact) if (contact or "").strip() else ("", "")
    if account is not None:
        support = CaseSupport(case=case, user=account, fingerprint="")
    elif address:
        support = CaseSupport(case=case, fingerprint=_keyed(f"support-contact:{address}"))
    elif fingerprint:
        support = CaseSupport(case=case, fingerprint=fingerprint)
    else:
        raise InvalidInput(gettext_noop("your browser did not keep our cookie: allow cookies and try again"))
    support.created_at = clock.now()
    try:
        with transaction.atomic():
            support.save(force_insert=True)
            saved = case_services.case_support_add(case=case, actor=None)
            if address:
                follower_add(
                    case=case,
                    kind=Follower.Kind.SUPPORTER,
                    channel=channel,
                    address=address,
                    language=language,
                    user=account,
                )
    except IntegrityError as exc:  # the unique constraints: this account, contact or browser said it before
        raise InvalidInput(ALREADY_SUPPORTED) from exc
    return saved


# --- the page's reads: where a point is, public cases near it ---------------------------------------------


@dataclass(frozen=True)
class Where:
    grid: Grid
    administrators: list[Administrator]


def where_read(*, lat: float, lng: float) -> Where | None:
    """The grid a point lies in with its administrators (names and work phones only), or None outside the
    jurisdiction. Two queries: the grid with its community and street, its assignments."""
    found = grid_locate(lat=lat, lng=lng)
    if found is None:
        return None
    grid = Grid.objects.select_related("community__parent").get(pk=found.pk)
    return Where(grid=grid, administrators=grid_administrators(grid))


def nearby_public_cases(
    *, lat: float, lng: float, category: Category | None = None
) -> list[tuple[Case, float]]:
    """Open public cases near a point (of `category` when given), nearest first, with metres: the
    "is it one of these?" of the report page. Only Case.is_public cases ever leave the database; one query.

    Not cases.selectors.duplicate_candidates_near: that one asks for a category, looks back only
    DUPLICATE_WINDOW_HOURS (a pothole reported last month is still the same pothole) and, without a
    viewer, reads every case."""
    min_lat, min_lng, max_lat, max_lng = degree_box(lat, lng, NEARBY_RADIUS_M)
    rows = Case.objects.filter(
        number__isnull=False,
        is_public=True,
        state__in=OPEN_STATES,
        lat__range=(min_lat, max_lat),
        lng__range=(min_lng, max_lng),
    )
    if category is not None:
        rows = rows.filter(category=category)
    rows = (
        rows.select_related("category__parent")
        .only(
            "id",
            "number",
            "lat",
            "lng",
            "state",
            "description",
            "public_description",
            "supporter_count",
            "reported_at",
            "category__code",
            "category__name",
            "category__name_en",
            "category__parent__code",
            "category__parent__name",
            "category__parent__name_en",
        )
        .order_by("-reported_at", "-id")[:NEARBY_SCAN]
    )
    # The box is the indexed prefilter; the exact great-circle distance decides and orders.
    scored = [(case, distance_m(lat, lng, case.lat, case.lng)) for case in rows]
    near = sorted(((c, d) for c, d in scored if d <= NEARBY_RADIUS_M), key=lambda pair: (pair[1], pair[0].pk))
    return near[:NEARBY_SHOWN]


def public_text(case: Case, limit: int = NEARBY_TEXT) -> str:
    """What the public reads of a case's report, cut to `limit` characters."""
    text = " ".join((case.public_description or case.description or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def page_language() -> str:
    return (get_language() or settings.LANGUAGE_CODE)[:10]
