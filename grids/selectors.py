"""Reads of the grid layer: point → grid through an in-process STRtree, grids in a user's scope,
administrator workload (with per-grid counts the apps above contribute), and the resident registry.

All spatial reads live here so a PostGIS backend could replace the STRtree without touching callers.
"""

import copy
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from gridmgmt import policy
from gridmgmt.people import display_name_of
from gridmgmt.roles import Role, has_role
from gridmgmt.sorting import natural_key

from . import pii
from .geometry import to_shape
from .models import (
    Grid,
    GridAssignment,
    GridLayerVersion,
    Jurisdiction,
    Resident,
    ResidentImportJob,
    grid_label,
)
from .spatial import GridIndex

logger = logging.getLogger(__name__)

# --- Point → grid -----------------------------------------------------------------------------------------
# Each process keeps one GridIndex (grids.spatial) of the whole layer, tagged with the layer token it was
# built from: (version, changed_at) of the single GridLayerVersion row, which grids.services.grid_layer_bump
# changes in the same transaction as every layer write. changed_at is in the token because a rolled-back
# transaction (every test, an aborted import) returns the version number to a value a later, different
# layer will reach again.
#
# Staleness: a lookup re-reads the token at most once every settings.GRID_INDEX_CHECK_SECONDS (default 1 s;
# 0 = on every lookup), so a change committed by any process is seen by every process within that interval,
# without a restart. The process that writes the change sees it on its next lookup: grid_layer_bump calls
# grid_index_invalidate (at once and again on commit). The token is read *before* the grids, so an index is
# never older than its tag; a write landing in between only costs one extra rebuild.
#
# Threads: the index is immutable and swapped in whole, so readers take no lock; checks and rebuilds are
# serialised by _index_lock, so concurrent requests do not each rebuild the same layer.


@dataclass(frozen=True)
class _CachedIndex:
    token: tuple
    index: GridIndex[int]
    generation: int  # the invalidation generation current when the token was confirmed
    checked_at: float  # time.monotonic() just before the token was read
    # Grid rows (with community, street, district) already looked up under this token, by id: a report
    # then costs no grid query. Every grid write bumps the token, which starts an empty dict; a rename of a
    # community or street alone shows here after the next layer change.
    grids: dict = field(default_factory=dict)


_index_lock = threading.Lock()
_index: _CachedIndex | None = None  # tests may set this to None to drop the cached index
_generations = itertools.count(1)
_generation = 0
_clock = time.monotonic  # a module attribute so tests can move time forward


def grid_layer_version() -> int:
    """Goes up whenever a grid is added, edited or removed (grids.services bumps it), in any process."""
    return GridLayerVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0


def _layer_token() -> tuple:
    return GridLayerVersion.objects.filter(pk=1).values_list("version", "changed_at").first() or (0, None)


def grid_index_invalidate() -> None:
    """Make the next lookup in this process re-read the layer token (and rebuild if it moved)."""
    global _generation
    _generation = next(_generations)  # atomic under the GIL; any change defeats an in-flight confirmation


def grid_index_reset() -> None:
    """Drop this process's index entirely; the next lookup rebuilds it."""
    global _index
    _index = None


def _index_build() -> GridIndex[int]:
    entries = []
    for grid_id, code, boundary in Grid.objects.order_by("code").values_list("id", "code", "boundary"):
        try:
            geometry = to_shape(boundary)
        except Exception:  # one unreadable boundary must not stop every lookup
            logger.exception("grid %s has an unreadable boundary; it is left out of the point index", code)
            continue
        entries.append((code, grid_id, geometry))
    return GridIndex(entries)


def _confirmed_recently(cached: _CachedIndex | None, interval: float) -> bool:
    return cached is not None and cached.generation == _generation and _clock() - cached.checked_at < interval


