"""Template filters and tags every page shares: people by name, percentages by one rule."""

from django import template
from django.utils.translation import gettext, pgettext

from .. import figures, people
from ..roles import ROLE_NAMES

register = template.Library()


@register.filter
def percent(fraction) -> str:
    """`{{ rate|percent }}`: 2/3 → "66.7%", None → "—" (gridmgmt.figures has the rule)."""
    return figures.percent_text(fraction)


@register.filter
def display_name(user) -> str:
    """`{{ user|display_name }}`: the full name, else the username (for pages only staff read)."""
    return people.display_name(user)


@register.filter
def role_names(codes: str) -> str:
    """`{{ log.roles|role_names }}`: "grid_admin,superuser" read as "网格员、系统管理员"."""
    names = []
    for code in filter(None, (codes or "").split(",")):
        if code == "superuser":
            names.append(gettext("system administrator"))
        else:
            names.append(str(ROLE_NAMES.get(code, code)))
    return pgettext("between the items of a list", ", ").join(names) if names else "—"


@register.simple_tag(takes_context=True)
def person_name(context, person, acting_as: str = "", fallback: str = "") -> str:
    """`{% person_name e.actor acting_as=e.actor_role fallback=e.actor_username as who %}`: the name the
    viewer may see, or "" where the page shows a role instead (a resident never sees staff names)."""
    request = context.get("request")
    viewer = getattr(request, "user", None)
    return people.person_name_for(person, viewer=viewer, acting_as=acting_as, fallback=fallback)


@register.filter
def named(code, names) -> str:
    """`{{ code|named:names }}`: "渊明第一网格 (36010200100101)", the code beside its name (for pages where
    codes are the subject, such as the partition report); the code alone only where no name is known."""
    name = names.get(code) if hasattr(names, "get") else None
    return f"{name} ({code})" if name else str(code)
