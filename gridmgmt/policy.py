"""Who may see and act on what: the one place views, the API, Open311 and services ask."""

from django.db.models import Q

from .roles import Role, user_roles

_EVERYWHERE = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.SYSTEM})


def _grid_ids(user) -> set[int]:
    cached = getattr(user, "_gridmgmt_grid_ids", None)
    if cached is None:
        cached = set(user.grid_assignments.values_list("grid_id", flat=True))
        user._gridmgmt_grid_ids = cached
    return cached


def _department_ids(user) -> set[int]:
    cached = getattr(user, "_gridmgmt_department_ids", None)
    if cached is None:
        cached = set(user.departments.filter(is_active=True).values_list("id", flat=True))
        user._gridmgmt_department_ids = cached
    return cached


def _delegated_case_ids(user) -> set[int]:
    """The cases whose on-site verification was delegated to this grid administrator (and still stands)."""
    cached = getattr(user, "_gridmgmt_delegated_case_ids", None)
    if cached is None:
        cached = set(user.verifications_delegated.filter(is_active=True).values_list("case_id", flat=True))
        user._gridmgmt_delegated_case_ids = cached
    return cached


def verification_delegated_to(user, case) -> bool:
    """Was this case's on-site verification delegated to `user` (a grid administrator of another grid)?"""
    return Role.GRID_ADMIN in user_roles(user) and case.pk in _delegated_case_ids(user)


def role_covers_case(user, role: str, case) -> bool:
    """Does acting in `role` give `user` this case? (The role itself is checked by the caller.)"""
    if role in _EVERYWHERE:
        return True
    if role == Role.GRID_ADMIN:
        return case.grid_id is not None and case.grid_id in _grid_ids(user)
    if role == Role.DEPARTMENT_STAFF:
        return case.department_id is not None and case.department_id in _department_ids(user)
    if role == Role.RESIDENT:
        return case.reporter_id is not None and case.reporter_id == user.pk
    return False


def role_covers_grid(user, role: str, grid_id: int | None) -> bool:
    """May `user` report into this grid in `role`? Administrators report in their own grids only."""
    if role == Role.GRID_ADMIN:
        return grid_id is not None and grid_id in _grid_ids(user)
    return True


def can_view_case(user, case) -> bool:
    if user.is_superuser:
        return True
    if case.reporter_id is not None and case.reporter_id == user.pk:
        return True
    return any(role_covers_case(user, role, case) for role in user_roles(user)) or verification_delegated_to(
        user, case
    )


def cases_visible_q(user) -> Q:
    """A filter for the cases a user may see; an empty match for nobody."""
    roles = user_roles(user)
    if user.is_superuser or roles & _EVERYWHERE:
        return Q()
    q = Q(reporter_id=user.pk)
    if Role.GRID_ADMIN in roles:
        q |= Q(grid_id__in=_grid_ids(user))
        if delegated := _delegated_case_ids(user):
            q |= Q(pk__in=delegated)
    if Role.DEPARTMENT_STAFF in roles:
        q |= Q(department_id__in=_department_ids(user))
    return q


# --- Residents (PII) ------------------------------------------------------------------------------------
# Grid administrators keep the registry of their own grids: they see, edit and reveal those residents only.
# Anyone else sees individual residents only through an explicit grant (a permission given in the admin).
# Dispatchers and supervisors see counts per grid; department staff, residents and outsiders see nothing.
# A superuser holds every permission, so the has_perm checks below let the system administrator in.
RESIDENT_VIEW_PERM = "grids.view_resident"
RESIDENT_CHANGE_PERM = "grids.change_resident"
RESIDENT_REVEAL_PERM = "grids.reveal_resident_pii"
_RESIDENT_COUNTS = frozenset({Role.DISPATCHER, Role.SUPERVISOR})


