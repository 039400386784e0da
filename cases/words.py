"""The words the case services put into their sentences (refusals, notices): lazy translations whose
English is the API's wording, so one raise gives the API its English and a page its own language."""

from django.utils.functional import lazy
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from gridmgmt.roles import ROLE_NAMES, Role

from .models import Case, CaseState
from .workflow import Action

# The verb inside "cannot … a case" / "only a … may … a case".
ACTION_VERBS = {
    Action.REPORT: _("report"),
    Action.FILE: _("file"),
    Action.REJECT: _("reject"),
    Action.DISPATCH: _("dispatch"),
    Action.ACCEPT: _("accept"),
    Action.RETURN: _("return"),
    Action.REQUEST_EXTENSION: _("request an extension for"),
    Action.APPROVE_EXTENSION: _("approve an extension for"),
    Action.DENY_EXTENSION: _("deny an extension for"),
    Action.SUSPEND: _("suspend"),
    Action.RESUME: _("resume"),
    Action.RESOLVE: _("resolve"),
    Action.VERIFY_PASS: _("close"),
    Action.VERIFY_FAIL: _("send back for rework"),
    Action.VERIFY_DESK: _("close at the desk"),
    Action.DELEGATE_VERIFICATION: _("delegate the verification of"),
    Action.CALLBACK: _("record a call back on"),
    Action.PUBLICITY: _("decide the publicity of"),
    Action.SUPPORT: _("support"),
    Action.RATE: _("rate"),
    Action.REOPEN: _("reopen"),
    Action.REVIEW_KEEP: _("keep closed"),
}

# A state inside a sentence: the model's own label in English ("a case that is resolved").
STATE_WORDS = {
    CaseState.REPORTED: pgettext_lazy("case state", "reported"),
    CaseState.FILED: pgettext_lazy("case state", "filed"),
    CaseState.DISPATCHED: pgettext_lazy("case state", "dispatched"),
    CaseState.IN_PROGRESS: pgettext_lazy("case state", "in progress"),
    CaseState.RETURNED: pgettext_lazy("case state", "returned"),
    CaseState.RESOLVED: pgettext_lazy("case state", "resolved"),
    CaseState.CLOSED: pgettext_lazy("case state", "closed"),
    CaseState.REJECTED: pgettext_lazy("case state", "rejected"),
}

ROLE_LABELS = ROLE_NAMES  # Role.LABELS, translated (gridmgmt.roles)

# The text fields the services check, as a sentence names them ("description is required").
FIELD_WORDS = {
    "reason": _("reason"),
    "notes": _("notes"),
    "note": _("note"),
    "description": _("description"),
    "address": _("address"),
    "reporter_name": _("reporter name"),
    "reporter_contact": _("reporter contact"),
    "caller_name": _("caller's name"),
    "public_description": _("public description"),
    "comment": _("comment"),
}

# Where an actor's scope lies, in "it is not in …".
SCOPE_WORDS = {
    Role.GRID_ADMIN: _("your grids"),
    Role.DEPARTMENT_STAFF: _("your department"),
}
SCOPE_ANY = _("your scope")

# A deadline's stage inside a notice ("handling due …").
STAGE_WORDS = {
    Case.Stage.FILING: _("filing"),
    Case.Stage.DISPATCH: _("dispatch"),
    Case.Stage.HANDLING: _("handling"),
    Case.Stage.VERIFICATION: _("verification"),
}

# What a deadline alert says happened, in a notice's subject.
ALERT_WORDS = {
    "deadline_warning": _("deadline warning"),
    "deadline_overdue": _("deadline overdue"),
    "escalated": pgettext_lazy("deadline alert", "escalated"),
}


def _category_name(category) -> str:
    if (get_language() or "").startswith("en") and getattr(category, "name_en", ""):
        return category.name_en
    return category.name


# The category's name in the language active when it is shown (English where the taxonomy has it).
category_name = lazy(_category_name, str)

# Notes the system writes on its own events. They are hashed into the case's audit chain, so they are stored
# as these fixed strings, whatever the language; a page shows each in its own language (case_ui.event_note).
NOTE_AUTO_FILED = "auto-filed by routing rule"
NOTE_AUTO_DISPATCHED = "auto-dispatched"
SYSTEM_NOTES = {
    NOTE_AUTO_FILED: _("filed automatically by a routing rule"),
    NOTE_AUTO_DISPATCHED: _("dispatched automatically by a routing rule"),
}
