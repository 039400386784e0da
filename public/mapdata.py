"""The public map's reads: public cases in a box (clustered by cell when zoomed out, one by one up close),
the recent public cases, and the place search over the base data (roads, standard addresses, grids).

Only public cases (Case.is_public, with a number) are ever read here, and of them only what the public case
page shows: number, category, the state in residents' words, the report date, the supporters, a point
rounded to about ten metres. Rejected cases and cases closed long ago stay off the map.
"""

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.db.models.functions import Floor
from django.urls import reverse
from django.utils.translation import get_language, gettext_noop

from cases.models import OPEN_STATES, Case, CaseState, Category
from cases.ui import RESIDENT_STATE_LABELS, category_label
from gridmgmt.caching import ProcessCache
from gridmgmt.errors import InvalidInput
from grids.models import Grid
from places import addresses
from places.models import Building, Road
from places.selectors import address_locate

# Below this zoom the map gets one feature per cell of the screen, with its count; from it on, each case.
CLUSTER_BELOW_ZOOM = 16
# A cell is about this many screen pixels wide (256 px tiles): a dozen cells across a phone's screen.
CELL_PIXELS = 64
# The widest box the map may ask for, in degrees of latitude and of longitude (a city, with room).
MAX_SPAN_DEGREES = 5.0
# Points are rounded to 4 decimals (~10 m): the map shows roughly where, as the case page does.
POINT_DECIMALS = 4
STATES = ("all", "open", "closed")
PLACE_RESULTS = 10
PLACE_QUERY_MAX = 100


@dataclass(frozen=True)
class MapQuery:
    west: float
    south: float
    east: float
    north: float
    zoom: int
    category_ids: tuple[int, ...] | None  # None: every category
    state: str  # all (open and recently closed), open, closed (recently)

    @property
    def clustered(self) -> bool:
        return self.zoom < CLUSTER_BELOW_ZOOM


# --- reading the request ----------------------------------------------------------------------------------


def _category_ids_load() -> dict[str, tuple[int, ...]]:
    """{code: ids}: a minor class is itself, a major class itself and its minor classes."""
    rows = list(Category.objects.values_list("id", "code", "parent_id"))
    code_of = {pk: code for pk, code, _ in rows}
    found: dict[str, list[int]] = {code: [pk] for pk, code, _ in rows}
    for pk, _, parent_id in rows:
        if parent_id is not None and parent_id in code_of:
            found[code_of[parent_id]].append(pk)
    return {code: tuple(sorted(ids)) for code, ids in found.items()}


category_ids_by_code = ProcessCache(_category_ids_load, seconds_setting="CATEGORIES_CACHE_SECONDS")


def _bbox_refused() -> InvalidInput:
    return InvalidInput(
        gettext_noop("bbox must be four numbers: west,south,east,north in degrees"), field="bbox"
    )


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _bbox_refused() from None
    if not math.isfinite(value):
        raise _bbox_refused()
    return value


def map_query_read(params: Mapping[str, str]) -> MapQuery:
    """The map's question from the query string (bbox=west,south,east,north, zoom, category, state);
    InvalidInput naming the field when any part of it is wrong."""
    parts = (params.get("bbox") or "").split(",")
    if len(parts) != 4:
        raise _bbox_refused()
    west, south, east, north = (_number(part) for part in parts)
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InvalidInput(
            gettext_noop(
                "bbox must have west < east within ±180 and south < north within ±90 (west,south,east,north)"
            ),
            field="bbox",
        )
    if east - west > MAX_SPAN_DEGREES or north - south > MAX_SPAN_DEGREES:
        raise InvalidInput(
            gettext_noop("the box is too large: at most %(n)s degrees each way; zoom in"),
            n=int(MAX_SPAN_DEGREES),
            field="bbox",
        )
    zoom_text = (params.get("zoom") or "").strip()
    if not (zoom_text.isascii() and zoom_text.isdigit() and 0 <= int(zoom_text) <= 20):
        raise InvalidInput(gettext_noop("zoom must be a whole number from 0 to 20"), field="zoom")
    code = (params.get("category") or "").strip()
    category_ids = None
    if code:
        category_ids = category_ids_by_code.get().get(code)
        if category_ids is None:
            raise InvalidInput(
                gettext_noop("there is no category %(code)s"), code=code[:20], field="category"
            )
    state = (params.get("state") or "all").strip()
    if state not in STATES:
        raise InvalidInput(gettext_noop("state must be open, closed or all"), field="state")
    return MapQuery(west, south, east, north, int(zoom_text), category_ids, state)


