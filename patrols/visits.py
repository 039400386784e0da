"""Home visits (走访): recording a visit (position checked against the address), needs that become cases,
visit plans by care or risk tag, and the overdue visits of each administrator.

Writes and reads of visits live together here (services first, selectors after), as one small subject of
the patrols app. Who may do what is asked of gridmgmt.policy: grid administrators record visits in their own
grids; supervisors and the dispatch centre read every visit; supervisors set the visit plans.

Which visit counts for whom: a visit naming a resident counts for that resident; a visit naming only a
house (the household) counts for everyone living there now; a visit naming an organisation for it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from cases import services as case_services
from cases.models import Case, Category
from gridmgmt import clock, policy
from gridmgmt.errors import Conflict, InvalidInput, NotAllowed
from gridmgmt.text import text_check
from grids import pii
from grids.geometry import distance_m
from grids.models import Grid, Jurisdiction, Resident
from places.models import House, Occupancy, Organisation

from .models import Visit, VisitNeed, VisitPlan
from .services import number_parse

# Plans that hold until a supervisor sets others: (target, tag) → every so many days. Elderly people living
# alone weekly, disabled residents monthly, fire-safety key units quarterly (91 days: thirteen weeks).
DEFAULT_VISIT_PLANS: dict[tuple[str, str], int] = {
    (VisitPlan.Target.RESIDENT, Resident.CareTag.ELDERLY_ALONE): 7,
    (VisitPlan.Target.RESIDENT, Resident.CareTag.DISABILITY): 30,
    (VisitPlan.Target.ORGANISATION, Organisation.Risk.FIRE_SAFETY): 91,
}
PLAN_MAX_DAYS = 366

# A visit is written down the same day or soon after, never ahead: a phone's clock may run a little fast,
# and a visit older than a month is a record made up after the fact.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
MAX_AGE = dt.timedelta(days=30)
MAX_NEEDS = 20
NEED_MAX_CHARS = 500
MET_MAX_CHARS = 200
NOTES_MAX_CHARS = 5000

ONLY_VISITORS = gettext_noop("only grid administrators with a grid record visits")
OUTSIDE_GRIDS = gettext_noop("you may record visits only in your own grids")
ONLY_SUPERVISORS = gettext_noop("only supervisors set the visit plans")
NEED_NOT_YOURS = gettext_noop("only an administrator of the visit's grid turns its needs into cases")
NEED_HAS_CASE = gettext_noop("this need is already case %(number)s")


# --- input --------------------------------------------------------------------------------------------------


WORDS = {
    "lat": gettext_lazy("the latitude"),
    "lng": gettext_lazy("the longitude"),
    "accuracy": gettext_lazy("the accuracy"),
    "visited_at": gettext_lazy("the time of the visit"),
}


def visit_time_parse(raw, *, field: str = "visited_at") -> dt.datetime:
    """An ISO 8601 date and time with its time zone (the API's `visited_at`)."""
    value = parse_datetime(raw) if isinstance(raw, str) and len(raw) <= 40 else None
    if value is None:
        raise InvalidInput(
            gettext_noop("%(what)s must be a date and time such as 2026-12-07T09:30:00+08:00"),
            what=WORDS["visited_at"],
            field=field,
        )
    if timezone.is_naive(value):
        raise InvalidInput(
            gettext_noop("%(what)s must say its time zone (Z or +08:00)"),
            what=WORDS["visited_at"],
            field=field,
        )
    return value


def _number(raw, *, field: str, low: float, high: float) -> float:
    return number_parse(raw, what=WORDS[field], field=field, low=low, high=high)


def _blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def position_parse(lat, lng, accuracy) -> tuple[float | None, float | None, float | None]:
    """(lat, lng, accuracy) checked: both coordinates or neither; accuracy only beside a position."""
    if _blank(lat) and _blank(lng):
        return None, None, None
    if _blank(lat) or _blank(lng):
        raise InvalidInput(gettext_noop("give both latitude and longitude, or neither"), field="lat")
    lat_ = _number(lat, field="lat", low=-90, high=90)
    lng_ = _number(lng, field="lng", low=-180, high=180)
    acc = None if _blank(accuracy) else _number(accuracy, field="accuracy", low=0, high=100_000)
    return lat_, lng_, acc


def text_clean(value, *, what, field: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(gettext_noop("%(what)s must be text"), what=what, field=field)
    value = value.strip()
    text_check(value, what=what, field=field)
    if len(value) > limit:
        raise InvalidInput(
            gettext_noop("%(what)s has at most %(n)s characters"), what=what, n=limit, field=field
        )
    return value


def needs_parse(needs) -> list[str]:
    """The needs found: non-empty lines of at most 500 characters, at most 20 of them. A text is read line by
    line (the page's textarea); a list item by item (the API)."""
    if needs is None:
        return []
    if isinstance(needs, str):
        items = needs.splitlines()
    elif isinstance(needs, list | tuple):
        items = list(needs)
    else:
        raise InvalidInput(gettext_noop("needs must be a list of texts"), field="needs")
    kept = []
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise InvalidInput(gettext_noop("needs must be a list of texts"), field=f"needs[{i}]")
        text = item.strip()
        if not text:
            continue
        text_check(text, what=gettext_lazy("a need"), field="needs")
        if len(text) > NEED_MAX_CHARS:
            raise InvalidInput(
                gettext_noop("need %(n)s is longer than %(limit)s characters"),
                n=len(kept) + 1,
                limit=NEED_MAX_CHARS,
                field="needs",
            )
        kept.append(text)
    if len(kept) > MAX_NEEDS:
        raise InvalidInput(gettext_noop("a visit records at most %(n)s needs"), n=MAX_NEEDS, field="needs")
    return kept


def visited_at_check(visited_at, *, now: dt.datetime | None = None) -> dt.datetime:
    if not isinstance(visited_at, dt.datetime) or timezone.is_naive(visited_at):
        raise InvalidInput(gettext_noop("say when the visit was, with its time zone"), field="visited_at")
    now = now or clock.now()
    if visited_at > now + FUTURE_TOLERANCE:
        raise InvalidInput(gettext_noop("the visit's time is in the future"), field="visited_at")
    if visited_at < now - MAX_AGE:
        raise InvalidInput(
            gettext_noop("a visit is recorded within %(n)s days"), n=MAX_AGE.days, field="visited_at"
        )
    return visited_at


# --- where the address is -----------------------------------------------------------------------------------


def current_home(resident: Resident) -> House | None:
    """The house a resident lives in now (its building loaded), or None."""
    occupancy = (
        Occupancy.objects.filter(resident=resident, until__isnull=True)
        .select_related("house__building")
        .first()
    )
    return occupancy.house if occupancy else None


def address_point(
    *, resident: Resident | None, house: House | None, organisation: Organisation | None
) -> tuple[float, float] | None:
    """The point a visit is checked against: the house's building, the organisation's point, or the resident's
    current home's building; None when the address has no point (a resident without a house on record)."""
    if organisation is not None:
        return organisation.lat, organisation.lng
    if house is None and resident is not None:
        house = current_home(resident)
    if house is None:
        return None
    return house.building.lat, house.building.lng


def position_judge(
    point: tuple[float, float] | None, lat: float | None, lng: float | None
) -> tuple[str, float | None]:
    """(position, metres from the address): far beyond settings.VISIT_RADIUS_M, else on site."""
    if point is None:
        return Visit.Position.NO_ADDRESS, None
    if lat is None or lng is None:
        return Visit.Position.UNKNOWN, None
    metres = round(distance_m(lat, lng, point[0], point[1]), 1)
    far = metres > settings.VISIT_RADIUS_M
    return (Visit.Position.FAR if far else Visit.Position.ON_SITE), metres


# --- recording a visit --------------------------------------------------------------------------------------


def _target_grid(*, resident: Resident | None, house: House | None, organisation: Organisation | None) -> int:
    given = [t for t in (resident, house, organisation) if t is not None]
    if not given:
        raise InvalidInput(
            gettext_noop("say whom you visited: a resident, a household or an organisation"), field="target"
        )
    if organisation is not None and len(given) > 1:
        raise InvalidInput(
            gettext_noop("a visit is to one resident or household, or to one organisation"), field="target"
        )
    if resident is not None and resident.moved_out_on is not None:
        raise InvalidInput(gettext_noop("this resident has moved out"), field="resident")
    if resident is not None and house is not None:
        lives_there = Occupancy.objects.filter(resident=resident, house=house, until__isnull=True).exists()
        if not lives_there:
            raise InvalidInput(gettext_noop("the resident does not live in this house"), field="house")
        return house.grid_id
    return (house or resident or organisation).grid_id


def visit_record(
    *,
    actor,
    resident: Resident | None = None,
    house: House | None = None,
    organisation: Organisation | None = None,
    visited_at: dt.datetime,
    lat=None,
    lng=None,
    accuracy=None,
    met: str = "",
    notes: str = "",
    needs: Sequence[str] | str = (),
) -> Visit:
    """Record a visit to a resident (and perhaps the house they live in), a household, or an organisation,
    in the actor's own grids. The position, when given, is checked against the address and kept with the
    distance; needs found become VisitNeed rows, each of which may become a case (`visit_need_to_case`)."""
    if not policy.can_patrol(actor):
        raise NotAllowed(ONLY_VISITORS)
    grid_id = _target_grid(resident=resident, house=house, organisation=organisation)
    if not policy.can_visit_in(actor, grid_id):
        raise NotAllowed(OUTSIDE_GRIDS)
    now = clock.now()
    visited_at = visited_at_check(visited_at, now=now)
    lat, lng, accuracy = position_parse(lat, lng, accuracy)
    met = text_clean(met, what=gettext_lazy("who was met"), field="met", limit=MET_MAX_CHARS)
    notes = text_clean(notes, what=gettext_lazy("the notes"), field="notes", limit=NOTES_MAX_CHARS)
    texts = needs_parse(needs)
    position, metres = position_judge(
        address_point(resident=resident, house=house, organisation=organisation), lat, lng
    )
    with transaction.atomic():
        visit = Visit.objects.create(
            visitor=actor,
            grid_id=grid_id,
            resident=resident,
            house=house,
            organisation=organisation,
            visited_at=visited_at,
            lat=lat,
            lng=lng,
            accuracy=accuracy,
            distance_m=metres,
            position=position,
            met=met,
            notes=notes,
            created_at=now,
        )
        VisitNeed.objects.bulk_create([VisitNeed(visit=visit, text=text) for text in texts])
    return visit


# --- a need becomes a case ----------------------------------------------------------------------------------


def _case_point(visit: Visit) -> tuple[float | None, float | None]:
    # The need is about the household or unit: where the visitor stood when on site, else the address (a far
    # position may lie in another grid), else whatever position there is.
    if visit.position == Visit.Position.ON_SITE:
        return visit.lat, visit.lng
    point = address_point(resident=visit.resident, house=visit.house, organisation=visit.organisation)
    if point is not None:
        return point
    return visit.lat, visit.lng


def _case_address(visit: Visit) -> str:
    if visit.organisation_id:
        return visit.organisation.address
    house = visit.house or (current_home(visit.resident) if visit.resident_id else None)
    return house.address if house else ""


def visit_need_to_case(
    *,
    need: VisitNeed,
    actor,
    category: Category | None,
    lat=None,
    lng=None,
    description: str | None = None,
) -> Case:
    """Report a need found on a visit as a case (source "patrol") in one step, and keep the case on the need.
    A need becomes one case only: a second try is a Conflict naming the case."""
    visit = need.visit
    if not policy.can_visit_in(actor, visit.grid_id):
        raise NotAllowed(NEED_NOT_YOURS)
    if _blank(lat) and _blank(lng):
        lat, lng = _case_point(visit)
    if description is None or not str(description).strip():
        # Stored text read by the dispatch centre and departments: written in the site's language.
        with translation.override(settings.LANGUAGE_CODE):
            reference = gettext("Found on home visit %(id)s on %(date)s.") % {
                "id": visit.pk,
                "date": f"{timezone.localtime(visit.visited_at):%Y-%m-%d}",
            }
        description = f"{need.text}\n\n{reference}"
    with transaction.atomic():
        locked = VisitNeed.objects.select_for_update(of=("self",)).select_related("case").get(pk=need.pk)
        if locked.case_id is not None:
            raise Conflict(NEED_HAS_CASE, number=locked.case.number or str(locked.case_id))
        case = case_services.case_report(
            actor=actor,
            source=Case.Source.PATROL,
            lat=lat,
            lng=lng,
            category=category,
            description=description,
            address=_case_address(visit)[:200],
        )
        locked.case = case
        locked.save(update_fields=["case"])
    need.case = case
    return case


# --- visit plans --------------------------------------------------------------------------------------------

PlanTable = dict[tuple[str, str, int | None], int]


def _tag_choices(target: str) -> dict[str, str]:
    if target == VisitPlan.Target.RESIDENT:
        return dict(Resident.CareTag.choices)
    if target == VisitPlan.Target.ORGANISATION:
        return dict(Organisation.Risk.choices)
    return {}


def visit_plan_table() -> PlanTable:
    """Every plan in one read: {(target, tag, community id or None): days}, the defaults in code overridden
    by the district-wide rows (community None)."""
    table: PlanTable = {(target, tag, None): days for (target, tag), days in DEFAULT_VISIT_PLANS.items()}
    for target, tag, community_id, days in VisitPlan.objects.values_list(
        "target", "tag", "community_id", "every_days"
    ):
        table[(target, tag, community_id)] = days
    return table


def interval_in(table: PlanTable, *, target: str, tag: str, community_id: int | None) -> int | None:
    """The community's own interval for the tag, else the district-wide one, else None (not planned)."""
    if community_id is not None and (target, tag, community_id) in table:
        return table[(target, tag, community_id)]
    return table.get((target, tag, None))


def visit_interval_days(*, target: str, tag: str, community_id: int | None) -> int | None:
    """Every how many days a target with `tag` in the community is to be visited; None when not planned."""
    rows = dict(
        VisitPlan.objects.filter(target=target, tag=tag)
        .filter(Q(community__isnull=True) | Q(community_id=community_id))
        .values_list("community_id", "every_days")
    )
    if community_id is not None and community_id in rows:
        return rows[community_id]
    if None in rows:
        return rows[None]
    return DEFAULT_VISIT_PLANS.get((target, tag))


def visit_plan_set(
    *, actor, target: str, tag: str, every_days, community: Jurisdiction | None = None
) -> VisitPlan:
    """Set how often targets with `tag` are visited, district-wide (community None) or in one community."""
    if not policy.can_review_patrols(actor):
        raise NotAllowed(ONLY_SUPERVISORS)
    if not isinstance(target, str) or target not in VisitPlan.Target.values:
        raise InvalidInput(gettext_noop("target must be resident or organisation"), field="target")
    if not isinstance(tag, str) or tag not in _tag_choices(target):
        raise InvalidInput(
            gettext_noop("%(tag)s is not a tag of this kind of target"), tag=str(tag)[:30], field="tag"
        )
    if isinstance(every_days, bool) or not isinstance(every_days, int | str):
        raise InvalidInput(gettext_noop("every_days must be a whole number of days"), field="every_days")
    try:
        days = int(every_days)
    except ValueError:
        raise InvalidInput(
            gettext_noop("every_days must be a whole number of days"), field="every_days"
        ) from None
    if not (1 <= days <= PLAN_MAX_DAYS):
        raise InvalidInput(
            gettext_noop("a visit is planned every 1 to %(n)s days"), n=PLAN_MAX_DAYS, field="every_days"
        )
    if community is not None and community.level != Jurisdiction.Level.COMMUNITY:
        raise InvalidInput(
            gettext_noop("choose a community, or none for the whole district"), field="community"
        )
    with transaction.atomic():
        plan, _ = VisitPlan.objects.update_or_create(
            target=target, tag=tag, community=community, defaults={"every_days": days}
        )
    return plan


def visit_plan_remove(*, actor, plan: VisitPlan) -> None:
    """Drop a plan row: a community falls back to the district-wide plan, the district-wide to the default."""
    if not policy.can_review_patrols(actor):
        raise NotAllowed(ONLY_SUPERVISORS)
    plan.delete()


@dataclass(frozen=True)
class PlanRow:
    target: str
    tag: str
    label: str
    default_days: int | None
    district_days: int | None
    communities: list[tuple[Jurisdiction, int, int]]  # (community, days, plan id)
    district_plan_id: int | None


def visit_plans_overview() -> list[PlanRow]:
    """Every tag of both kinds with its default, the district-wide row and the communities' own rows."""
    rows = list(VisitPlan.objects.select_related("community").order_by("community__code"))
    out = []
    for target in VisitPlan.Target.values:
        for tag, label in _tag_choices(target).items():
            mine = [r for r in rows if r.target == target and r.tag == tag]
            district = next((r for r in mine if r.community_id is None), None)
            out.append(
                PlanRow(
                    target=target,
                    tag=tag,
                    label=str(label),
                    default_days=DEFAULT_VISIT_PLANS.get((target, tag)),
                    district_days=district.every_days if district else None,
                    district_plan_id=district.pk if district else None,
                    communities=[
                        (r.community, r.every_days, r.pk) for r in mine if r.community_id is not None
                    ],
                )
            )
    return out


# --- selectors: visits --------------------------------------------------------------------------------------


def visits_visible_to(user, *, grid_id: int | None = None, visitor_id: int | None = None) -> QuerySet[Visit]:
    """Visits `user` may read, newest first, with everything a list row shows."""
    rows = (
        Visit.objects.filter(policy.visits_visible_q(user))
        .select_related("visitor", "grid__community", "resident", "house__building", "organisation")
        .annotate(need_count=Count("needs"), case_count=Count("needs__case"))
    )
    if grid_id is not None:
        rows = rows.filter(grid_id=grid_id)
    if visitor_id is not None:
        rows = rows.filter(visitor_id=visitor_id)
    return rows.order_by("-visited_at", "-id")


def visit_get_for(user, pk: int) -> Visit:
    """One visit `user` may read, or 404 (the same for one that does not exist)."""
    visit = (
        Visit.objects.filter(policy.visits_visible_q(user))
        .select_related("visitor", "grid__community", "resident", "house__building", "organisation")
        .filter(pk=pk)
        .first()
    )
    if visit is None:
        raise Http404("No such visit, or not yours to see")
    return visit


def visit_needs(visit: Visit) -> list[VisitNeed]:
    return list(visit.needs.select_related("case").order_by("id"))


def visit_need_get_for(user, pk: int) -> VisitNeed:
    need = (
        VisitNeed.objects.filter(pk=pk)
        .select_related(
            "visit__grid", "visit__resident", "visit__house__building", "visit__organisation", "case"
        )
        .first()
    )
    if need is None or not Visit.objects.filter(policy.visits_visible_q(user), pk=need.visit_id).exists():
        raise Http404("No such need, or not yours to see")
    return need


def visit_target_label(visit: Visit) -> str:
    """Whom a visit was to, as pages and the API show it: a resident's masked name, an address, a unit."""
    if visit.organisation_id:
        return visit.organisation.name
    if visit.resident_id:
        return pii.mask_name(visit.resident.name)
    return visit.house.address if visit.house_id else ""


def visit_target_kind(visit: Visit) -> str:
    if visit.organisation_id:
        return "organisation"
    return "resident" if visit.resident_id else "house"


# --- selectors: planned targets, overdue visits, visits done against the plan -------------------------------


def _tag_q(tags: Iterable[str], field: str) -> Q:
    # JSON list membership, portable across SQLite and PostgreSQL: the code is quoted in the text.
    q = Q(pk__in=[])
    for tag in tags:
        q |= Q(**{f"{field}__icontains": f'"{tag}"'})
    return q


def _planned_tags(table: PlanTable, target: str) -> set[str]:
    return {tag for (t, tag, _community), _days in table.items() if t == target}


def _interval_of(table: PlanTable, *, target: str, tags: list[str], community_id: int | None):
    """The shortest interval among the target's planned tags (the most frequent duty wins) and those tags."""
    planned = {}
    for tag in tags:
        days = interval_in(table, target=target, tag=tag, community_id=community_id)
        if days is not None:
            planned[tag] = days
    return (min(planned.values()), sorted(planned)) if planned else (None, [])


@dataclass(frozen=True)
class Planned:
    """A resident or an organisation a visit plan applies to."""

    kind: str  # "resident" or "organisation"
    pk: int
    grid_id: int
    every_days: int
    tags: list[str]


def _planned_targets(table: PlanTable, grid_ids: Iterable[int] | None) -> tuple[list, list]:
    """(residents, organisations) with a planned tag in the grids (None: every grid), as (row, Planned)."""
    residents = (
        Resident.objects.annotate(community_id=F("grid__community_id"))
        .filter(moved_out_on__isnull=True)
        .filter(_tag_q(_planned_tags(table, VisitPlan.Target.RESIDENT), "care_tags"))
    )
    organisations = Organisation.objects.annotate(community_id=F("grid__community_id")).filter(
        _tag_q(_planned_tags(table, VisitPlan.Target.ORGANISATION), "risk_tags")
    )
    if grid_ids is not None:
        grid_ids = list(grid_ids)
        residents = residents.filter(grid_id__in=grid_ids)
        organisations = organisations.filter(grid_id__in=grid_ids)

    def planned(rows, kind: str, tags_of) -> list:
        out = []
        for row in rows:
            days, tags = _interval_of(
                table, target=kind, tags=list(tags_of(row) or []), community_id=row.community_id
            )
            if days is not None:
                out.append(
                    (row, Planned(kind=kind, pk=row.pk, grid_id=row.grid_id, every_days=days, tags=tags))
                )
        return out

    return (
        planned(residents, VisitPlan.Target.RESIDENT, lambda r: r.care_tags),
        planned(organisations, VisitPlan.Target.ORGANISATION, lambda o: o.risk_tags),
    )


def _homes(resident_ids: list[int]) -> dict[int, House]:
    rows = Occupancy.objects.filter(resident_id__in=resident_ids, until__isnull=True).select_related(
        "house__building"
    )
    return {o.resident_id: o.house for o in rows}


def _last_visits(
    residents: list[int], houses: list[int], organisations: list[int]
) -> tuple[dict, dict, dict]:
    """The latest visit to each resident, each house (household visits, naming no resident) and each
    organisation: three grouped reads."""
    by_resident = dict(
        Visit.objects.filter(resident_id__in=residents)
        .values("resident_id")
        .annotate(last=Max("visited_at"))
        .values_list("resident_id", "last")
    )
    by_house = dict(
        Visit.objects.filter(house_id__in=houses, resident__isnull=True)
        .values("house_id")
        .annotate(last=Max("visited_at"))
        .values_list("house_id", "last")
    )
    by_organisation = dict(
        Visit.objects.filter(organisation_id__in=organisations)
        .values("organisation_id")
        .annotate(last=Max("visited_at"))
        .values_list("organisation_id", "last")
    )
    return by_resident, by_house, by_organisation


@dataclass(frozen=True)
class OverdueVisit:
    kind: str  # "resident" or "organisation"
    pk: int
    name: str  # a resident's name masked; an organisation's name
    address: str
    grid: Grid
    tags: list[str]  # labels of the planned tags, in the page's language
    every_days: int
    last_visited_at: dt.datetime | None  # None: never visited
    days_overdue: int | None  # None: never visited

    @property
    def never(self) -> bool:
        return self.last_visited_at is None


def _latest(*values):
    present = [v for v in values if v is not None]
    return max(present) if present else None


def visits_overdue_for(
    user, *, today: dt.date | None = None, grid_id: int | None = None
) -> list[OverdueVisit]:
    """Residents with a planned care tag and organisations with a planned risk tag in `user`'s grids (every
    grid for readers of all visits; one with `grid_id`) whose last visit is older than the plan's interval,
    or who were never visited: never visited first, then the most overdue. Names are masked."""
    scope = policy.patrol_scope(user)
    if scope is None:
        return []
    grid_ids: set[int] | None = None if scope == "all" else policy.patrol_grid_ids(user)
    if grid_id is not None:
        grid_ids = {grid_id} if grid_ids is None or grid_id in grid_ids else set()
    if grid_ids is not None and not grid_ids:
        return []
    today = today or timezone.localdate()
    table = visit_plan_table()
    residents, organisations = _planned_targets(table, grid_ids)
    homes = _homes([p.pk for _row, p in residents])
    by_resident, by_house, by_organisation = _last_visits(
        [p.pk for _row, p in residents],
        [h.pk for h in homes.values()],
        [p.pk for _row, p in organisations],
    )
    grids = {
        g.pk: g
        for g in Grid.objects.select_related("community").filter(
            pk__in={p.grid_id for _r, p in residents} | {p.grid_id for _r, p in organisations}
        )
    }
    care = dict(Resident.CareTag.choices)
    risks = dict(Organisation.Risk.choices)
    out = []

    def add(planned: Planned, *, name: str, address: str, last, labels: dict) -> None:
        if last is not None:
            due = timezone.localdate(last) + dt.timedelta(days=planned.every_days)
            days = (today - due).days
            if days <= 0:
                return
        else:
            days = None
        out.append(
            OverdueVisit(
                kind=planned.kind,
                pk=planned.pk,
                name=name,
                address=address,
                grid=grids[planned.grid_id],
                tags=[str(labels.get(t, t)) for t in planned.tags],
                every_days=planned.every_days,
                last_visited_at=last,
                days_overdue=days,
            )
        )

    for resident, planned in residents:
        home = homes.get(resident.pk)
        last = _latest(by_resident.get(resident.pk), by_house.get(home.pk) if home else None)
        add(
            planned,
            name=pii.mask_name(resident.name),
            address=home.address if home else resident.address,
            last=last,
            labels=care,
        )
    for organisation, planned in organisations:
        add(
            planned,
            name=organisation.name,
            address=organisation.address,
            last=by_organisation.get(organisation.pk),
            labels=risks,
        )
    out.sort(key=lambda r: (r.days_overdue is not None, -(r.days_overdue or 0), r.grid.code, r.kind, r.pk))
    return out


def _local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def visits_due(*, grid_ids: Iterable[int], start: dt.date, end: dt.date) -> dict[int, tuple[int, int]]:
    """Visits planned and done in the grids over a period of local dates (both inclusive): {grid id:
    (planned, done)}. Each target with a planned tag is due ceil(days / interval) visits; its visits in the
    period count up to that number (three visits to a weekly household in one week are one visit done)."""
    grid_ids = list(grid_ids)
    result = {gid: (0, 0) for gid in grid_ids}
    if not grid_ids or end < start:
        return result
    days = (end - start).days + 1
    since, until = _local_midnight(start), _local_midnight(end + dt.timedelta(days=1))
    table = visit_plan_table()
    residents, organisations = _planned_targets(table, grid_ids)
    homes = _homes([p.pk for _row, p in residents])
    in_period = Visit.objects.filter(visited_at__gte=since, visited_at__lt=until)

    def counted(rows, field: str) -> dict[int, int]:
        return dict(rows.values(field).annotate(n=Count("id")).values_list(field, "n"))

    by_resident = counted(in_period.filter(resident_id__in=[p.pk for _r, p in residents]), "resident_id")
    by_house = counted(
        in_period.filter(house_id__in=[h.pk for h in homes.values()], resident__isnull=True), "house_id"
    )
    by_organisation = counted(
        in_period.filter(organisation_id__in=[p.pk for _r, p in organisations]), "organisation_id"
    )
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])

    def add(planned: Planned, done: int) -> None:
        due = math.ceil(days / planned.every_days)
        totals[planned.grid_id][0] += due
        totals[planned.grid_id][1] += min(due, done)

    for _resident, planned in residents:
        home = homes.get(planned.pk)
        add(planned, by_resident.get(planned.pk, 0) + (by_house.get(home.pk, 0) if home else 0))
    for _organisation, planned in organisations:
        add(planned, by_organisation.get(planned.pk, 0))
    for gid, (planned_n, done_n) in totals.items():
        result[gid] = (planned_n, done_n)
    return result
