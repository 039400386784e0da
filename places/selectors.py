"""Reads of the base data, query-optimised and scoped by gridmgmt.policy."""

from dataclasses import dataclass, replace

from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_noop

from gridmgmt import policy
from gridmgmt.errors import InvalidInput
from grids.models import Grid

from . import addresses
from .models import Building, Facility, FacilityClass, House, Occupancy, Organisation, UnmatchedAddress

SEARCH_LIMIT = 20


def _address_q(q: str) -> Q:
    """Rows whose written address contains the text, or whose address key contains its normal form; when
    the text reads as an address ("八一大道 123号"), also every row at or below that address."""
    # Stored addresses are written out in the normal form search_terms gives (full-width digits and spaces
    # gone, letters upper case), so one case-sensitive comparison finds them: upper() on every Chinese
    # address was three quarters of the search's time at 200,000 houses (bench/README.md).
    found = Q(address__contains=addresses.search_terms(q))
    try:
        building_key, house_key = addresses.address_keys(q)
    except InvalidInput:
        return found
    if house_key is not None:  # a house's full address: that house and its building
        return found | Q(address_key__in=[house_key, building_key])
    # A key without a building ("八一大道/123/") is the prefix of every building at that door number.
    below = building_key if building_key.endswith("/") else f"{building_key}/"
    return found | Q(address_key=building_key) | Q(address_key__startswith=below)


def _building_rows() -> QuerySet[Building]:
    return Building.objects.select_related("grid__community", "road")


def buildings_visible_to(user, *, grid_id: int | None = None, q: str = "") -> QuerySet[Building]:
    rows = _building_rows().filter(policy.base_data_visible_q(user))
    if grid_id is not None:
        rows = rows.filter(grid_id=grid_id)
    if q:
        rows = rows.filter(_address_q(q))
    return rows.annotate(house_count=Count("houses", distinct=True))


def houses_visible_to(
    user, *, grid_id: int | None = None, building_id: int | None = None, use: str = ""
) -> QuerySet[House]:
    rows = House.objects.select_related("building", "grid__community").filter(
        policy.base_data_visible_q(user)
    )
    if grid_id is not None:
        rows = rows.filter(grid_id=grid_id)
    if building_id is not None:
        rows = rows.filter(building_id=building_id)
    if use:
        rows = rows.filter(use=use)
    return rows


def organisations_visible_to(
    user, *, grid_id: int | None = None, kind: str = "", risk: str = "", q: str = ""
) -> QuerySet[Organisation]:
    rows = Organisation.objects.select_related("grid__community").filter(policy.base_data_visible_q(user))
    if grid_id is not None:
        rows = rows.filter(grid_id=grid_id)
    if kind:
        rows = rows.filter(kind=kind)
    if risk:
        # JSON list membership, portable across SQLite and PostgreSQL: the code is quoted in the text.
        rows = rows.filter(risk_tags__icontains=f'"{risk}"')
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(credit_code=q.strip().upper()))
    return rows


def facility_text_q(q: str) -> Q:
    """Facilities whose name, address or owning unit contains the text, or whose code starts with it."""
    q = q.strip()
    found = Q(name__icontains=q) | Q(address__icontains=q) | Q(owner__icontains=q)
    return found | Q(code__startswith=q) if q.isascii() and q.isdigit() else found


def facilities_visible_to(
    user,
    *,
    grid_id: int | None = None,
    major: str = "",
    state: str = "",
    department_id: int | None = None,
    q: str = "",
) -> QuerySet[Facility]:
    rows = Facility.objects.select_related("facility_class__parent", "grid__community", "department").filter(
        policy.facilities_visible_q(user)
    )
    if grid_id is not None:
        rows = rows.filter(grid_id=grid_id)
    if major:
        rows = rows.filter(facility_class__parent__code=major)
    if state:
        rows = rows.filter(state=state)
    if department_id is not None:
        rows = rows.filter(department_id=department_id)
    if q:
        rows = rows.filter(facility_text_q(q))
    return rows


def _get_or_404(rows: QuerySet, pk: int):
    found = rows.filter(pk=pk).first()
    if found is None:
        raise Http404("No such record, or not yours to see")  # one answer for both: no probing
    return found


def building_get_for(user, pk: int) -> Building:
    return _get_or_404(_building_rows().filter(policy.base_data_visible_q(user)), pk)


def house_get_for(user, pk: int) -> House:
    return _get_or_404(
        House.objects.select_related("building__road", "grid__community").filter(
            policy.base_data_visible_q(user)
        ),
        pk,
    )


def organisation_get_for(user, pk: int) -> Organisation:
    rows = Organisation.objects.select_related("grid__community", "building", "house")
    return _get_or_404(rows.filter(policy.base_data_visible_q(user)), pk)


