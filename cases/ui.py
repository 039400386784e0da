"""Presentation helpers for the case pages: translated labels, the deadline clock, translated domain errors.

The models keep plain English choice labels (they are contracts shared with the API and Open311); the
browser pages show these translated labels instead.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from gridmgmt.errors import DomainError
from gridmgmt.messages import MessagePattern, message_translate
from gridmgmt.roles import Role, user_roles

from .models import Case, CasePhoto, CaseState
from .workflow import Action

STATE_LABELS = {
    CaseState.REPORTED: pgettext_lazy("case state", "reported"),
    CaseState.FILED: pgettext_lazy("case state", "filed"),
    CaseState.DISPATCHED: pgettext_lazy("case state", "dispatched"),
    CaseState.IN_PROGRESS: pgettext_lazy("case state", "in progress"),
    CaseState.RETURNED: pgettext_lazy("case state", "returned"),
    CaseState.RESOLVED: pgettext_lazy("case state", "resolved, awaiting verification"),
    CaseState.CLOSED: pgettext_lazy("case state", "closed"),
    CaseState.REJECTED: pgettext_lazy("case state", "rejected"),
}

# What the button says.
ACTION_LABELS = {
    Action.REPORT: pgettext_lazy("action", "Report"),
    Action.FILE: pgettext_lazy("action", "File"),
    Action.REJECT: pgettext_lazy("action", "Reject"),
    Action.DISPATCH: pgettext_lazy("action", "Dispatch"),
    Action.ACCEPT: pgettext_lazy("action", "Accept"),
    Action.RETURN: pgettext_lazy("action", "Return to dispatch"),
    Action.REQUEST_EXTENSION: pgettext_lazy("action", "Request extension"),
    Action.APPROVE_EXTENSION: pgettext_lazy("action", "Approve extension"),
    Action.DENY_EXTENSION: pgettext_lazy("action", "Deny extension"),
    Action.SUSPEND: pgettext_lazy("action", "Suspend"),
    Action.RESUME: pgettext_lazy("action", "Resume"),
    Action.RESOLVE: pgettext_lazy("action", "Report fixed"),
    Action.VERIFY_PASS: pgettext_lazy("action", "Pass and close"),
    Action.VERIFY_FAIL: pgettext_lazy("action", "Fail: send back for rework"),
}

# What the timeline says happened (workflow actions and the system's own events).
EVENT_LABELS = {
    Action.REPORT: pgettext_lazy("event", "reported"),
    Action.FILE: pgettext_lazy("event", "filed"),
    Action.REJECT: pgettext_lazy("event", "rejected"),
    Action.DISPATCH: pgettext_lazy("event", "dispatched"),
    Action.ACCEPT: pgettext_lazy("event", "accepted"),
    Action.RETURN: pgettext_lazy("event", "returned to dispatch"),
    Action.REQUEST_EXTENSION: pgettext_lazy("event", "extension requested"),
    Action.APPROVE_EXTENSION: pgettext_lazy("event", "extension approved"),
    Action.DENY_EXTENSION: pgettext_lazy("event", "extension denied"),
    Action.SUSPEND: pgettext_lazy("event", "suspended"),
    Action.RESUME: pgettext_lazy("event", "resumed"),
    Action.RESOLVE: pgettext_lazy("event", "reported fixed"),
    Action.VERIFY_PASS: pgettext_lazy("event", "verified and closed"),
    Action.VERIFY_FAIL: pgettext_lazy("event", "failed verification: rework"),
    "route": pgettext_lazy("event", "routed"),
    "deadline_warning": pgettext_lazy("event", "deadline warning"),
    "deadline_overdue": pgettext_lazy("event", "deadline passed"),
    "escalated": pgettext_lazy("event", "escalated to supervisors"),
}

# The verb inside "cannot … a case" / "only a … may … a case" (cases.services.ACTION_VERBS).
_VERBS = {
    "report": _("report"),
    "file": _("file"),
    "reject": _("reject"),
    "dispatch": _("dispatch"),
    "accept": _("accept"),
    "return": _("return"),
    "request an extension for": _("request an extension for"),
    "approve an extension for": _("approve an extension for"),
    "deny an extension for": _("deny an extension for"),
    "suspend": _("suspend"),
    "resume": _("resume"),
    "resolve": _("resolve"),
    "close": _("close"),
    "send back for rework": _("send back for rework"),
}

ROLE_LABELS = {
    Role.GRID_ADMIN: _("grid administrator"),
    Role.DISPATCHER: _("dispatcher"),
    Role.DEPARTMENT_STAFF: _("department staff"),
    Role.SUPERVISOR: _("supervisor"),
    Role.RESIDENT: _("resident"),
    Role.SYSTEM: _("system"),
}

PRIORITY_LABELS = {
    Case.Priority.URGENT: _("urgent"),
    Case.Priority.HIGH: _("high"),
    Case.Priority.NORMAL: _("normal"),
}

STAGE_LABELS = {
    Case.Stage.FILING: _("filing"),
    Case.Stage.DISPATCH: _("dispatch"),
    Case.Stage.HANDLING: _("handling"),
    Case.Stage.VERIFICATION: _("verification"),
}

SOURCE_LABELS = {
    Case.Source.PATROL: _("patrol"),
    Case.Source.RESIDENT: _("resident"),
    Case.Source.OPEN311: _("Open311 app"),
    Case.Source.HOTLINE: _("hotline"),
}

PHOTO_KIND_LABELS = {
    CasePhoto.Kind.REPORT: _("report photo"),
    CasePhoto.Kind.EVIDENCE: _("fix evidence"),
    CasePhoto.Kind.VERIFICATION: _("verification photo"),
}


def category_label(category, language: str | None = None) -> str:
    """The category's name in the page language (English names where the taxonomy has them)."""
    if category is None:
        return ""
    if (language or "").startswith("en") and getattr(category, "name_en", ""):
        return category.name_en
    return category.name