def resident_grid_scope(user) -> set[int] | None:
    """Grid ids whose residents `user` may see one by one (masked); None means every grid."""
    if not user.is_authenticated:
        return set()
    if user.has_perm(RESIDENT_VIEW_PERM) or user.has_perm(RESIDENT_REVEAL_PERM):
        return None
    if Role.GRID_ADMIN in user_roles(user):
        return set(_grid_ids(user))
    return set()


def resident_count_scope(user) -> set[int] | None:
    """Grid ids whose resident counts `user` may see; None means every grid."""
    scope = resident_grid_scope(user)
    if scope is None or user_roles(user) & _RESIDENT_COUNTS:
        return None
    return scope


def residents_visible_q(user) -> Q:
    """A filter for the residents `user` may see individually; an empty match for nobody."""
    scope = resident_grid_scope(user)
    if scope is None:
        return Q()
    return Q(grid_id__in=scope) if scope else Q(pk__in=[])


def can_view_resident(user, resident) -> bool:
    scope = resident_grid_scope(user)
    return scope is None or resident.grid_id in scope


def resident_editable_grid_ids(user) -> set[int] | None:
    """Grids in which `user` may register, edit and move out residents; None means every grid."""
    if not user.is_authenticated:
        return set()
    if user.has_perm(RESIDENT_CHANGE_PERM):
        return None
    if Role.GRID_ADMIN in user_roles(user):
        return set(_grid_ids(user))
    return set()


def can_edit_resident_in(user, grid_id: int | None) -> bool:
    editable = resident_editable_grid_ids(user)
    return editable is None or (grid_id is not None and grid_id in editable)


def resident_reveal_basis(user, resident) -> str | None:
    """Why `user` may reveal this resident's ID number or phone ("grid_admin" / "permission"), or None."""
    if not user.is_authenticated or not user.is_active:
        return None
    if Role.GRID_ADMIN in user_roles(user) and resident.grid_id in _grid_ids(user):
        return "grid_admin"
    if user.has_perm(RESIDENT_REVEAL_PERM):
        return "permission"
    return None


# --- Grid layer reports -----------------------------------------------------------------------------------
_LAYER_REPORTS = frozenset({Role.DISPATCHER, Role.SUPERVISOR})


