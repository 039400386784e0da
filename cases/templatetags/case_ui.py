"""Template filters and tags of the case pages: translated labels and the deadline clock."""

from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from gridmgmt import clock, people
from gridmgmt.people import display_name
from gridmgmt.roles import user_roles

from .. import evidence, ui
from ..words import SYSTEM_NOTES

register = template.Library()


def _label(mapping: dict, value) -> str:
    return str(mapping.get(value, value or ""))


@register.filter
def state_label(value: str) -> str:
    return _label(ui.STATE_LABELS, value)


@register.simple_tag(takes_context=True)
def case_state(context, value: str) -> str:
    """`{% case_state case.state %}`: the state as the viewer reads it; someone without a staff role (a
    resident) reads what is happening to the report, not which desk holds it."""
    request = context.get("request")
    viewer = getattr(request, "user", None)
    labels = ui.STATE_LABELS if people.sees_staff_names(viewer) else ui.RESIDENT_STATE_LABELS
    return _label(labels, value)


@register.filter
def action_label(value: str) -> str:
    return _label(ui.ACTION_LABELS, value)


@register.filter
def event_label(value: str) -> str:
    return _label(ui.EVENT_LABELS, value)


@register.filter
def event_note(event) -> str:
    """The event's note: a person's words as written, the system's own notes in the page's language."""
    if event.actor_id is None and event.note in SYSTEM_NOTES:
        return str(SYSTEM_NOTES[event.note])
    return event.note


@register.filter
def role_label(value: str) -> str:
    return _label(ui.ROLE_LABELS, value)


@register.filter
def priority_label(value: int) -> str:
    return _label(ui.PRIORITY_LABELS, value)


@register.filter
def stage_label(value: str) -> str:
    return _label(ui.STAGE_LABELS, value)


@register.filter
def source_label(value: str) -> str:
    return _label(ui.SOURCE_LABELS, value)


@register.filter
def photo_kind_label(value: str) -> str:
    return _label(ui.PHOTO_KIND_LABELS, value)


@register.filter
def category_name(category) -> str:
    return ui.category_label(category, get_language())


@register.filter
def category_path(category) -> str:
    """ "Major / minor" in the page language."""
    if category is None:
        return ""
    language = get_language()
    if category.parent_id is None:
        return ui.category_label(category, language)
    return f"{ui.category_label(category.parent, language)} / {ui.category_label(category, language)}"


@register.simple_tag(takes_context=True)
def deadline_clock(context, case) -> ui.DeadlineClock:
    """`{% deadline_clock case as c %}`: c.status, c.label, c.text, c.due_at, c.seconds_left."""
    now = context.get("now") or clock.now()
    return ui.deadline_clock(case, now)


@register.simple_tag(takes_context=True)
def ago(context, moment) -> str:
    if moment is None:
        return ""
    return ui.ago(moment, context.get("now") or clock.now())


@register.filter
def minutes_span(minutes) -> str:
    """A number of minutes as "2 days, 3 hours" in the page language."""
    try:
        seconds = int(minutes) * 60
    except (TypeError, ValueError):
        return ""
    return ui.duration_text(seconds)


@register.simple_tag(takes_context=True)
def main_nav(context) -> list[dict]:
    """`{% main_nav as items %}`: the navigation the viewer's roles may use."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    match = getattr(request, "resolver_match", None)
    return ui.nav_items(user, user_roles(user), match.url_name if match else None, ui.primary_role(user))


@register.filter
def get(mapping, key):
    """`{{ names|get:code }}`: a dictionary lookup with a variable key."""
    try:
        return mapping.get(key, key)
    except AttributeError:
        return key


# --- a refused action form (cases.views.case_action's `error`): its messages and what was typed -------------


@register.simple_tag
def action_error(error, action: str, name: str) -> str:
    """`{% action_error error action "reason" as message %}`: the message for that field of that form."""
    if not error or error.get("action") != action:
        return ""
    return error.get("fields", {}).get(name, "")


@register.simple_tag
def action_value(error, action: str, name: str) -> str:
    """`{% action_value error action "reason" as typed %}`: what was typed there before the refusal."""
    if not error or error.get("action") != action:
        return ""
    return error.get("values", {}).get(name, "")


# --- evidence of a step (cases.evidence): shown on the timeline to staff ---------------------------------

FLAG_LABELS = {
    evidence.FLAG_NO_POSITION: _("no device position sent"),
    evidence.FLAG_OFF_SITE: _("taken away from the case"),
    evidence.FLAG_IMPRECISE: _("position too imprecise"),
    evidence.FLAG_TRACK_ABSENT: _("the patrol's track was not there"),
    evidence.FLAG_PHOTO_STALE: _("photo taken long before"),
    evidence.FLAG_PHOTO_FUTURE: _("photo time in the future"),
    evidence.FLAG_PHOTO_TIMES_DISAGREE: _("camera and device disagree on the photo's time"),
}

# Events whose data may carry evidence, a desk decision or a delegation.
_EVIDENCE_ACTIONS = {
    "report",
    "resolve",
    "verify_pass",
    "verify_fail",
    "verify_desk",
    "delegate_verification",
}


@register.filter
def flag_label(value: str) -> str:
    return _label(FLAG_LABELS, value)


@register.simple_tag(takes_context=True)
def event_evidence(context, event) -> dict | None:
    """`{% event_evidence e as ev %}`: what the step brought as proof, for staff only (None for others, and
    for events that prove nothing): photos, on site or not with distance and accuracy, the flags in words,
    a desk decision, a delegated verifier with the delegation's reason."""
    if not context.get("staff_view") or event.action not in _EVIDENCE_ACTIONS:
        return None
    data = event.data or {}
    found = data.get("evidence") or {}
    delegations = context.get("delegations") or {}
    shown: dict = {
        "photos": data.get("photos"),
        "desk": bool(data.get("desk")),
        "flags": [_label(FLAG_LABELS, flag) for flag in found.get("flags", [])],
        "rule": found.get("rule", ""),
    }
    if "distance_m" in found:
        position = found.get("position") or {}
        shown.update(
            on_site=bool(found.get("on_site")),
            distance=round(found["distance_m"]),
            accuracy=round(position.get("accuracy", 0)),
            radius=round(found.get("radius_m", 0)),
            lat=position.get("lat"),
            lng=position.get("lng"),
            track=found.get("track", ""),
        )
    if data.get("delegated"):
        delegation = delegations.get(data.get("delegation"))
        shown.update(delegated=True, delegation_reason=delegation.reason if delegation else "")
    if event.action == "delegate_verification":
        delegation = delegations.get(data.get("delegate"))
        shown["delegate"] = display_name(delegation.delegate) if delegation else data.get("delegate", "")
    if not (shown["photos"] or found or shown["desk"] or "delegated" in shown or "delegate" in shown):
        return None
    return shown
