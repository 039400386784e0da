"""Reads for the public site: a public case with its public timeline and photos, and a photo it may show.

Every read here follows the one public decision (Case.is_public): a case that is not public reads exactly
like a number that does not exist.
"""

from django.db.models import Prefetch, Q

from cases.models import Case, CaseEvent, CasePhoto, CaseState
from cases.workflow import Action
from departments.models import Department

# The steps a resident may follow; everything else (notes, extensions, suspension, supervision, delegation,
# call backs, the publicity decision itself, a caller's phone shown) stays inside the city.
PUBLIC_ACTIONS = (
    Action.REPORT,
    Action.FILE,
    Action.DISPATCH,
    Action.RESOLVE,
    Action.VERIFY_PASS,
    Action.VERIFY_DESK,
    Action.REJECT,
    Action.RATE,
    Action.REOPEN,
)


def _public_cases():
    return Case.objects.filter(number__isnull=False, is_public=True)


def _is_case_number(number: str) -> bool:
    """Case numbers are ASCII digits (date and id): anything else is no case, and is never sent to the
    database (PostgreSQL refuses a NUL in a string outright)."""
    return number.isascii() and number.isdigit() and len(number) <= 20


def public_case_get(number: str) -> Case | None:
    """A public case by its number, with `public_events` (the public steps, in order, each dispatch knowing
    its department as `department_name`) and `public_photos`; None when there is none or it is not public.

    Four queries whatever the history's length: the case with its category and place, its public events,
    its photos, and the names of the departments it was sent to.
    """
    if not _is_case_number(number):
        return None
    case = (
        _public_cases()
        .filter(number=number)
        .select_related("category__parent", "grid__community__parent")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=CaseEvent.objects.filter(action__in=PUBLIC_ACTIONS)
                .only("case_id", "seq", "action", "data", "created_at")
                .order_by("seq"),
                to_attr="public_events",
            ),
        )
        .first()
    )
    if case is None:
        return None
    kinds = [CasePhoto.Kind.REPORT] + ([CasePhoto.Kind.EVIDENCE] if case.state == CaseState.CLOSED else [])
    case.public_photos = list(
        CasePhoto.objects.filter(case=case, kind__in=kinds)
        .only("id", "case_id", "kind", "created_at")
        .order_by("created_at", "id")
    )
    codes = {(e.data or {}).get("department") for e in case.public_events if e.action == Action.DISPATCH}
    codes.discard(None)
    names = dict(Department.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
    for event in case.public_events:
        event.department_name = names.get((event.data or {}).get("department"), "")
    return case


def public_case_photo(number: str, photo_id: int) -> CasePhoto | None:
    """A photo the public page of case `number` shows (a report photo; the fix's evidence once the case is
    closed); None for any other photo, a hidden case's included."""
    if not _is_case_number(number):
        return None
    return (
        CasePhoto.objects.filter(pk=photo_id, case__number=number, case__is_public=True)
        .filter(Q(kind=CasePhoto.Kind.REPORT) | Q(kind=CasePhoto.Kind.EVIDENCE, case__state=CaseState.CLOSED))
        .first()
    )