def can_view_partition_report(user) -> bool:
    """Coverage, gaps and balance of the grid layer: for the dispatch centre and supervisors (they may see
    resident counts per grid, see resident_count_scope); grid administrators and staff get 403."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or bool(user_roles(user) & _LAYER_REPORTS)


# --- Administrator workload -------------------------------------------------------------------------------
# The dispatch centre and supervisors see every administrator's workload; a grid administrator sees their
# own row; department staff, residents and outsiders get 403. Only superusers and dispatchers (who run the
# grid teams day to day) change who holds a grid.
_WORKLOAD_EVERYONE = frozenset({Role.DISPATCHER, Role.SUPERVISOR})


def workload_scope(user) -> str | None:
    """Which workload rows `user` may see: "all", "own" (a grid administrator's row) or None (403)."""
    if not user.is_authenticated:
        return None
    roles = user_roles(user)
    if user.is_superuser or roles & _WORKLOAD_EVERYONE:
        return "all"
    if Role.GRID_ADMIN in roles:
        return "own"
    return None


def can_assign_grids(user) -> bool:
    return user.is_authenticated and (user.is_superuser or Role.DISPATCHER in user_roles(user))


# --- Evaluation (综合评价) -------------------------------------------------------------------------------
# Supervisors and the dispatch centre see the evaluation dashboard and its exports (figures and the case
# list, which carries no resident PII); only supervisors (and superusers) store a recomputation.
_EVALUATION_VIEWERS = frozenset({Role.DISPATCHER, Role.SUPERVISOR})


def can_view_evaluation(user) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_superuser or bool(user_roles(user) & _EVALUATION_VIEWERS)


def can_recompute_evaluation(user) -> bool:
    return user.is_authenticated and (user.is_superuser or Role.SUPERVISOR in user_roles(user))


# --- Base data (places: buildings, houses, occupancies, organisations, facilities) ---------------------
# Grid administrators keep the base data of their own grids. Dispatchers and supervisors read all of it
# (occupants' PII stays masked unless granted, exactly as in the registry). Department staff see the
# facilities their department maintains, nothing else. A granted `places.change_building` edits everywhere.
BASE_DATA_CHANGE_PERM = "places.change_building"


def base_data_grid_scope(user) -> set[int] | None:
    """Grid ids whose buildings, houses and organisations `user` may read; None means every grid."""
    if not user.is_authenticated:
        return set()
    roles = user_roles(user)
    if user.is_superuser or roles & _EVERYWHERE or user.has_perm(BASE_DATA_CHANGE_PERM):
        return None
    if Role.GRID_ADMIN in roles:
        return set(_grid_ids(user))
    return set()


def base_data_editable_grid_ids(user) -> set[int] | None:
    """Grids whose base data `user` may write; None means every grid."""
    if not user.is_authenticated:
        return set()
    if user.has_perm(BASE_DATA_CHANGE_PERM):
        return None
    if Role.GRID_ADMIN in user_roles(user):
        return set(_grid_ids(user))
    return set()


def can_edit_base_data_in(user, grid_id: int | None) -> bool:
    editable = base_data_editable_grid_ids(user)
    return editable is None or (grid_id is not None and grid_id in editable)


def base_data_visible_q(user) -> Q:
    """A filter (on `grid_id`) for the buildings, houses and organisations `user` may read."""
    scope = base_data_grid_scope(user)
    if scope is None:
        return Q()
    return Q(grid_id__in=scope) if scope else Q(pk__in=[])


def facilities_visible_q(user) -> Q:
    """A filter for the facilities `user` may read: the base-data scope, and department staff their
    department's facilities."""
    scope = base_data_grid_scope(user)
    if scope is None:
        return Q()
    q = Q(grid_id__in=scope) if scope else Q(pk__in=[])
    if Role.DEPARTMENT_STAFF in user_roles(user):
        q |= Q(department_id__in=_department_ids(user))
    return q


# --- Patrols and visits (patrols) ------------------------------------------------------------------------
# Grid administrators patrol and visit; each sees their own patrols and the visits in their grids.
# Supervisors see every patrol and visit, decide on flagged patrols and set the plans; the dispatch centre
# reads them (it runs the grid teams day to day). Department staff and residents see none.
_PATROL_READERS = frozenset({Role.DISPATCHER, Role.SUPERVISOR})


def can_patrol(user) -> bool:
    """May `user` start patrols and record visits? Grid administrators with at least one grid."""
    return user.is_authenticated and Role.GRID_ADMIN in user_roles(user) and bool(_grid_ids(user))


def patrol_scope(user) -> str | None:
    """Which patrols and visits `user` reads: "all", "own" (own patrols, visits in own grids) or None."""
    if not user.is_authenticated:
        return None
    roles = user_roles(user)
    if user.is_superuser or roles & _PATROL_READERS:
        return "all"
    if Role.GRID_ADMIN in roles:
        return "own"
    return None


def patrols_visible_q(user) -> Q:
    scope = patrol_scope(user)
    if scope == "all":
        return Q()
    if scope == "own":
        return Q(patroller_id=user.pk)
    return Q(pk__in=[])


def visits_visible_q(user) -> Q:
    scope = patrol_scope(user)
    if scope == "all":
        return Q()
    if scope == "own":
        return Q(grid_id__in=_grid_ids(user)) | Q(visitor_id=user.pk)
    return Q(pk__in=[])


def can_review_patrols(user) -> bool:
    """Supervisors decide whether a flagged patrol counts."""
    return user.is_authenticated and (user.is_superuser or Role.SUPERVISOR in user_roles(user))


def can_visit_in(user, grid_id: int | None) -> bool:
    return can_patrol(user) and grid_id is not None and grid_id in _grid_ids(user)


def patrol_grid_ids(user) -> set[int]:
    """The grids a patroller answers for (their plan, coverage and the `outside` flag are judged on these)."""
    return set(_grid_ids(user))