def _layer_cached() -> _CachedIndex:
    global _index
    interval = float(getattr(settings, "GRID_INDEX_CHECK_SECONDS", 1.0))
    cached = _index  # one read of the global: it may be swapped at any moment
    if _confirmed_recently(cached, interval):
        return cached
    with _index_lock:
        cached = _index
        if _confirmed_recently(cached, interval):  # another thread checked while this one waited
            return cached
        generation = _generation  # before the read: an invalidation from now on forces another check
        checked_at = _clock()
        token = _layer_token()
        if cached is not None and cached.token == token:
            index, grids = cached.index, cached.grids
        else:
            index, grids = _index_build(), {}
        _index = _CachedIndex(
            token=token, index=index, generation=generation, checked_at=checked_at, grids=grids
        )
        return _index


def _layer_index() -> GridIndex[int]:
    return _layer_cached().index


def grid_locate_id(*, lat: float, lng: float) -> int | None:
    """The id of the grid containing the point, or None when it lies outside every grid.

    A point on an edge or corner shared by several grids is covered by all of them; the lowest grid code
    wins, so the answer is the same in every process and on every run.
    """
    return _layer_index().locate(lat=lat, lng=lng)


def _grid_row(cached: _CachedIndex, grid_id: int) -> Grid | None:
    grid = cached.grids.get(grid_id)
    if grid is None:
        grid = (
            Grid.objects.select_related("community__parent__parent")
            .defer("boundary")
            .filter(pk=grid_id)
            .first()
        )
        if grid is not None:
            cached.grids[grid_id] = grid
    # The caller's own copy (sharing the jurisdiction rows); its boundary is loaded only if read.
    return copy.copy(grid) if grid is not None else None


def grid_get(grid_id: int) -> Grid | None:
    """A grid with its community, street and district, mostly without a query (routing reads it per case)."""
    return _grid_row(_layer_cached(), grid_id)


def grid_locate(*, lat: float, lng: float) -> Grid | None:
    """The grid containing the point (with its community, street and district), or None when outside."""
    for _ in range(2):
        cached = _layer_cached()
        grid_id = cached.index.locate(lat=lat, lng=lng)
        if grid_id is None:
            return None
        grid = _grid_row(cached, grid_id)
        if grid is not None:
            return grid
        # Deleted by another process since this one last checked the layer: check now and look again.
        grid_index_invalidate()
    return None


def grid_locate_many(points: Iterable[tuple[float, float]]) -> list[int | None]:
    """Grid ids for a batch of (lat, lng) points, in order; None for each point outside every grid.

    One bulk STRtree query: for imports and reports that place thousands of points at once.
    """
    return _layer_index().locate_many(points)


def grids_intersecting(geometry) -> list[tuple[int, object]]:
    """(grid id, shapely geometry) of the grids a geometry (a patrol's track) touches: the cached layer."""
    return _layer_index().intersecting(geometry)


def grid_geometries(grid_ids: Iterable[int]) -> dict[int, object]:
    """Shapely geometries of these grids from the cached layer (grids not in the layer are left out)."""
    index = _layer_index()
    found = {grid_id: index.geometry_of(grid_id) for grid_id in grid_ids}
    return {grid_id: geometry for grid_id, geometry in found.items() if geometry is not None}


def grids_for_user(user) -> QuerySet[Grid]:
    """Grids a user may see: administrators their own; dispatchers, supervisors and staff all of them."""
    qs = Grid.objects.select_related("community__parent")
    if has_role(user, Role.DISPATCHER, Role.SUPERVISOR, Role.DEPARTMENT_STAFF) or user.is_superuser:
        return qs
    if has_role(user, Role.GRID_ADMIN):
        return qs.filter(assignments__user=user)
    return qs.none()


def grid_ids_of_administrator(user) -> set[int]:
    return set(user.grid_assignments.values_list("grid_id", flat=True))


def jurisdiction_ancestor_ids(grid: Grid) -> list[int]:
    """The community, street and district ids above a grid, nearest first."""
    ids: list[int] = []
    node: Jurisdiction | None = grid.community
    while node is not None:
        ids.append(node.id)
        node = node.parent
    return ids