# --- the deadline clock -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadlineClock:
    status: str  # "none", "ontime", "warning", "overdue", "suspended"
    due_at: dt.datetime | None
    seconds_left: int | None  # negative once overdue

    @property
    def label(self) -> str:
        return str(_CLOCK_LABELS[self.status])

    @property
    def short(self) -> str:
        """The time part for a badge that already says the status: "2 hours left" / "2 hours" (late)."""
        if self.status == "none" or self.seconds_left is None:
            return ""
        span = duration_text(abs(self.seconds_left))
        if self.status == "overdue":
            return span
        return gettext("%(time)s left") % {"time": span}

    @property
    def text(self) -> str:
        """ "3 hours, 5 minutes left", "overdue by 2 days", "clock stopped: 1 hour left"…, localised."""
        if self.status == "none" or self.seconds_left is None:
            return ""
        span = duration_text(abs(self.seconds_left))
        if self.status == "suspended":
            return gettext("clock stopped: %(time)s left") % {"time": span}
        if self.seconds_left < 0:
            return gettext("overdue by %(time)s") % {"time": span}
        return gettext("%(time)s left") % {"time": span}


_CLOCK_LABELS = {
    "none": _("no deadline"),
    "ontime": _("on time"),
    "warning": _("due soon"),
    "overdue": _("overdue"),
    "suspended": _("suspended"),
}


def duration_text(seconds: int) -> str:
    base = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    if seconds < 60:
        return gettext("less than a minute")
    return timeuntil(base + dt.timedelta(seconds=seconds), base, depth=2)


def deadline_clock(case: Case, now: dt.datetime) -> DeadlineClock:
    """Where a case stands against its running deadline. Colours follow the precomputed warning point."""
    if not case.is_open or case.deadline_at is None:
        return DeadlineClock("none", None, None)
    if case.suspended_at is not None:
        return DeadlineClock("suspended", case.deadline_at, case.suspended_remaining_s or 0)
    left = int((case.deadline_at - now).total_seconds())
    if left < 0:
        status = "overdue"
    elif case.deadline_warn_at is not None and now >= case.deadline_warn_at:
        status = "warning"
    else:
        status = "ontime"
    return DeadlineClock(status, case.deadline_at, left)


def ago(moment: dt.datetime, now: dt.datetime) -> str:
    return gettext("%(time)s ago") % {"time": timesince(moment, now, depth=1)}


# --- domain errors in the page language --------------------------------------------------------------------
# The services raise plain English messages (the API and Open311 send them as they are). The browser pages
# show them translated: each known message shape is matched and rebuilt from a translated template; an
# unknown shape is shown as it is, so a new message degrades to English instead of disappearing.

