"""How people are named on pages, exports and e-mails: a display name, and who may see it.

Staff are shown by their name, not their account name: "王伟", not "gridadmin7". An account without a name
falls back to its username. A resident never sees a staff member's name (nor another resident's): pages
they read show a role ("网格员") instead, so `person_name_for` answers "" for them.
"""

from __future__ import annotations

import unicodedata

from .roles import Role, user_roles

# Roles whose holders see the names of the staff they work with.
_STAFF_ROLES = frozenset({Role.GRID_ADMIN, Role.DISPATCHER, Role.DEPARTMENT_STAFF, Role.SUPERVISOR})
# Roles that also see who reported a case as a resident (they call the reporter back).
_SEES_RESIDENTS = frozenset({Role.DISPATCHER, Role.SUPERVISOR})


def _is_cjk(text: str) -> bool:
    return any(unicodedata.name(ch, "").startswith(("CJK UNIFIED", "CJK COMPATIBILITY")) for ch in text)


def full_name(first: str, last: str) -> str:
    """A person's name from Django's two fields, in the order their script writes it.

    Chinese names put the family name first and take no space (last_name 王 + first_name 伟 → "王伟"); a
    name in Latin script keeps Django's "first last". Either field may be empty.
    """
    first, last = (first or "").strip(), (last or "").strip()
    if not first or not last:
        return first or last
    if _is_cjk(first) or _is_cjk(last):
        return f"{last}{first}"
    return f"{first} {last}"


def display_name(user) -> str:
    """The name to show for an account: its full name, else its username; "" for no one."""
    if user is None:
        return ""
    name = full_name(getattr(user, "first_name", ""), getattr(user, "last_name", ""))
    return name or user.get_username()


def display_name_of(username: str, first: str, last: str) -> str:
    """`display_name` from the values of a `values_list(...)` query (no model instance at hand)."""
    return full_name(first, last) or username


def sees_staff_names(viewer) -> bool:
    """Staff (and superusers) see each other's names; residents and outsiders do not."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    return viewer.is_superuser or bool(user_roles(viewer) & _STAFF_ROLES)


def person_name_for(person, *, viewer, acting_as: str = "", fallback: str = "") -> str:
    """The name of `person` as `viewer` may see it, or "" when the page should show a role instead.

    - everyone sees their own name;
    - a resident (or anyone without a staff role) sees nobody else's;
    - staff see staff; someone who acted as a resident (`acting_as`) is named only to dispatchers and
      supervisors, who call reporters back.
    `fallback` (the username frozen on an event whose account was deleted) stands in for a missing person.
    """
    if person is not None and viewer is not None and person.pk == getattr(viewer, "pk", None):
        return display_name(person)
    if not sees_staff_names(viewer):
        return ""
    if acting_as == Role.RESIDENT and not (viewer.is_superuser or user_roles(viewer) & _SEES_RESIDENTS):
        return ""
    if person is None:
        return fallback
    return display_name(person)