# --- Resident registry (reads; who sees what is decided in gridmgmt.policy) -----------------------------


def residents_visible_to(
    user, *, grid_id: int | None = None, id_number: str = "", include_moved_out: bool = False
) -> QuerySet[Resident]:
    """Residents `user` may see one by one, optionally in one grid or with one exact ID number.

    An ID number is searched through its keyed hash: the clear number is never compared in the database.
    """
    qs = Resident.objects.filter(policy.residents_visible_q(user)).select_related("grid")
    if grid_id is not None:
        qs = qs.filter(grid_id=grid_id)
    if id_number:
        qs = qs.filter(id_number_hash=pii.hash_id_number(id_number.strip().upper()))
    if not include_moved_out:
        qs = qs.filter(moved_out_on__isnull=True)
    return qs.order_by("grid__code", "household_no", "id")


def resident_get_for(user, pk: int) -> Resident:
    """The resident if `user` may see them; 404 otherwise, so nobody can probe which ids exist."""
    resident = Resident.objects.select_related("grid").filter(pk=pk).first()
    if resident is None or not policy.can_view_resident(user, resident):
        raise Http404("No such resident")
    return resident


def resident_counts_by_grid(user) -> QuerySet[Grid]:
    """Grids in `user`'s count scope, each with `current` and `moved_out` resident counts."""
    scope = policy.resident_count_scope(user)
    qs = Grid.objects.all() if scope is None else Grid.objects.filter(id__in=scope)
    return qs.annotate(
        current=Count("residents", filter=Q(residents__moved_out_on__isnull=True)),
        moved_out=Count("residents", filter=Q(residents__moved_out_on__isnull=False)),
    ).order_by("code")


def resident_import_job_get_for(user, pk: int) -> ResidentImportJob:
    """An import job for the person who uploaded it (or a superuser); 404 for everyone else."""
    job = ResidentImportJob.objects.filter(pk=pk).first()
    if job is None or not (user.is_superuser or job.created_by_id == user.pk):
        raise Http404("No such import")
    return job


# --- Administrator workload -------------------------------------------------------------------------------
# Per grid administrator: the grids they hold, total area, current residents, open and overdue cases in those
# grids. A grid shared by two administrators counts fully for each. Load = the number of grids a person holds
# (anywhere, whatever jurisdiction is shown): carrying several grids is the weakness the page is for, and a
# grid count is what a dispatcher can change here. Above settings.ADMIN_LOAD_THRESHOLD grids → overloaded.
# A grid counts as unassigned when no *active* grid administrator holds it: a deactivated account, or one
# whose grid-administrator role was removed, patrols nothing.
# People are listed by name and grids by label, in natural order (gridmgmt.sorting: 2 before 10).


@dataclass(frozen=True)
class HeldGrid:
    code: str
    label: str  # grids.models.grid_label: the name, with the community where the name lacks it


@dataclass(frozen=True)
class AdministratorWorkload:
    user_id: int
    username: str
    name: str  # gridmgmt.people.display_name: the full name, else the username
    grids: tuple[HeldGrid, ...]  # the grids held inside the jurisdiction shown, by label
    area_km2: float
    residents: int
    open_cases: int
    overdue_cases: int
    load: int  # grids held in all
    overloaded: bool
    can_patrol: bool  # active, and holds the grid-administrator role

    @property
    def grid_codes(self) -> tuple[str, ...]:
        return tuple(grid.code for grid in self.grids)


@dataclass(frozen=True)
class UnassignedGrid:
    code: str
    name: str
    label: str  # grids.models.grid_label
    area_km2: float
    residents: int
    open_cases: int
    overdue_cases: int
    nominal_holders: tuple[str, ...]  # names of the people who hold it but cannot patrol


@dataclass(frozen=True)
class Workload:
    administrators: list[AdministratorWorkload]
    unassigned: list[UnassignedGrid]
    load_threshold: int
    residents_counted: bool  # False while the project has no resident registry