def facility_get_for(user, pk: int) -> Facility:
    rows = Facility.objects.select_related("facility_class__parent", "grid__community", "department")
    return _get_or_404(rows.filter(policy.facilities_visible_q(user)), pk)


def organisations_at(user, *, building: Building | None = None, house: House | None = None):
    """The organisations at a house, or at a building (itself or one of its houses), in the reader's scope."""
    rows = organisations_visible_to(user)
    if house is not None:
        return rows.filter(house=house)
    return rows.filter(Q(building=building) | Q(house__building=building)).distinct()


def occupancy_get_for(user, pk: int) -> Occupancy:
    """The occupancy if `user` may read its house (404 otherwise, like the house itself)."""
    occupancy = Occupancy.objects.select_related("resident", "house").filter(pk=pk).first()
    if occupancy is None:
        raise Http404("No such occupancy")
    occupancy.house = house_get_for(user, occupancy.house_id)
    return occupancy


def occupancies_current(user, *, grid_id: int | None, population: str):
    """Who lives in the reader's grids now (a resident still registered), optionally of one population kind:
    the list behind the grid profile's resident counts."""
    scope = policy.base_data_grid_scope(user)
    rows = Occupancy.objects.select_related("resident", "house__grid__community").filter(
        until__isnull=True, resident__moved_out_on__isnull=True
    )
    if scope is not None:
        rows = rows.filter(house__grid_id__in=scope)
    if grid_id is not None:
        rows = rows.filter(house__grid_id=grid_id)
    if population:
        rows = rows.filter(population=population)
    return rows.order_by("house__address_key", "id")


def house_occupancies(house: House) -> tuple[list[Occupancy], list[Occupancy]]:
    """(who lives there now, who lived there before), each with resident and landlord loaded."""
    rows = list(house.occupancies.select_related("resident", "landlord").order_by("-since", "-id"))
    return [o for o in rows if o.until is None], [o for o in rows if o.until is not None]


def house_landlords(house: House) -> list:
    """The landlords named by the house's current tenants (a rented house shows them beside the tenants)."""
    seen = {}
    for occupancy in house.occupancies.filter(until__isnull=True, landlord__isnull=False).select_related(
        "landlord"
    ):
        seen.setdefault(occupancy.landlord_id, occupancy.landlord)
    return list(seen.values())


def resident_occupancies(resident) -> list[Occupancy]:
    """A resident's homes, the current one first."""
    # The current home (no `until`) first on every database: PostgreSQL sorts NULLs last unless told.
    rows = resident.occupancies.select_related("house__building")
    return list(rows.order_by(F("until").desc(nulls_first=True), "-since"))


def unmatched_for(user, *, grid_id: int | None = None) -> QuerySet[UnmatchedAddress]:
    rows = UnmatchedAddress.objects.select_related("resident", "grid__community").filter(
        policy.base_data_visible_q(user)
    )
    return rows.filter(grid_id=grid_id) if grid_id is not None else rows


def facility_classes() -> list[FacilityClass]:
    """Minor classes with their major, in code order (the forms' choices)."""
    return list(FacilityClass.objects.filter(parent__isnull=False).select_related("parent").order_by("code"))


# --- locating by address ---------------------------------------------------------------------------------

NOT_FOUND = gettext_noop("no building or house of the base data has the address %(address)s")


def house_for_address(text: str, *, grid_id: int | None = None) -> tuple[House | None, str]:
    """The house the free text names, or (None, reason): "no_match" or "ambiguous" (the same address in
    several districts, none of them in `grid_id`)."""
    building_key, house_key = addresses.address_keys(text)
    if house_key is None:
        return None, "no_match"
    rows = list(House.objects.select_related("building").filter(address_key=house_key)[:5])
    if grid_id is not None and len(rows) > 1:
        rows = [row for row in rows if row.grid_id == grid_id] or rows
    if len(rows) == 1:
        return rows[0], ""
    return None, "ambiguous" if rows else "no_match"


@dataclass(frozen=True)
class Located:
    """Where an address is: a point, the grid, and what matched (a house or only its building)."""

    lat: float
    lng: float
    grid_id: int
    address: str
    building: Building | None  # None when told to someone who does not read the grid's base data
    house: House | None


def address_locate(text: str) -> Located:
    """The system's geocoder: the point of the house or building a free-text address names. Raises
    InvalidInput(field="address") naming the address when nothing matches."""
    building_key, house_key = addresses.address_keys(text)
    house = None
    if house_key is not None:
        house = House.objects.select_related("building").filter(address_key=house_key).first()
    building = house.building if house else Building.objects.filter(address_key=building_key).first()
    if building is None:
        raise InvalidInput(NOT_FOUND, address=text[:100], field="address")
    return Located(
        lat=building.lat,
        lng=building.lng,
        grid_id=building.grid_id,
        address=house.address if house else building.address,
        building=building,
        house=house,
    )


