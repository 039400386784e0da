"""The 12345 hotline: cases taken on the phone with their caller encrypted (grids.pii), masked wherever the
case is shown, revealed to a dispatcher only with a reason that lands in the case's chain; repeat callers
found by a keyed hash of the number; the call backs (回访) still due.

The call back itself is `cases.services.case_callback` (a workflow action on a closed case).
"""

import re
import unicodedata

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_noop, pgettext_lazy

from gridmgmt import clock
from gridmgmt.errors import Conflict, InvalidInput, NotAllowed
from gridmgmt.policy import can_view_case, cases_visible_q
from gridmgmt.roles import Role, user_roles
from gridmgmt.text import text_check
from grids import pii

from . import services
from .audit import event_next, events_save
from .models import Case, CaseCaller, CaseState
from .words import FIELD_WORDS

CALLER_REVEALED = "caller_revealed"  # the chained event of a reveal (cases.ui.EVENT_LABELS names it)
MAX_CALLER_NAME = 50
MAX_REVEAL_REASON = 500
REPEAT_CASES_SHOWN = 5

# What the caller said when called back, as pages say it (the model keeps plain English choices).
CALLBACK_LABELS = {
    CaseCaller.Callback.SATISFIED: pgettext_lazy("call back result", "satisfied"),
    CaseCaller.Callback.BASICALLY: pgettext_lazy("call back result", "basically satisfied"),
    CaseCaller.Callback.UNSATISFIED: pgettext_lazy("call back result", "not satisfied"),
    CaseCaller.Callback.UNREACHABLE: pgettext_lazy("call back result", "could not be reached"),
}

# Roles that see a case's caller (masked) when they may see the case: staff, never residents.
_STAFF = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.GRID_ADMIN, Role.DEPARTMENT_STAFF})

# What people type between digits: spaces, dashes, dots, brackets around the area code (full-width ones
# become these under NFKC).
_SEPARATORS = re.compile(r"[\s\-.()]")
_MOBILE = re.compile(r"1[3-9][0-9]{9}", re.ASCII)
# A landline with its area code: 010 and 02x take 8-digit numbers; other area codes have four digits and
# numbers of 7 or 8.
_LANDLINE = re.compile(r"0(?:10|2[0-9])[0-9]{8}|0[3-9][0-9]{2}[0-9]{7,8}", re.ASCII)

PHONE_REQUIRED = gettext_noop("the caller's phone number is required")
PHONE_INVALID = gettext_noop(
    "the caller's phone must be a mobile number (11 digits, 13x–19x) or a landline with its area code, "
    "such as 0791-86123456"
)
ONLY_DISPATCHERS_TAKE_CALLS = gettext_noop("only a dispatcher may take hotline calls")
ONLY_DISPATCHERS_REVEAL = gettext_noop("only a dispatcher may see a caller's name and phone number")
ONLY_DISPATCHERS_LOOK_UP = gettext_noop("only a dispatcher may look up a caller's earlier calls")
NO_CALLER = gettext_noop("case %(number)s was not taken on the hotline: it has no caller on record")


# --- the caller's number and name -------------------------------------------------------------------------


def caller_phone_normalise(raw: str) -> str:
    """The number as digits only: `+86 138-0013-8000` → `13800138000`, `(0791) 8612 3456` → `079186123456`.

    A mainland mobile (1[3-9] and 9 more digits) or a landline with its area code; +86 / 0086 in front is
    dropped (with the area code's 0 put back: `+86 791 86123456`). Anything else is InvalidInput on the
    `caller_phone` field.
    """
    phone = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or ""))
    if not phone:
        raise InvalidInput(PHONE_REQUIRED, field="caller_phone")
    international = False
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix):
            phone, international = phone[len(prefix) :], True
            break
    else:
        if len(phone) == 13 and phone.startswith("861"):  # 86 and a mobile, the + left out
            phone, international = phone[2:], True
    if international and not phone.startswith("0") and not _MOBILE.fullmatch(phone):
        phone = "0" + phone  # an area code is dialled without its 0 from abroad (+86 10 …, +86 791 …)
    if _MOBILE.fullmatch(phone) or _LANDLINE.fullmatch(phone):
        return phone
    raise InvalidInput(PHONE_INVALID, field="caller_phone")


def caller_phone_hash(phone: str) -> str:
    """The keyed hash a normalised number is found by (repeat callers): grids.pii's HMAC, which survives a
    rotation of the encryption keys."""
    return pii.hash_id_number(phone)


def phone_display(phone: str) -> str:
    """A revealed number as people read it: a mobile as is, a landline with a dash after its area code."""
    if phone.startswith("0"):
        split = 3 if phone[1] in "12" else 4
        return f"{phone[:split]}-{phone[split:]}"
    return phone


def mask_caller_name(name: str) -> str:
    """`王**`: the first character (the family name) and a star for each of the others."""
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def _caller_name(raw: str) -> str:
    name = (raw or "").strip()
    what = FIELD_WORDS["caller_name"]
    text_check(name, what=what, field="caller_name")
    if len(name) > MAX_CALLER_NAME:
        raise InvalidInput(
            gettext_noop("%(what)s is longer than %(n)s characters"),
            what=what,
            n=MAX_CALLER_NAME,
            field="caller_name",
        )
    return name


def is_dispatcher(actor) -> bool:
    """The hotline is the dispatch centre's: its callers are for dispatchers only."""
    return actor is not None and Role.DISPATCHER in user_roles(actor)


# --- intake -----------------------------------------------------------------------------------------------


