"""Presentation helpers for the case pages: translated labels, the deadline clock, the navigation.

The models keep plain English choice labels (they are contracts shared with the API and Open311); the
browser pages show these translated labels instead.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import formats, timezone
from django.utils.text import Truncator
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from gridmgmt.roles import Role, user_roles

from .models import Case, CasePhoto, CaseState
from .words import ROLE_LABELS as ROLE_LABELS  # the role labels pages show (case_ui.role_label)
from .words import STAGE_WORDS
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

# The same states in a resident's words: what happens to their report, not the desk it sits on. A case the
# department handed back to dispatch is, for the resident, still being handled.
RESIDENT_STATE_LABELS = {
    CaseState.REPORTED: pgettext_lazy("case state for residents", "received"),
    CaseState.FILED: pgettext_lazy("case state for residents", "accepted"),
    CaseState.DISPATCHED: pgettext_lazy("case state for residents", "being handled"),
    CaseState.IN_PROGRESS: pgettext_lazy("case state for residents", "being handled"),
    CaseState.RETURNED: pgettext_lazy("case state for residents", "being handled"),
    CaseState.RESOLVED: pgettext_lazy("case state for residents", "fixed, being checked"),
    CaseState.CLOSED: pgettext_lazy("case state for residents", "done"),
    CaseState.REJECTED: pgettext_lazy("case state for residents", "not accepted"),
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
    Action.VERIFY_DESK: pgettext_lazy("action", "Close at the desk"),
    Action.DELEGATE_VERIFICATION: pgettext_lazy("action", "Delegate verification"),
    Action.CALLBACK: pgettext_lazy("action", "Record call back"),
    Action.PUBLICITY: pgettext_lazy("action", "Public or not"),
    Action.SUPPORT: pgettext_lazy("action", "Me too"),
    Action.RATE: pgettext_lazy("action", "Rate the result"),
    Action.REOPEN: pgettext_lazy("action", "Reopen for rework"),
    Action.REVIEW_KEEP: pgettext_lazy("action", "Keep closed"),
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
    Action.VERIFY_DESK: pgettext_lazy("event", "closed at the desk (no on-site check)"),
    Action.DELEGATE_VERIFICATION: pgettext_lazy("event", "verification delegated"),
    Action.CALLBACK: pgettext_lazy("event", "caller called back"),
    Action.PUBLICITY: pgettext_lazy("event", "publicity decided"),
    Action.SUPPORT: pgettext_lazy("event", "supported by a resident"),
    Action.RATE: pgettext_lazy("event", "rated by the reporter"),
    Action.REOPEN: pgettext_lazy("event", "reopened for rework"),
    Action.REVIEW_KEEP: pgettext_lazy("event", "kept closed after review"),
    "supervise": pgettext_lazy("event", "under supervision (督办)"),
    "supervision_ended": pgettext_lazy("event", "supervision ended"),
    "caller_revealed": pgettext_lazy("event", "caller's phone shown"),
    "route": pgettext_lazy("event", "routed"),
    "deadline_warning": pgettext_lazy("event", "deadline warning"),
    "deadline_overdue": pgettext_lazy("event", "deadline passed"),
    "escalated": pgettext_lazy("event", "escalated to supervisors"),
}

PRIORITY_LABELS = {
    Case.Priority.URGENT: _("urgent"),
    Case.Priority.HIGH: _("high"),
    Case.Priority.NORMAL: _("normal"),
}

STAGE_LABELS = STAGE_WORDS  # a stage reads the same on a page as inside a notice's sentence

SOURCE_LABELS = {
    Case.Source.PATROL: _("patrol"),
    Case.Source.RESIDENT: _("resident"),
    Case.Source.OPEN311: _("Open311 app"),
    Case.Source.HOTLINE: _("hotline"),
    Case.Source.PUBLIC: _("public site"),
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
    due_at: dt.datetime | None  # the running deadline; None while suspended (the old one no longer holds)
    seconds_left: int | None  # negative once overdue; while suspended, what is left when resumed
    suspended_since: dt.datetime | None = None
    suspension_reason: str = ""

    @property
    def label(self) -> str:
        return str(_CLOCK_LABELS[self.status])

    @property
    def short(self) -> str:
        """The time part for a badge that already says the status: "2 hours left" / "2 hours" (late) /
        "2 hours left when resumed"."""
        if self.status == "none" or self.seconds_left is None:
            return ""
        span = duration_text(abs(self.seconds_left))
        if self.status == "overdue":
            return span
        if self.status == "suspended":
            return gettext("%(time)s left when resumed") % {"time": span}
        return gettext("%(time)s left") % {"time": span}

    @property
    def text(self) -> str:
        """ "3 hours, 5 minutes left", "overdue by 2 days", "2 hours left when resumed"…, localised."""
        if self.status == "none" or self.seconds_left is None:
            return ""
        if self.status == "suspended":
            return self.short
        span = duration_text(abs(self.seconds_left))
        if self.seconds_left < 0:
            return gettext("overdue by %(time)s") % {"time": span}
        return gettext("%(time)s left") % {"time": span}

    @property
    def since(self) -> str:
        """ "since 3 May 2025 14:00" for a suspended case (its clock stands still from then)."""
        if self.suspended_since is None:
            return ""
        moment = formats.date_format(timezone.localtime(self.suspended_since), "SHORT_DATETIME_FORMAT")
        return gettext("since %(date)s") % {"date": moment}

    @property
    def reason_short(self) -> str:
        """The reason the case was suspended, cut for a badge (the case page shows it whole)."""
        return Truncator(self.suspension_reason).chars(60)


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
    text = timeuntil(base + dt.timedelta(seconds=seconds), base, depth=2)
    # Django joins the units with its list comma ("9 小时，37 分钟"); a duration in Chinese reads without one.
    return pgettext("between the units of a duration", ", ").join(text.split(gettext(", ")))


def deadline_clock(case: Case, now: dt.datetime) -> DeadlineClock:
    """Where a case stands against its running deadline. Colours follow the precomputed warning point.

    A suspended case's clock stands still: it shows since when and why (the `suspension_reason` that
    cases.selectors.with_suspension_reason annotates, when present) and the time left once resumed, never
    its old deadline as if it were running."""
    if not case.is_open or case.deadline_at is None:
        return DeadlineClock("none", None, None)
    if case.suspended_at is not None:
        return DeadlineClock(
            "suspended",
            None,
            case.suspended_remaining_s or 0,
            suspended_since=case.suspended_at,
            suspension_reason=getattr(case, "suspension_reason", None) or "",
        )
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
    ("supervision-list", _("Supervision"), {Role.DISPATCHER, Role.SUPERVISOR, Role.DEPARTMENT_STAFF, None}),
    ("hotline-intake", _("Hotline call"), {Role.DISPATCHER}),
    ("hotline-callbacks", _("Call backs"), {Role.DISPATCHER}),
    ("case-search", _("Search"), {Role.DISPATCHER, Role.SUPERVISOR, Role.DEPARTMENT_STAFF, None}),
    ("grid-partition-index", _("Partition"), {Role.DISPATCHER, Role.SUPERVISOR, None}),
    ("resident-list", _("Residents"), {Role.GRID_ADMIN, Role.DISPATCHER, Role.SUPERVISOR, None}),
    ("places-index", _("Base data"), {Role.GRID_ADMIN, Role.DISPATCHER, Role.SUPERVISOR, None}),
    ("places-facility-list", _("Facilities"), {Role.DEPARTMENT_STAFF}),
    ("patrols-today", _("Patrols"), {Role.GRID_ADMIN}),
    ("visits-list", _("Visits"), {Role.GRID_ADMIN}),
    ("patrols-overview", _("Patrols"), {Role.DISPATCHER, Role.SUPERVISOR, None}),
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

_SAME_PAGE = {
    "grid-partition": "grid-partition-index",
    "evaluation-formulas": "evaluation-dashboard",
    "hotline-caller": "hotline-callbacks",
}


def nav_items(user, roles: frozenset[str], current: str | None, home_role: str | None) -> list[dict]:
    """The main navigation: [{"name", "label", "current"}] for the viewer's roles."""
    if current == "home":
        current = HOME_PAGE.get(home_role, "home")
    current = _SAME_PAGE.get(current, current)
    # Every base-data page (a building, the search, an import) stands under the one tab; department staff
    # have only the facilities, which are their tab.
    if current and current.startswith("places-"):
        base_data_tab = bool(roles & {Role.GRID_ADMIN, Role.DISPATCHER, Role.SUPERVISOR}) or user.is_superuser
        current = "places-index" if base_data_tab else "places-facility-list"
    # Patrol and visit pages stand under the grid administrator's "Patrols" and "Visits" tabs, and under the
    # centre's one "Patrols" tab (its overview leads to the lists, plans and visits).
    if current and current.startswith(("patrol", "visit")):
        if Role.GRID_ADMIN in roles:
            current = "visits-list" if current.startswith("visit") else "patrols-today"
        else:
            current = "patrols-overview"
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