# --- the cases on the map ---------------------------------------------------------------------------------


def public_cases() -> QuerySet[Case]:
    return Case.objects.filter(number__isnull=False, is_public=True)


def shown_q(state: str, *, now: dt.datetime) -> Q:
    """The cases the map shows for a state filter: open ones, ones closed in the last
    PUBLIC_MAP_CLOSED_DAYS ("fixed recently", as FixMyStreet shows them), or both. Never rejected ones."""
    parts = _shown_parts(state, now=now)
    return parts[0] if len(parts) == 1 else parts[0] | parts[1]


def _shown_parts(state: str, *, now: dt.datetime) -> list[Q]:
    """shown_q as its parts: the open cases, the recently closed ones. Counted apart, each part is read
    from its own partial index alone (an index-only scan), where their OR would visit the table."""
    since = now - dt.timedelta(days=settings.PUBLIC_MAP_CLOSED_DAYS)
    open_q = Q(state__in=OPEN_STATES)
    closed_q = Q(state=CaseState.CLOSED, closed_at__gte=since)
    return {"open": [open_q], "closed": [closed_q]}.get(state, [open_q, closed_q])


def _in_box(query: MapQuery) -> QuerySet[Case]:
    rows = public_cases().filter(
        lat__gte=query.south, lat__lte=query.north, lng__gte=query.west, lng__lte=query.east
    )
    if query.category_ids is not None:
        rows = rows.filter(category_id__in=query.category_ids)
    return rows


def _cell_size(query: MapQuery) -> tuple[float, float]:
    """(degrees of latitude, of longitude) of a cell: CELL_PIXELS at the zoom, grown when the box would
    hold more cells than one answer may carry (a client asking for a big box at a high zoom)."""
    lng_step = 360 / 2**query.zoom * CELL_PIXELS / 256
    middle = math.radians((query.south + query.north) / 2)
    lat_step = lng_step * max(math.cos(middle), 0.05)  # square on the screen (Web Mercator, locally)
    limit = settings.PUBLIC_MAP_MAX_FEATURES
    while (
        (math.floor(query.north / lat_step) - math.floor(query.south / lat_step) + 1)
        * (math.floor(query.east / lng_step) - math.floor(query.west / lng_step) + 1)
    ) > limit:
        lat_step, lng_step = lat_step * 1.5, lng_step * 1.5
    return lat_step, lng_step


def _point(lat: float, lng: float) -> dict:
    return {"type": "Point", "coordinates": [round(lng, POINT_DECIMALS), round(lat, POINT_DECIMALS)]}


def _clusters(query: MapQuery, *, now: dt.datetime) -> tuple[list[dict], bool, int]:
    """One feature per cell that holds cases: its count, at the mean of its cases' points. One grouped
    query per part of the state filter (GROUP BY the cell's row and column: SQLite and PostgreSQL alike),
    the parts' cells added up here."""
    lat_step, lng_step = _cell_size(query)
    limit = settings.PUBLIC_MAP_MAX_FEATURES
    cells: dict[tuple[int, int], list[float]] = {}
    for part in _shown_parts(query.state, now=now):
        rows = (
            _in_box(query)
            .filter(part)
            .annotate(row=Floor(F("lat") / lat_step), col=Floor(F("lng") / lng_step))
            .values_list("row", "col")
            .annotate(n=Count("*"), sum_lat=Sum("lat"), sum_lng=Sum("lng"))
            .order_by()
        )
        for row, col, n, sum_lat, sum_lng in rows:
            cell = cells.setdefault((int(row), int(col)), [0, 0.0, 0.0])
            cell[0] += n
            cell[1] += sum_lat
            cell[2] += sum_lng
    # Never more than the limit, though cells are sized so that it does not happen: the fullest are kept.
    ranked = sorted(cells.items(), key=lambda item: (-item[1][0], item[0]))
    features = [
        {
            "type": "Feature",
            "geometry": _point(sum_lat / n, sum_lng / n),
            "properties": {"cluster": True, "count": n},
        }
        for _, (n, sum_lat, sum_lng) in ranked[:limit]
    ]
    return features, len(ranked) > limit, sum(cell[0] for _, cell in ranked[:limit])