def hotline_case_report(*, actor, caller_name: str, caller_phone: str, **report) -> Case:
    """A case taken on the hotline by a dispatcher: `cases.services.case_report` (source hotline, the
    reporter fields left empty) and its caller, encrypted, in one transaction. `report` takes the other
    arguments of case_report (lat, lng, category, description, address, priority, photos, facility)."""
    if not is_dispatcher(actor):
        raise NotAllowed(ONLY_DISPATCHERS_TAKE_CALLS)
    phone = caller_phone_normalise(caller_phone)
    name = _caller_name(caller_name)
    with transaction.atomic():
        case = services.case_report(
            actor=actor, source=Case.Source.HOTLINE, reporter_name="", reporter_contact="", **report
        )
        # Creating it caches it on the case (case.caller), for the caller of this function.
        CaseCaller.objects.create(
            case=case,
            name_encrypted=pii.encrypt(name),
            phone_encrypted=pii.encrypt(phone),
            phone_hash=caller_phone_hash(phone),
        )
    return case


# --- showing the caller -----------------------------------------------------------------------------------


def caller_masked(caller: CaseCaller) -> dict:
    """What every staff page shows of a caller: masked name and number, and the latest call back."""
    return {
        "name": mask_caller_name(pii.decrypt(caller.name_encrypted)),
        "phone": pii.mask_phone(pii.decrypt(caller.phone_encrypted)),
        "callback_result": caller.callback_result,
        "callback_note": caller.callback_note,
        "callback_at": caller.callback_at,
        "callback_by": caller.callback_by,
    }


def may_see_caller(actor, case: Case) -> bool:
    """Staff who may see the case see its caller, masked; residents (and everyone else) never do."""
    if actor is None or not actor.is_authenticated:
        return False
    staff = actor.is_superuser or bool(user_roles(actor) & _STAFF)
    return staff and can_view_case(actor, case)


def caller_for(case: Case, actor) -> dict | None:
    """The case's caller masked (name `王**`, phone `138****1234`) with the latest call back, or None when
    the case has none; NotAllowed for whoever may not see the case as staff."""
    if not may_see_caller(actor, case):
        raise NotAllowed(gettext_noop("you may not see who called about this case"))
    caller = CaseCaller.objects.select_related("callback_by").filter(case_id=case.pk).first()
    return caller_masked(caller) if caller is not None else None


def caller_reveal(*, case: Case, actor, reason: str) -> dict:
    """The caller's name and number in full, for a dispatcher who gives a reason. The reveal is an event of
    the case's chain (who, when, why), appended under the case's row lock; the case's version stays, so
    nobody's open form goes stale because a number was looked up."""
    if not is_dispatcher(actor):
        raise NotAllowed(ONLY_DISPATCHERS_REVEAL)
    what = FIELD_WORDS["reason"]
    reason = (reason or "").strip()
    text_check(reason, what=what, field="reason")
    if not reason:
        raise InvalidInput(gettext_noop("%(what)s is required"), what=what, field="reason")
    if len(reason) > MAX_REVEAL_REASON:
        raise InvalidInput(
            gettext_noop("%(what)s is longer than %(n)s characters"),
            what=what,
            n=MAX_REVEAL_REASON,
            field="reason",
        )
    with transaction.atomic():
        # of=("self",): the case row only (PostgreSQL refuses FOR UPDATE across a nullable join).
        locked = Case.objects.select_for_update(of=("self",)).get(pk=case.pk)
        caller = CaseCaller.objects.filter(case_id=locked.pk).first()
        if caller is None:
            raise InvalidInput(NO_CALLER, number=locked.number)
        head_seq = locked.audit_seq
        event = event_next(
            case=locked,
            action=CALLER_REVEALED,
            from_state=locked.state,
            to_state=locked.state,
            actor=actor,
            role=Role.DISPATCHER,
            at=clock.now(),
            data={"reason": reason},
        )
        # Conditional on the head read under the lock: SQLite takes no row lock, and a writer that got there
        # first has moved the head, so this link would fork the chain.
        moved = Case.objects.filter(pk=locked.pk, audit_seq=head_seq).update(
            audit_seq=locked.audit_seq, audit_head=locked.audit_head
        )
        if moved != 1:
            raise Conflict(gettext_noop("the case was changed by someone else meanwhile; try again"))
        events_save([event])
        name, phone = pii.decrypt(caller.name_encrypted), pii.decrypt(caller.phone_encrypted)
    return {"name": name, "phone": phone, "phone_display": phone_display(phone)}


# --- repeat callers and call backs due --------------------------------------------------------------------


def caller_history(*, actor, phone: str, limit: int = REPEAT_CASES_SHOWN) -> tuple[int, list[Case]]:
    """How many hotline cases this number has rung about, and the latest `limit` of them (newest first):
    found by the keyed hash, nothing decrypted. For dispatchers; a number that does not parse is refused
    like the intake form refuses it."""
    if not is_dispatcher(actor):
        raise NotAllowed(ONLY_DISPATCHERS_LOOK_UP)
    digest = caller_phone_hash(caller_phone_normalise(phone))
    cases = Case.objects.filter(caller__phone_hash=digest)
    latest = list(cases.select_related("category__parent").order_by("-reported_at")[:limit])
    count = len(latest) if len(latest) < limit else cases.count()
    return count, latest


def hotline_callbacks_due(actor) -> QuerySet[Case]:
    """Closed hotline cases whose caller has not been called back yet, the longest waiting first. Empty for
    anyone but a dispatcher (the call backs are the dispatch centre's)."""
    if actor is None or Role.DISPATCHER not in user_roles(actor):
        return Case.objects.none()
    return (
        Case.objects.filter(
            cases_visible_q(actor),
            source=Case.Source.HOTLINE,
            state=CaseState.CLOSED,
            caller__isnull=False,
            caller__callback_result="",
        )
        .select_related("caller", "category__parent", "grid", "department")
        .defer("grid__boundary")
        .order_by("closed_at", "pk")
    )