_FIELDS = {
    "reason": _("reason"),
    "notes": _("notes"),
    "note": _("note"),
    "description": _("description"),
    "address": _("address"),
    "reporter name": _("reporter name"),
    "reporter contact": _("reporter contact"),
}
_WHERE = {
    "your grids": _("your grids"),
    "your department": _("your department"),
    "your scope": _("your scope"),
}


def _states(value: str) -> str:
    for state, label in STATE_LABELS.items():
        if CaseState(state).label == value:
            return str(label)
    return value


def _roles(value: str) -> str:
    labels = {Role.LABELS[role]: label for role, label in ROLE_LABELS.items()}
    return gettext(" or ").join(str(labels.get(part, part)) for part in value.split(" or "))


_PATTERNS: list[MessagePattern] = [
    (re.compile(r"^(?P<field>.+) is required$"), _("%(field)s is required"), {"field": _FIELDS}),
    (
        re.compile(r"^(?P<field>.+) is longer than (?P<n>\d+) characters$"),
        _("%(field)s is longer than %(n)s characters"),
        {"field": _FIELDS},
    ),
    (
        re.compile(r"^only a (?P<roles>.+) may (?P<verb>.+) a case$"),
        _("only a %(roles)s may %(verb)s a case"),
        {"roles": _roles, "verb": _VERBS},
    ),
    (
        re.compile(r"^you may not (?P<verb>.+) this case: it is not in (?P<where>.+)$"),
        _("you may not %(verb)s this case: it is not in %(where)s"),
        {"verb": _VERBS, "where": _WHERE},
    ),
    (
        re.compile(r"^cannot (?P<verb>.+) a case that is (?P<state>.+)$"),
        _("cannot %(verb)s a case that is %(state)s"),
        {"verb": _VERBS, "state": _states},
    ),
    (
        re.compile(r"^the case was changed by someone else meanwhile; reload it and try again$"),
        _("the case was changed by someone else meanwhile; reload it and try again"),
        {},
    ),
    (
        re.compile(r"^the category or the grid was changed meanwhile; send the report again$"),
        _("the category or the grid was changed meanwhile; send the report again"),
        {},
    ),
    (re.compile(r"^the case is already suspended$"), _("the case is already suspended"), {}),
    (re.compile(r"^the case is not suspended$"), _("the case is not suspended"), {}),
    (
        re.compile(r"^the location needs numeric latitude and longitude$"),
        _("the location needs numeric latitude and longitude"),
        {},
    ),
    (
        re.compile(r"^latitude must be within ±90 and longitude within ±180$"),
        _("latitude must be within ±90 and longitude within ±180"),
        {},
    ),
    (re.compile(r"^choose an active minor category$"), _("choose an active minor category"), {}),
    (
        re.compile(r"^priority must be 1 \(urgent\), 2 \(high\) or 3 \(normal\)$"),
        _("priority must be 1 (urgent), 2 (high) or 3 (normal)"),
        {},
    ),
    (
        re.compile(r"^the location is outside the jurisdiction: no grid contains it$"),
        _("the location is outside the jurisdiction: no grid contains it"),
        {},
    ),
    (re.compile(r"^a case cannot duplicate itself$"), _("a case cannot duplicate itself"), {}),
    (
        re.compile(r"^case (?P<number>\S+) is itself rejected; link the surviving case$"),
        _("case %(number)s is itself rejected; link the surviving case"),
        {},
    ),
    (re.compile(r"^choose an active department$"), _("choose an active department"), {}),
    (re.compile(r"^minutes must be a whole number$"), _("minutes must be a whole number"), {}),
    (
        re.compile(r"^an extension is between 1 and (?P<n>\d+) minutes$"),
        _("an extension is between 1 and %(n)s minutes"),
        {},
    ),
    (
        re.compile(r"^an extension request for this case is already waiting for a decision$"),
        _("an extension request for this case is already waiting for a decision"),
        {},
    ),
    (
        re.compile(r"^there is no pending extension request for this case$"),
        _("there is no pending extension request for this case"),
        {},
    ),
    (
        re.compile(r"^(?P<name>.+) is larger than (?P<n>\d+) MB$"),
        _("%(name)s is larger than %(n)s MB"),
        {},
    ),
    (re.compile(r"^(?P<name>.+) is not a readable image$"), _("%(name)s is not a readable image"), {}),
    (
        re.compile(r"^(?P<name>.+): (?P<format>\S+) images are not accepted$"),
        _("%(name)s: %(format)s images are not accepted"),
        {},
    ),
    (re.compile(r"^at most (?P<n>\d+) photos per step$"), _("at most %(n)s photos per step"), {}),
    (
        re.compile(r"^(?P<name>.+) is incomplete or damaged \("),
        _("%(name)s is incomplete or damaged: send the whole photo again"),
        {},
    ),
    (
        re.compile(r"^[a-z ]+ contains (a NUL|a control|an invalid) character"),
        _("The text contains characters that cannot be accepted (NUL or control characters): remove them."),
        {},
    ),
]


