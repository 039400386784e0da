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
    return any(role_covers_case(user, role, case) for role in user_roles(user))


def cases_visible_q(user) -> Q:
    """A filter for the cases a user may see; an empty match for nobody."""
    roles = user_roles(user)
    if user.is_superuser or roles & _EVERYWHERE:
        return Q()
    q = Q(reporter_id=user.pk)
    if Role.GRID_ADMIN in roles:
        q |= Q(grid_id__in=_grid_ids(user))
    if Role.DEPARTMENT_STAFF in roles:
        q |= Q(department_id__in=_department_ids(user))
    return q
