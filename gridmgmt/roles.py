"""Roles as Django groups, and the helpers that tell which roles a user holds."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils.translation import gettext_lazy as _


class Role:
    GRID_ADMIN = "grid_admin"
    DISPATCHER = "dispatcher"
    DEPARTMENT_STAFF = "department_staff"
    SUPERVISOR = "supervisor"
    RESIDENT = "resident"
    SYSTEM = "system"  # not a group: the Celery workers acting on their own

    GROUPS = (GRID_ADMIN, DISPATCHER, DEPARTMENT_STAFF, SUPERVISOR, RESIDENT)
    LABELS = {
        GRID_ADMIN: "grid administrator",
        DISPATCHER: "dispatcher",
        DEPARTMENT_STAFF: "department staff",
        SUPERVISOR: "supervisor",
        RESIDENT: "resident",
        SYSTEM: "system",
    }


# Role.LABELS in the language active where they are shown: pages, notices and refusals name roles with these.
ROLE_NAMES = {
    Role.GRID_ADMIN: _("grid administrator"),
    Role.DISPATCHER: _("dispatcher"),
    Role.DEPARTMENT_STAFF: _("department staff"),
    Role.SUPERVISOR: _("supervisor"),
    Role.RESIDENT: _("resident"),
    Role.SYSTEM: _("system"),
}


def user_roles(user: AbstractBaseUser | AnonymousUser | None) -> frozenset[str]:
    """The roles a user holds, cached on the user object for the request."""
    if user is None:
        return frozenset({Role.SYSTEM})
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_gridmgmt_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._gridmgmt_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


def roles_context(request) -> dict:
    """Template context: the viewer's roles, so navigation shows only what the role may use."""
    roles = user_roles(getattr(request, "user", None)) if getattr(request, "user", None) else frozenset()
    return {"viewer_roles": roles}