def domain_message(exc: DomainError | str) -> str:
    """The error's message in the active language (as it is when its shape is unknown)."""
    message = exc.message if isinstance(exc, DomainError) else str(exc)
    return message_translate(message, patterns=_PATTERNS)


# --- navigation: only what the viewer's roles may use -----------------------------------------------------

# Whose console a user lands on when they hold several roles: the busiest desk first.
_HOME_ORDER = (Role.DISPATCHER, Role.SUPERVISOR, Role.DEPARTMENT_STAFF, Role.GRID_ADMIN, Role.RESIDENT)


def primary_role(user) -> str | None:
    """The role whose console is the user's home page (superusers without a role get the overview)."""
    roles = user_roles(user)
    for role in _HOME_ORDER:
        if role in roles:
            return role
    return Role.SUPERVISOR if user.is_superuser else None


_NAV = (
    # (url name, label, roles that see it; None = superusers too)
    ("dispatch-queue", _("Dispatch queue"), {Role.DISPATCHER}),
    ("supervisor-overview", _("Overview"), {Role.SUPERVISOR, None}),
    ("department-queue", _("Department queue"), {Role.DEPARTMENT_STAFF}),
    ("home", _("My grids"), {Role.GRID_ADMIN}),
    ("case-report", _("Report a case"), {Role.GRID_ADMIN, Role.RESIDENT}),
    ("my-reports", _("My reports"), {Role.GRID_ADMIN, Role.RESIDENT}),
    ("verification-queue", _("Verify"), {Role.GRID_ADMIN}),
    ("dispatch-map", _("Case map"), {Role.DISPATCHER, Role.SUPERVISOR, None}),
    ("case-search", _("Search"), {Role.DISPATCHER, Role.SUPERVISOR, Role.DEPARTMENT_STAFF, None}),
    ("grid-partition-index", _("Partition"), {Role.DISPATCHER, Role.SUPERVISOR, None}),
    ("resident-list", _("Residents"), {Role.GRID_ADMIN, Role.DISPATCHER, Role.SUPERVISOR, None}),
    ("grid-workload", _("Workload"), {Role.GRID_ADMIN, Role.DISPATCHER, Role.SUPERVISOR, None}),
    ("evaluation-dashboard", _("Evaluation"), {Role.SUPERVISOR, Role.DISPATCHER, None}),
)

# The page each role's home ("home") shows, so the right tab is marked current there.
HOME_PAGE = {
    Role.DISPATCHER: "dispatch-queue",
    Role.SUPERVISOR: "supervisor-overview",
    Role.DEPARTMENT_STAFF: "department-queue",
    Role.GRID_ADMIN: "home",
    Role.RESIDENT: "my-reports",
}

_SAME_PAGE = {"grid-partition": "grid-partition-index", "evaluation-formulas": "evaluation-dashboard"}


def nav_items(user, roles: frozenset[str], current: str | None, home_role: str | None) -> list[dict]:
    """The main navigation: [{"name", "label", "current"}] for the viewer's roles."""
    if current == "home":
        current = HOME_PAGE.get(home_role, "home")
    current = _SAME_PAGE.get(current, current)
    items = []
    for name, label, allowed in _NAV:
        visible = bool(roles & allowed) or (user.is_superuser and None in allowed)
        # "My grids" is the home page only when the grid administrator's console is the user's home.
        if name == "home" and home_role != Role.GRID_ADMIN:
            visible = False
        if visible:
            items.append({"name": name, "label": label, "current": name == current})
    if user.is_staff:
        items.append({"name": "admin:index", "label": _("Configuration"), "current": False})
    return items
