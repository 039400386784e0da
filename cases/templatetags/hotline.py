"""Template tags of the hotline: a case's caller (masked) for the case page, the call back's label."""

from django import template

from gridmgmt.roles import Role, user_roles

from .. import hotline

register = template.Library()


@register.simple_tag(takes_context=True)
def case_caller(context, case) -> dict | None:
    """The case's caller masked for the viewer (cases.hotline.caller_for) and whether they may reveal it;
    None when the case has no caller or the viewer may not see it (a resident, an outsider)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not hotline.may_see_caller(user, case):
        return None
    caller = hotline.caller_for(case, user)
    if caller is None:
        return None
    return {**caller, "may_reveal": Role.DISPATCHER in user_roles(user)}


@register.filter
def callback_label(value: str) -> str:
    """What the caller said when called back, in the page's language."""
    label = hotline.CALLBACK_LABELS.get(value)
    return str(label) if label is not None else value
