"""What the public case page says: a case's state, place and steps in residents' words, never staff text."""

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import get_language, pgettext, pgettext_lazy

from cases.models import Case
from cases.ui import RESIDENT_STATE_LABELS, category_label
from cases.workflow import Action

# Fixed phrases only: a rejection's reason, a dispatcher's note or a verifier's comment may name people.
_STEP_LABELS = {
    Action.REPORT: pgettext_lazy("public timeline", "Reported"),
    Action.FILE: pgettext_lazy("public timeline", "Accepted by the dispatch center"),
    Action.RESOLVE: pgettext_lazy("public timeline", "Reported fixed"),
    Action.VERIFY_PASS: pgettext_lazy("public timeline", "Fix checked on site; closed"),
    Action.VERIFY_DESK: pgettext_lazy("public timeline", "Closed"),
    Action.REJECT: pgettext_lazy("public timeline", "Not accepted"),
    Action.REOPEN: pgettext_lazy("public timeline", "Reopened: sent back to the department for rework"),
}
# The reporter's rating, shown without who gave it or their comment.
_RATING_LABELS = {
    "satisfied": pgettext_lazy("public timeline", "The reporter rated the result: satisfied"),
    "basically_satisfied": pgettext_lazy(
        "public timeline", "The reporter rated the result: basically satisfied"
    ),
    "dissatisfied": pgettext_lazy("public timeline", "The reporter rated the result: dissatisfied"),
}


@dataclass(frozen=True)
class Step:
    action: str
    label: str
    at: dt.datetime


def state_label(case: Case) -> str:
    """The state in residents' words, for every viewer: staff on the public page see what the public sees."""
    return str(RESIDENT_STATE_LABELS.get(case.state, case.state))


def category_path(case: Case) -> str:
    """ "市容环境 › 垃圾堆放": the major class, then the minor class, in the page language."""
    language = get_language()
    names = [category_label(case.category.parent, language), category_label(case.category, language)]
    return " › ".join(name for name in names if name)


def place_label(case: Case) -> str:
    """The rough place as people say it (grid, community, street: Grid.place); never the address nor the
    coordinates."""
    return case.grid.place if case.grid is not None else ""


def steps(case: Case) -> list[Step]:
    """The public steps of `case` (public_case_get's public_events), oldest first."""
    result = []
    for event in case.public_events:
        if event.action == Action.DISPATCH:
            if event.department_name:
                label = pgettext("public timeline", "Sent to %(department)s") % {
                    "department": event.department_name
                }
            else:
                label = pgettext("public timeline", "Sent to the responsible department")
        elif event.action == Action.RATE:
            rating = _RATING_LABELS.get((event.data or {}).get("rating"))
            if rating is None:
                continue
            label = str(rating)
        else:
            label = str(_STEP_LABELS[event.action])
        result.append(Step(action=event.action, label=label, at=event.created_at))
    return result