def located_for(user, located: Located) -> Located:
    """What `user` may learn of a match. Whether a house is on record, and the rows' ids, are base data:
    readers of the grid's base data get them; anyone else the point, the grid and the building's address."""
    scope = policy.base_data_grid_scope(user)
    if scope is None or located.grid_id in scope:
        return located
    return replace(located, address=located.building.address, building=None, house=None)


# --- the grid profile ------------------------------------------------------------------------------------


def _counted(rows: QuerySet, field: str) -> dict[str, int]:
    return {row[field]: row["n"] for row in rows.values(field).annotate(n=Count("id")).order_by(field)}


@dataclass
class GridProfile:
    grid: Grid
    residents_by_kind: dict[str, int]
    residents_total: int
    houses_by_use: dict[str, int]
    buildings: int
    organisations_by_kind: dict[str, int]
    organisations_by_risk: dict[str, int]
    facilities_by_major: dict[str, int]
    facilities_by_state: dict[str, int]
    unmatched: int


def grid_profile(grid: Grid) -> GridProfile:
    """The base-data counts of one grid, each one grouped query (cases are counted by the page's app)."""
    current = Occupancy.objects.filter(
        house__grid=grid, until__isnull=True, resident__moved_out_on__isnull=True
    )
    by_risk: dict[str, int] = {}
    for tags in (
        Organisation.objects.filter(grid=grid).exclude(risk_tags=[]).values_list("risk_tags", flat=True)
    ):
        for tag in tags:
            by_risk[tag] = by_risk.get(tag, 0) + 1
    facilities = Facility.objects.filter(grid=grid)
    return GridProfile(
        grid=grid,
        residents_by_kind=_counted(current, "population"),
        residents_total=grid.residents.filter(moved_out_on__isnull=True).count(),
        houses_by_use=_counted(House.objects.filter(grid=grid), "use"),
        buildings=Building.objects.filter(grid=grid).count(),
        organisations_by_kind=_counted(Organisation.objects.filter(grid=grid), "kind"),
        organisations_by_risk=by_risk,
        facilities_by_major={
            row["facility_class__parent__code"]: row["n"]
            for row in facilities.values("facility_class__parent__code").annotate(n=Count("id")).order_by()
        },
        facilities_by_state=_counted(facilities, "state"),
        unmatched=UnmatchedAddress.objects.filter(grid=grid).count(),
    )


# --- search across the base data ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    kind: str  # building, house, organisation, facility
    pk: int
    title: str
    detail: str
    grid_label: str


def base_data_search(user, q: str, *, limit: int = SEARCH_LIMIT) -> list[Hit]:
    """Buildings, houses, organisations and facilities whose name, address or code contains `q` (two
    Chinese characters are enough), in the reader's scope; at most `limit` of each kind."""
    terms = addresses.search_terms(q)
    if not terms:
        return []
    scope = policy.base_data_visible_q(user)
    hits: list[Hit] = []
    for building in _building_rows().filter(scope).filter(_address_q(q))[:limit]:
        hits.append(
            Hit("building", building.pk, building.address, building.get_use_display(), building.grid.label)
        )
    houses = House.objects.select_related("grid__community").filter(scope).filter(_address_q(q))
    for house in houses[:limit]:
        hits.append(Hit("house", house.pk, house.address, house.get_use_display(), house.grid.label))
    organisations = (
        Organisation.objects.select_related("grid__community")
        .filter(scope)
        .filter(Q(name__icontains=q.strip()) | Q(address__icontains=q.strip()) | Q(credit_code=terms.upper()))
    )
    for organisation in organisations[:limit]:
        hits.append(
            Hit(
                "organisation",
                organisation.pk,
                organisation.name,
                organisation.address,
                organisation.grid.label,
            )
        )
    facilities = (
        Facility.objects.select_related("facility_class", "grid__community")
        .filter(policy.facilities_visible_q(user))
        .filter(
            Q(code__startswith=terms)
            | Q(name__icontains=q.strip())
            | Q(address__icontains=q.strip())
            | Q(facility_class__name__icontains=q.strip())
        )
    )
    for facility in facilities[:limit]:
        hits.append(
            Hit(
                "facility",
                facility.pk,
                f"{facility.facility_class.name} {facility.code}",
                facility.address or facility.name,
                facility.grid.label,
            )
        )
    return hits
