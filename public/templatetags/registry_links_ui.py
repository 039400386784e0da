"""`{% registry_links_pending as n %}`: how many registry link requests wait for the viewing grid
administrator, for the link to their queue on the grid administrator's home (one COUNT, on that page)."""

from django import template

from public.accounts import link_requests_pending_count

register = template.Library()


@register.simple_tag(takes_context=True)
def registry_links_pending(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    return link_requests_pending_count(user) if user is not None and user.is_authenticated else 0