def _count_per_grid(qs: QuerySet) -> Coalesce:
    """A correlated COUNT of `qs` rows for the outer grid: one subquery, no join fan-out between relations."""
    counted = qs.filter(grid=OuterRef("pk")).order_by().values("grid").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


def _current_residents() -> QuerySet | None:
    """Residents who have not moved out; None when there is no registry (Grid.residents) to count."""
    try:
        registry = Grid._meta.get_field("residents").related_model
    except FieldDoesNotExist:
        return None
    today = timezone.localdate()
    return registry.objects.filter(Q(moved_out_on__isnull=True) | Q(moved_out_on__gt=today))


# The workload's case figures are counted per grid, but cases stand above grids: the cases app registers the
# rows to count (AppConfig.ready) and grids never imports it. Unregistered figures count 0.
WORKLOAD_COUNTS = ("open_cases", "overdue_cases")
_workload_rows: dict[str, Callable[[object], QuerySet]] = {}


def workload_count_register(name: str, rows: Callable[[object], QuerySet]) -> None:
    """Count `rows(now)` (a queryset of a model with a `grid` foreign key) per grid as the figure `name`."""
    if name not in WORKLOAD_COUNTS:
        raise ValueError(f"unknown workload figure {name!r}; known: {', '.join(WORKLOAD_COUNTS)}")
    _workload_rows[name] = rows


def _workload_counts(now) -> dict[str, Coalesce | Value]:
    return {
        name: _count_per_grid(_workload_rows[name](now)) if name in _workload_rows else Value(0)
        for name in WORKLOAD_COUNTS
    }


def administrator_workload(
    *, jurisdiction: Jurisdiction | None = None, load_threshold: int | None = None, administrator=None
) -> Workload:
    """Workload per grid administrator and the grids nobody patrols, in three queries whatever the size.

    `jurisdiction` limits the grids (and so the figures) to one district, street or community, and the
    rows to the people holding a grid there; without it every grid-administrator account is listed, idle
    ones too. `administrator` narrows the report to that one person's row (and no unassigned list).
    """
    threshold = settings.ADMIN_LOAD_THRESHOLD if load_threshold is None else load_threshold
    now = timezone.now()
    grids = Grid.objects.all()
    if jurisdiction is not None:
        grids = grids.filter(code__startswith=jurisdiction.code)
    if administrator is not None:
        grids = grids.filter(assignments__user=administrator)
    residents = _current_residents()
    # 1. The figures of every grid in scope.
    grid_rows = grids.annotate(
        **_workload_counts(now),
        resident_count=_count_per_grid(residents) if residents is not None else Value(0),
    ).values_list(
        "id", "code", "name", "area_m2", "resident_count", "open_cases", "overdue_cases", "community__name"
    )
    figures = {row[0]: row[1:-1] for row in grid_rows}
    labels = {row[0]: grid_label(row[2], row[-1] or "") for row in grid_rows}
    # 2. Who holds which of those grids.
    holdings = GridAssignment.objects.filter(grid_id__in=grids.values("id")).values_list("user_id", "grid_id")
    held: dict[int, list[int]] = {}
    holders: dict[int, list[int]] = {}
    for user_id, grid_id in holdings:
        held.setdefault(user_id, []).append(grid_id)
        holders.setdefault(grid_id, []).append(user_id)
    # 3. The people: holders in scope, plus every grid-administrator account when no scope is given.
    is_grid_admin = Exists(
        get_user_model().groups.through.objects.filter(user_id=OuterRef("pk"), group__name=Role.GRID_ADMIN)
    )
    holds_in_scope = Exists(
        GridAssignment.objects.filter(user_id=OuterRef("pk"), grid_id__in=grids.values("id"))
    )
    people = get_user_model().objects.all()
    if administrator is not None:
        people = people.filter(pk=administrator.pk)
    elif jurisdiction is not None:
        people = people.filter(holds_in_scope)
    else:
        people = people.filter(is_grid_admin | holds_in_scope)
    people_rows = people.annotate(load=Count("grid_assignments"), is_grid_admin=is_grid_admin).values_list(
        "id", "username", "first_name", "last_name", "is_active", "is_grid_admin", "load"
    )

    def by_label(grid_id: int) -> tuple:
        return natural_key(labels[grid_id]), figures[grid_id][0]

    administrators: list[AdministratorWorkload] = []
    patrolled: set[int] = set()  # grid ids held by at least one person who can patrol
    cannot_patrol: dict[int, str] = {}  # user id → name of holders who cannot
    for user_id, username, first, last, active, grid_admin, load in people_rows:
        mine_ids = sorted((g for g in held.get(user_id, ()) if g in figures), key=by_label)
        mine = [figures[g] for g in mine_ids]
        name = display_name_of(username, first, last)
        can_patrol = bool(active and grid_admin)
        if can_patrol:
            patrolled.update(held.get(user_id, ()))
        else:
            cannot_patrol[user_id] = name
        administrators.append(
            AdministratorWorkload(
                user_id=user_id,
                username=username,
                name=name,
                grids=tuple(HeldGrid(code=figures[g][0], label=labels[g]) for g in mine_ids),
                area_km2=sum(f[2] for f in mine) / 1e6,
                residents=sum(f[3] for f in mine),
                open_cases=sum(f[4] for f in mine),
                overdue_cases=sum(f[5] for f in mine),
                load=load,
                overloaded=load > threshold,
                can_patrol=can_patrol,
            )
        )
    administrators.sort(key=lambda a: (natural_key(a.name), natural_key(a.username)))
    unassigned = []
    if administrator is None:
        for grid_id in sorted(figures, key=by_label):
            code, name, area, resident_count, open_cases, overdue = figures[grid_id]
            if grid_id in patrolled:
                continue
            unassigned.append(
                UnassignedGrid(
                    code=code,
                    name=name,
                    label=labels[grid_id],
                    area_km2=area / 1e6,
                    residents=resident_count,
                    open_cases=open_cases,
                    overdue_cases=overdue,
                    nominal_holders=tuple(
                        sorted(
                            (cannot_patrol[u] for u in holders.get(grid_id, ()) if u in cannot_patrol),
                            key=natural_key,
                        )
                    ),
                )
            )
    return Workload(
        administrators=administrators,
        unassigned=unassigned,
        load_threshold=threshold,
        residents_counted=residents is not None,
    )