def _cases(query: MapQuery, *, now: dt.datetime) -> tuple[list[dict], bool, int]:
    """Each case in the box, the most recent first, at most PUBLIC_MAP_MAX_FEATURES."""
    limit = settings.PUBLIC_MAP_MAX_FEATURES
    rows = list(
        _in_box(query)
        .filter(shown_q(query.state, now=now))
        .select_related("category")
        .only(
            "number",
            "lat",
            "lng",
            "state",
            "reported_at",
            "supporter_count",
            "category__code",
            "category__name",
            "category__name_en",
        )
        .order_by("-reported_at", "-id")[: limit + 1]
    )
    language = get_language()
    features = [
        {
            "type": "Feature",
            "geometry": _point(case.lat, case.lng),
            "properties": {
                "number": case.number,
                "category": case.category.code,
                "category_name": category_label(case.category, language),
                "state": "open" if case.is_open else "closed",
                "state_label": str(RESIDENT_STATE_LABELS.get(case.state, case.state)),
                "reported": case.reported_at.date().isoformat(),
                "supporters": case.supporter_count,
                "url": reverse("public-case", kwargs={"number": case.number}),
            },
        }
        for case in rows[:limit]
    ]
    return features, len(rows) > limit, len(features)


def public_map_features(query: MapQuery, *, now: dt.datetime) -> dict:
    """The map's answer, a GeoJSON FeatureCollection: clusters (`count`) below CLUSTER_BELOW_ZOOM, cases
    above; never more than PUBLIC_MAP_MAX_FEATURES features (`truncated` says when some were left out)."""
    read = _clusters if query.clustered else _cases
    features, truncated, total = read(query, now=now)
    return {
        "type": "FeatureCollection",
        "clustered": query.clustered,
        "truncated": truncated,
        "total": total,
        "features": features,
    }


def recent_public_cases(*, limit: int = 10) -> list[Case]:
    """The most recent public cases (the front page's list, for readers without the map), never rejected
    ones; with category and place loaded."""
    return list(
        public_cases()
        .exclude(state=CaseState.REJECTED)
        .select_related("category", "grid__community__parent")
        .order_by("-reported_at", "-id")[:limit]
    )


# --- finding a place --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    label: str
    lat: float
    lng: float
    kind: str  # address, road, building, grid

    def as_json(self) -> dict:
        return {
            "label": self.label,
            "lat": round(self.lat, 6),
            "lng": round(self.lng, 6),
            "kind": self.kind,
        }


def place_search(text: str, *, limit: int = PLACE_RESULTS) -> list[Place]:
    """Places of the base data a resident may name: a standard address (the building's point, through the
    system's geocoder), roads (the middle of their buildings), buildings by address, grids and communities
    by name. Never a house or who lives there: a house's address finds its building. At most `limit`."""
    text = (text or "").strip()[:PLACE_QUERY_MAX]
    terms = addresses.search_terms(text)  # InvalidInput for text no address has (control characters)
    if len(terms) < 2:
        return []
    found: list[Place] = []
    try:
        located = address_locate(text)
    except InvalidInput:
        located = None
    if located is not None and located.building is not None:
        found.append(Place(located.building.address, located.lat, located.lng, "address"))
    roads = (
        Road.objects.filter(Q(name__contains=text) | Q(key__contains=terms))
        .annotate(n=Count("buildings"), mean_lat=Avg("buildings__lat"), mean_lng=Avg("buildings__lng"))
        .filter(n__gt=0)
        .order_by("name", "id")[:limit]
    )
    found += [Place(road.name, road.mean_lat, road.mean_lng, "road") for road in roads]
    grids = (
        Grid.objects.select_related("community__parent")
        .filter(Q(name__contains=text) | Q(community__name__contains=text))
        .order_by("code")[:limit]
    )
    found += [
        Place(grid.place, (grid.min_lat + grid.max_lat) / 2, (grid.min_lng + grid.max_lng) / 2, "grid")
        for grid in grids
    ]
    buildings = Building.objects.filter(address__contains=terms).order_by("address_key", "id")
    found += [
        Place(building.address, building.lat, building.lng, "building")
        for building in buildings.only("address", "lat", "lng")[:limit]
    ]
    seen: set[tuple[str, str]] = set()
    unique = []
    for place in found:
        if (place.kind == "building" and ("address", place.label) in seen) or (
            place.kind,
            place.label,
        ) in seen:
            continue
        seen.add((place.kind, place.label))
        unique.append(place)
    return unique[:limit]