def grid_choices(*, jurisdiction: Jurisdiction | None = None) -> list[HeldGrid]:
    """Every grid (under `jurisdiction`, if given) as code and label, by label in natural order: the
    suggestions of a form that takes a grid code. One query."""
    grids = Grid.objects.all()
    if jurisdiction is not None:
        grids = grids.filter(code__startswith=jurisdiction.code)
    choices = [
        HeldGrid(code=code, label=grid_label(name, community or ""))
        for code, name, community in grids.values_list("code", "name", "community__name")
    ]
    return sorted(choices, key=lambda g: (natural_key(g.label), g.code))


# --- Resident registry: the API's list filters ------------------------------------------------------------


def residents_filter(
    residents: QuerySet[Resident],
    *,
    grid: str | None = None,
    care_tag: str | None = None,
    moved_out: bool | None = None,
) -> QuerySet[Resident]:
    """Narrow an already scoped queryset (residents_visible_to(..., include_moved_out=True)) by grid code,
    one care tag, and moved out or not (None: both)."""
    if grid:
        residents = residents.filter(grid__code=grid)
    if care_tag:
        if connection.features.supports_json_field_contains:
            residents = residents.filter(care_tags__contains=[care_tag])
        else:
            # SQLite has no JSON containment: match the quoted code in the stored JSON text. Codes are
            # whole words, so '"veteran"' cannot match inside another tag.
            residents = residents.filter(care_tags__icontains=f'"{care_tag}"')
    if moved_out is not None:
        residents = residents.filter(moved_out_on__isnull=not moved_out)
    return residents
