"""Every write to a case: one service per workflow action, all applied through one transition engine.

Each call is one transaction: lock the case row, check the transition table, the actor's role and scope,
write, append the hash-chained event, and leave side effects (routing, notifications) to after commit.
"""

import copy
import datetime as dt
import logging
from collections.abc import Callable, Sequence

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from departments.models import Department
from departments.selectors import department_recipients
from gridmgmt import clock
from gridmgmt.errors import Conflict, DomainError, InvalidInput, InvalidTransition, NotAllowed
from gridmgmt.messages import Message, either, local_datetime
from gridmgmt.policy import facilities_visible_q, role_covers_case, role_covers_grid
from gridmgmt.roles import Role, user_roles
from gridmgmt.text import text_check
from grids.selectors import grid_index_invalidate, grid_locate
from notifications.services import notification_queue
from places import codes as facility_codes
from places import services as place_services
from places.models import Facility
from worktime.deadlines import Clock, clock_extended, clock_resumed, minutes_between, stage_clock

from .audit import event_next, events_save, system_event_next
from .evidence import DevicePosition, on_site_check, photo_taken_at, photos_required
from .hooks import case_reported, case_stepped
from .models import (
    OPEN_STATES,
    Case,
    CaseCaller,
    CaseEvent,
    CasePhoto,
    CaseState,
    Category,
    EvidenceRule,
    ExtensionRequest,
    VerifierDelegation,
)
from .photos import photos_attach, photos_validate
from .selectors import active_minor_categories
from .words import (
    ACTION_VERBS,
    FIELD_WORDS,
    NOTE_AUTO_DISPATCHED,
    NOTE_AUTO_FILED,
    ROLE_LABELS,
    SCOPE_ANY,
    SCOPE_WORDS,
    STATE_WORDS,
    category_name,
)
from .workflow import Action, Deadline, Transition, transition_for

logger = logging.getLogger(__name__)

_CHANGED_MEANWHILE = gettext_noop("the case was changed by someone else meanwhile; reload it and try again")

MAX_EXTENSION_MINUTES = 30 * 24 * 60
MAX_TEXT = 4000

# Everything a transition may change; written back in one conditional UPDATE.
# Written once at report time, or only by their own mechanism (the version check, the audit chain's head).
_FIXED_FIELDS = ("id", "number", "source", "reporter", "reported_at", "version", "audit_seq", "audit_head")
_MUTABLE_FIELDS = [f.attname for f in Case._meta.concrete_fields if f.name not in _FIXED_FIELDS]


def _text(value: str, *, field: str, required: bool) -> str:
    value = (value or "").strip()
    what = FIELD_WORDS[field]
    text_check(value, what=what, field=field)
    if required and not value:
        raise InvalidInput(gettext_noop("%(what)s is required"), what=what, field=field)
    if len(value) > MAX_TEXT:
        raise InvalidInput(
            gettext_noop("%(what)s is longer than %(n)s characters"), what=what, n=MAX_TEXT, field=field
        )
    return value


def _authorize(
    actor, transition: Transition, action: str, case: Case | None, grid_id: int | None = None
) -> str:
    """The role the actor acts in, or NotAllowed saying why. `actor=None` is the system (Celery)."""
    held = frozenset({Role.SYSTEM}) if actor is None else user_roles(actor)
    candidates = sorted(held & transition.roles)
    verb = ACTION_VERBS[action]
    if not candidates:
        raise NotAllowed(
            gettext_noop("only a %(roles)s may %(verb)s a case"),
            roles=roles_either(transition.roles),
            verb=verb,
        )
    for role in candidates:
        covered = (
            role_covers_grid(actor, role, grid_id) if case is None else role_covers_case(actor, role, case)
        )
        if covered:
            return role
    if Role.GRID_ADMIN in candidates and action in _DELEGABLE and _delegated_to(actor, case):
        return Role.GRID_ADMIN
    raise NotAllowed(
        gettext_noop("you may not %(verb)s this case: it is not in %(where)s"),
        verb=verb,
        where=SCOPE_WORDS.get(candidates[0], SCOPE_ANY),
    )


# Steps a grid administrator outside the case's grid may take when the verification was delegated to them.
_DELEGABLE = (Action.VERIFY_PASS, Action.VERIFY_FAIL)


def _delegated_to(actor, case: Case | None) -> bool:
    """Read afresh inside the transaction (policy's per-request cache may predate the delegation)."""
    return (
        case is not None
        and actor is not None
        and VerifierDelegation.objects.filter(case=case, delegate=actor, is_active=True).exists()
    )


def roles_either(roles) -> str:
    """ "department staff or dispatcher": the roles but the system's, in English order, translated when
    shown."""
    people = sorted((r for r in roles if r != Role.SYSTEM), key=lambda r: Role.LABELS[r])
    return either(ROLE_LABELS[r] for r in people)


def _start_clock(case: Case, stage: str, now: dt.datetime) -> None:
    points = stage_clock(case.category, stage, now)
    case.deadline_stage = stage
    case.deadline_started_at = points.started_at
    case.deadline_warn_at = points.warn_at
    case.deadline_at = points.due_at
    case.deadline_escalate_at = points.escalate_at
    case.warned_at = case.overdue_at = case.escalated_at = None
    case.suspended_at = case.suspended_remaining_s = None


def _clear_clock(case: Case) -> None:
    case.deadline_stage = ""
    case.deadline_started_at = case.deadline_warn_at = case.deadline_at = case.deadline_escalate_at = None
    case.suspended_at = case.suspended_remaining_s = None


def _clock_of(case: Case) -> Clock:
    return Clock(case.deadline_started_at, case.deadline_warn_at, case.deadline_at, case.deadline_escalate_at)


def _seconds_left(case: Case, at: dt.datetime) -> int:
    """Seconds (of working time, unless around the clock) from `at` to the deadline; 0 when past it."""
    left = minutes_between(at, case.deadline_at, around_the_clock=case.category.around_the_clock)
    return max(0, int(left * 60))


def _move_clock(case: Case, rule: str, now: dt.datetime, extra_minutes: int = 0) -> None:
    if rule == Deadline.KEEP:
        return
    if rule == Deadline.CLEAR:
        _clear_clock(case)
    elif rule == Deadline.EXTEND:
        if case.deadline_at is None:
            return
        # The extension is in the same time as the limit: working minutes unless around the clock.
        points = clock_extended(
            _clock_of(case), extra_minutes, around_the_clock=case.category.around_the_clock
        )
        case.deadline_warn_at, case.deadline_at, case.deadline_escalate_at = (
            points.warn_at,
            points.due_at,
            points.escalate_at,
        )
        if case.suspended_at is not None:  # extended while suspended: more left for the resume
            case.suspended_remaining_s = _seconds_left(case, case.suspended_at)
        # A moved deadline is a new promise: alerts whose point now lies ahead may fire again.
        if now < case.deadline_warn_at:
            case.warned_at = None
        if now < case.deadline_at:
            case.overdue_at = None
        if now < case.deadline_escalate_at:
            case.escalated_at = None
    elif rule == Deadline.PAUSE:
        if case.suspended_at is not None:
            raise InvalidTransition(gettext_noop("the case is already suspended"))
        case.suspended_at = now
        case.suspended_remaining_s = _seconds_left(case, now) if case.deadline_at else 0
    elif rule == Deadline.RESUME:
        if case.suspended_at is None:
            raise InvalidTransition(gettext_noop("the case is not suspended"))
        if case.deadline_at is not None:
            # Suspension never eats the limit: what was left (in working time) is counted again from now.
            points = clock_resumed(
                _clock_of(case), case.suspended_at, now, around_the_clock=case.category.around_the_clock
            )
            case.deadline_warn_at, case.deadline_at, case.deadline_escalate_at = (
                points.warn_at,
                points.due_at,
                points.escalate_at,
            )
        case.suspended_at = case.suspended_remaining_s = None
    else:  # a stage: a new clock starts
        _start_clock(case, rule, now)


# Deadline effects under which a suspended case stays suspended.
_SUSPENSION_KEEPING = (Deadline.KEEP, Deadline.EXTEND, Deadline.PAUSE, Deadline.RESUME)


def _lock(case_id: int) -> Case:
    # of=("self",): lock the case row only; PostgreSQL refuses FOR UPDATE across the LEFT JOIN that the
    # nullable department needs.
    return (
        Case.objects.select_for_update(of=("self",)).select_related("category", "department").get(pk=case_id)
    )


def _transition(
    locked: Case,
    *,
    actor,
    action: str,
    now: dt.datetime,
    note: str = "",
    change: Callable[[Case, dt.datetime], dict] | None = None,
) -> CaseEvent:
    """Apply one transition to a locked case in memory and return its (unsaved) event; `_write` saves both."""
    transition = transition_for(locked.state, action)
    if transition is None:
        raise InvalidTransition(
            gettext_noop("cannot %(verb)s a case that is %(state)s"),
            verb=ACTION_VERBS[action],
            state=STATE_WORDS[locked.state],
        )
    role = _authorize(actor, transition, action, locked)
    from_state = locked.state
    data = change(locked, now) if change else {}
    if locked.suspended_at is not None and transition.deadline not in _SUSPENSION_KEEPING:
        # A new stage (or the end of the case) ends a suspension: recorded, never silent.
        suspended = int((now - locked.suspended_at).total_seconds())
        data = {**data, "suspension_ended": True, "suspended_seconds": suspended}
    if transition.next_state:
        locked.state = transition.next_state
    previous_deadline, suspended_since = locked.deadline_at, locked.suspended_at
    _move_clock(locked, transition.deadline, now, data.get("minutes", 0))
    if locked.supervision_level:
        data = _supervision_moved(locked, transition.deadline, now, suspended_since, data)
    if transition.deadline in (Deadline.EXTEND, Deadline.RESUME) and previous_deadline is not None:
        # The timeline shows the deadline moving: where it was (and, below, where it is now).
        data = {**data, "previous_deadline": previous_deadline.isoformat()}
    if transition.deadline not in (Deadline.KEEP, Deadline.CLEAR, Deadline.PAUSE):
        # The deadline as promised at this step goes into the (hash-chained) history, so evaluation
        # reads it from there instead of recomputing it under today's limits and calendar.
        data = {**data, "stage": locked.deadline_stage, "deadline": locked.deadline_at.isoformat()}
    locked.updated_at = now
    return event_next(
        case=locked,
        action=action,
        from_state=from_state,
        to_state=locked.state,
        actor=actor,
        role=role,
        at=now,
        note=note,
        data=data,
    )


def _supervision_moved(
    locked: Case, rule: str, now: dt.datetime, suspended_since: dt.datetime | None, data: dict
) -> dict:
    """A supervision (督办) ends with its overdue stage (a new stage began, the case ended, or an approved
    extension put the deadline ahead again); a suspension holds its climb, as it holds the deadline."""
    ended = rule not in _SUSPENSION_KEEPING or (
        rule == Deadline.EXTEND and locked.deadline_at is not None and now < locked.deadline_at
    )
    if ended:
        data = {**data, "supervision_ended": locked.supervision_level}
        locked.supervision_level, locked.supervision_next_at = 0, None
    elif rule == Deadline.RESUME and suspended_since is not None and locked.supervision_next_at is not None:
        locked.supervision_next_at += now - suspended_since
    return data


def _write(locked: Case, events: list[CaseEvent]) -> None:
    """Save a locked case and its new events: one conditional UPDATE (with the chain head), one INSERT."""
    # select_for_update serialises writers on PostgreSQL; the version check also stops a writer that
    # could not lock (SQLite has no row locks): exactly one of two racing actions wins.
    updated = Case.objects.filter(pk=locked.pk, version=locked.version).update(
        version=locked.version + 1,
        audit_seq=locked.audit_seq,
        audit_head=locked.audit_head,
        **{name: getattr(locked, name) for name in _MUTABLE_FIELDS},
    )
    if updated != 1:
        raise Conflict(_CHANGED_MEANWHILE)
    locked.version += 1
    events_save(events)
    for event in events:
        case_stepped.fire_on_commit((locked.pk, event.action, event.seq))


def _apply(
    *,
    case: Case,
    actor,
    action: str,
    expected_version: int | None = None,
    note: str = "",
    change: Callable[[Case, dt.datetime], dict] | None = None,
    after: Callable[[Case, CaseEvent], None] | None = None,
) -> Case:
    """The transition engine every action goes through."""
    with transaction.atomic():
        locked = _lock(case.pk)
        if expected_version is not None and locked.version != expected_version:
            raise Conflict(_CHANGED_MEANWHILE)
        event = _transition(locked, actor=actor, action=action, now=clock.now(), note=note, change=change)
        _write(locked, [event])
        if after:
            after(locked, event)
        if locked.facility_id and locked.state not in OPEN_STATES:
            _facility_release_on_commit(locked.facility_id)
    return locked


def _facility_release_on_commit(facility_id: int) -> None:
    """The case closed or was rejected: once that is committed, its facility returns to its surveyed state
    (unless another case on it is still open, which places checks)."""
    transaction.on_commit(
        lambda: place_services.facility_case_closed(facility_id=facility_id, open_states=list(OPEN_STATES))
    )


# --- collection (信息采集) ---

FACILITY_NOT_FOUND = gettext_noop("there is no facility with code %(code)s")


def facility_by_code(code: str) -> Facility:
    """The facility a reporter names by its 16-digit code (spaces and dashes as people type them are
    fine), or InvalidInput on the `facility` field saying what is wrong with the code."""
    try:
        parsed = facility_codes.facility_code_parse(code)
    except InvalidInput as exc:
        exc.field = "facility"  # the code's own sentence, said at the reporter's field
        raise
    facility = Facility.objects.select_related("facility_class", "grid").filter(code=parsed.code).first()
    if facility is None:
        raise InvalidInput(FACILITY_NOT_FOUND, code=parsed.code, field="facility")
    return facility


def _facility_check(actor, facility: Facility) -> None:
    """A reporter names a facility they may see (a grid administrator: their grids' facilities). A resident
    sees no base data and names the facility by the code printed on it; the system (Open311) names any."""
    if actor is None or Role.RESIDENT in user_roles(actor):
        return
    if not Facility.objects.filter(facilities_visible_q(actor), pk=facility.pk).exists():
        raise NotAllowed(
            gettext_noop("facility %(code)s is not one you may report on: it lies outside your grids"),
            code=facility.code,
            field="facility",
        )


def _facility_category(facility: Facility) -> Category:
    """The case category a report on this facility takes when the reporter chose none: its class's."""
    code = facility.facility_class.case_category_code
    category = active_minor_categories.get().get(code) if code else None
    if category is None:
        raise InvalidInput(
            gettext_noop("choose a category: the facility's class %(cls)s names no active case category"),
            cls=f"{facility.facility_class.code} {facility.facility_class.name}",
            field="category",
        )
    return copy.copy(category)  # the cache's rows are shared by every report of this process


def case_report(
    *,
    actor,
    source: str,
    lat: float | None,
    lng: float | None,
    category: Category | None,
    description: str,
    address: str = "",
    priority: int | None = None,
    reporter_name: str = "",
    reporter_contact: str = "",
    photos: Sequence = (),
    facility: Facility | None = None,
) -> Case:
    """A new case from a patrol, a resident, Open311 or the hotline. Routing follows after commit.

    A case on a facility (部件) is where the facility is, in its grid, and of its class's category unless
    the reporter chose one; while the case is open the facility shows what the category says (damaged,
    missing, occupied)."""
    if source not in Case.Source.values:
        raise InvalidInput(gettext_noop("unknown source %(source)s"), source=repr(source), field="source")
    if facility is not None:
        _facility_check(actor, facility)
        # The facility's surveyed point, not the reporter's: the case is about the thing, wherever they stand.
        lat, lng = facility.lat, facility.lng
        category = category or _facility_category(facility)
        address = address or facility.address
    try:
        lat, lng = float(lat), float(lng)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(
            gettext_noop("the location needs numeric latitude and longitude"), field="location"
        ) from exc
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise InvalidInput(
            gettext_noop("latitude must be within ±90 and longitude within ±180"), field="location"
        )
    if category is None or category.is_major or not category.is_active:
        raise InvalidInput(gettext_noop("choose an active minor category"), field="category")
    if priority is not None and priority not in Case.Priority.values:
        raise InvalidInput(
            gettext_noop("priority must be 1 (urgent), 2 (high) or 3 (normal)"), field="priority"
        )
    description = _text(description, field="description", required=True)
    uploads = photos_validate(photos)
    photos_required(category, EvidenceRule.Step.REPORT, len(uploads))
    grid = facility.grid if facility is not None else grid_locate(lat=lat, lng=lng)
    if grid is None:
        raise InvalidInput(
            gettext_noop("the location is outside the jurisdiction: no grid contains it"), field="location"
        )
    role = _authorize(actor, transition_for("", Action.REPORT), Action.REPORT, None, grid.pk)
    now = clock.now()
    case = Case(
        source=source,
        reporter=actor,
        reporter_name=_text(reporter_name, field="reporter_name", required=False)[:100],
        reporter_contact=_text(reporter_contact, field="reporter_contact", required=False)[:100],
        lat=lat,
        lng=lng,
        address=_text(address, field="address", required=False)[:200],
        grid=grid,
        category=category,
        facility=facility,
        description=description,
        priority=priority or category.default_priority,
        is_public=category.publicity == Category.Publicity.PUBLIC,
        state=CaseState.REPORTED,
        reported_at=now,
        updated_at=now,
    )
    _start_clock(case, Case.Stage.FILING, now)
    data = {"source": source, "grid": grid.code, "category": category.code, "photos": len(uploads)}
    if facility is not None:
        data["facility"] = facility.code
    try:
        with transaction.atomic():
            case.save(force_insert=True)
            # The number carries the id, so it (and the first link, which hashes it) follows the insert.
            case.number = f"{timezone.localtime(now):%Y%m%d}{case.pk:06d}"
            stored = photos_attach(
                case=case,
                uploads=uploads,
                kind=CasePhoto.Kind.REPORT,
                actor=actor,
                at=now,
                taken=[photo_taken_at(upload) for upload in uploads],
            )
            if stored:
                data["photo_hashes"] = [photo.sha256 for photo in stored]
            event = event_next(
                case=case,
                action=Action.REPORT,
                from_state="",
                to_state=CaseState.REPORTED,
                actor=actor,
                role=role,
                at=now,
                data=data,
            )
            Case.objects.filter(pk=case.pk).update(
                number=case.number, audit_seq=case.audit_seq, audit_head=case.audit_head
            )
            events_save([event])
            if facility is not None:
                place_services.facility_case_opened(facility_id=facility.pk, state=category.facility_state)
            case_reported.fire_on_commit(case.pk)
    except IntegrityError as exc:
        # The category or grid came from this process's caches and was deleted elsewhere within their
        # interval (seconds): nothing was saved. Forget both so that the next attempt sees the change.
        active_minor_categories.forget()
        grid_index_invalidate()
        raise Conflict(
            gettext_noop("the category or the grid was changed meanwhile; send the report again")
        ) from exc
    return case


# --- filing (立案) ---


def case_file(
    *,
    case: Case,
    actor,
    note: str = "",
    category: Category | None = None,
    priority: int | None = None,
    expected_version: int | None = None,
) -> Case:
    """Accept a report as a case; the dispatcher may correct its category and priority while filing."""
    note = _text(note, field="note", required=False)
    if category is not None and (category.is_major or not category.is_active):
        raise InvalidInput(gettext_noop("choose an active minor category"), field="category")
    if priority is not None and priority not in Case.Priority.values:
        raise InvalidInput(
            gettext_noop("priority must be 1 (urgent), 2 (high) or 3 (normal)"), field="priority"
        )

    def change(c: Case, now) -> dict:
        data = {}
        if category is not None and category.pk != c.category_id:
            data["category"] = {"from": c.category.code, "to": category.code}
            c.category = category
            if c.facility_id:  # the facility shows what the corrected category says about it
                place_services.facility_case_opened(facility_id=c.facility_id, state=category.facility_state)
        if priority is not None and priority != c.priority:
            data["priority"] = {"from": c.priority, "to": priority}
            c.priority = priority
        return data

    return _apply(
        case=case,
        actor=actor,
        action=Action.FILE,
        note=note,
        change=change,
        expected_version=expected_version,
    )


def case_reject(
    *, case: Case, actor, reason: str, duplicate_of: Case | None = None, expected_version: int | None = None
) -> Case:
    """Reject an invalid report, or mark it a duplicate of another case."""
    reason = _text(reason, field="reason", required=True)
    if duplicate_of is not None and duplicate_of.pk == case.pk:
        raise InvalidInput(gettext_noop("a case cannot duplicate itself"), field="duplicate_of")
    if duplicate_of is not None and duplicate_of.state == CaseState.REJECTED:
        raise InvalidInput(
            gettext_noop("case %(number)s is itself rejected; link the surviving case"),
            number=duplicate_of.number,
            field="duplicate_of",
        )

    def change(c: Case, now) -> dict:
        c.duplicate_of = duplicate_of
        c.closed_at = now
        return {"duplicate_of": duplicate_of.number} if duplicate_of else {}

    return _apply(
        case=case,
        actor=actor,
        action=Action.REJECT,
        note=reason,
        change=change,
        expected_version=expected_version,
    )


# --- dispatch (派遣) ---


def case_dispatch(
    *, case: Case, actor, department: Department, note: str = "", expected_version: int | None = None
) -> Case:
    """Send a filed (or returned) case to the department responsible for it."""
    note = _text(note, field="note", required=False)
    if department is None or not department.is_active:
        raise InvalidInput(gettext_noop("choose an active department"), field="department")

    return _apply(
        case=case,
        actor=actor,
        action=Action.DISPATCH,
        note=note,
        change=_dispatch_change(department),
        after=lambda c, event: _dispatch_notice(c, department),
        expected_version=expected_version,
    )


def _dispatch_change(department: Department) -> Callable[[Case, dt.datetime], dict]:
    def change(c: Case, now) -> dict:
        previous = c.department.code if c.department_id else None
        c.department = department
        return {"department": department.code, "previous_department": previous}

    return change


def _dispatch_notice(case: Case, department: Department) -> None:
    """The department's notice, in each recipient's language (notifications renders it per recipient)."""
    notification_queue(
        about=case,
        kind="dispatched",
        recipients=department_recipients(department),
        subject=Message(
            gettext_noop("Case %(number)s dispatched to %(department)s"),
            number=case.number,
            department=department.name,
        ),
        body=Message(
            gettext_noop("%(category)s: %(description)s\nDue %(due)s"),
            category=category_name(case.category),
            description=case.description,
            due=local_datetime(case.deadline_at),
        ),
    )


# --- handling (处理) ---


def case_accept(*, case: Case, actor, expected_version: int | None = None) -> Case:
    return _apply(case=case, actor=actor, action=Action.ACCEPT, expected_version=expected_version)


def case_return(*, case: Case, actor, reason: str, expected_version: int | None = None) -> Case:
    """Hand a mis-routed case back to the dispatch center ("not our responsibility")."""
    reason = _text(reason, field="reason", required=True)

    def change(c: Case, now) -> dict:
        data = {"department": c.department.code}
        c.department = None
        c.return_count += 1
        return data

    return _apply(
        case=case,
        actor=actor,
        action=Action.RETURN,
        note=reason,
        change=change,
        expected_version=expected_version,
    )


def case_request_extension(
    *, case: Case, actor, minutes: int, reason: str, expected_version: int | None = None
) -> ExtensionRequest:
    reason = _text(reason, field="reason", required=True)
    try:
        minutes = int(minutes)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(gettext_noop("minutes must be a whole number"), field="minutes") from exc
    if not 1 <= minutes <= MAX_EXTENSION_MINUTES:
        raise InvalidInput(
            gettext_noop("an extension is between 1 and %(n)s minutes"),
            n=MAX_EXTENSION_MINUTES,
            field="minutes",
        )
    created: list[ExtensionRequest] = []

    def change(c: Case, now) -> dict:
        if ExtensionRequest.objects.filter(case=c, state=ExtensionRequest.State.PENDING).exists():
            raise Conflict(
                gettext_noop("an extension request for this case is already waiting for a decision")
            )
        created.append(
            ExtensionRequest.objects.create(
                case=c, requested_by=actor, minutes=minutes, reason=reason, created_at=now
            )
        )
        return {"requested_minutes": minutes}

    _apply(
        case=case,
        actor=actor,
        action=Action.REQUEST_EXTENSION,
        note=reason,
        change=change,
        expected_version=expected_version,
    )
    return created[0]


def _decide_extension(*, case: Case, actor, action: str, note: str, approve: bool, expected_version) -> Case:
    def change(c: Case, now) -> dict:
        pending = (
            ExtensionRequest.objects.select_for_update()
            .filter(case=c, state=ExtensionRequest.State.PENDING)
            .first()
        )
        if pending is None:
            raise InvalidTransition(gettext_noop("there is no pending extension request for this case"))
        pending.state = ExtensionRequest.State.APPROVED if approve else ExtensionRequest.State.DENIED
        pending.decided_by, pending.decided_at, pending.decision_note = actor, now, note
        pending.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        if approve:
            c.extension_count += 1
            return {"request": pending.pk, "minutes": pending.minutes}
        return {"request": pending.pk}

    return _apply(
        case=case, actor=actor, action=action, note=note, change=change, expected_version=expected_version
    )


def case_approve_extension(*, case: Case, actor, note: str = "", expected_version: int | None = None) -> Case:
    note = _text(note, field="note", required=False)
    return _decide_extension(
        case=case,
        actor=actor,
        action=Action.APPROVE_EXTENSION,
        note=note,
        approve=True,
        expected_version=expected_version,
    )


def case_deny_extension(*, case: Case, actor, reason: str, expected_version: int | None = None) -> Case:
    reason = _text(reason, field="reason", required=True)
    return _decide_extension(
        case=case,
        actor=actor,
        action=Action.DENY_EXTENSION,
        note=reason,
        approve=False,
        expected_version=expected_version,
    )


def case_suspend(*, case: Case, actor, reason: str, expected_version: int | None = None) -> Case:
    """Park a case (挂账): its clock stops until it is resumed; the reason is on record."""
    reason = _text(reason, field="reason", required=True)
    return _apply(
        case=case, actor=actor, action=Action.SUSPEND, note=reason, expected_version=expected_version
    )


def case_resume(*, case: Case, actor, note: str = "", expected_version: int | None = None) -> Case:
    note = _text(note, field="note", required=False)

    def change(c: Case, now) -> dict:
        return {"suspended_seconds": int((now - c.suspended_at).total_seconds())} if c.suspended_at else {}

    return _apply(
        case=case,
        actor=actor,
        action=Action.RESUME,
        note=note,
        change=change,
        expected_version=expected_version,
    )


# --- feedback (反馈) ---


def _evidence(
    c: Case,
    *,
    step: str,
    actor,
    uploads: list,
    kind: str,
    now: dt.datetime,
    position: DevicePosition | None,
    taken_at: dt.datetime | None,
    on_site: bool = True,
) -> dict:
    """Hold the step to its category's evidence rule (on the locked case, so a category corrected meanwhile
    counts), store its photos with their hashes, and return what goes into the step's event: the photos'
    SHA-256 and, where a position or photo times say something, the on-site findings (`evidence`).

    `on_site=False` is a decision taken at the desk: no photos or position are asked for, and none judged."""
    rule = photos_required(c.category, step, len(uploads)) if on_site else None
    camera = [photo_taken_at(upload) for upload in uploads]
    data: dict = {}
    if rule is None:
        data["desk"] = True
    elif rule.position != EvidenceRule.Position.NONE or position is not None or uploads or taken_at:
        # Judged before anything is stored: a refusal leaves no file behind.
        data["evidence"] = on_site_check(
            case=c,
            step=step,
            actor=actor,
            rule=rule,
            position=position,
            photo_times=camera,
            device_taken_at=taken_at,
            now=now,
        )
    stored = photos_attach(case=c, uploads=uploads, kind=kind, actor=actor, at=now, taken=camera)
    data["photos"] = len(stored)
    if stored:
        data["photo_hashes"] = [photo.sha256 for photo in stored]
    return data


def case_resolve(
    *,
    case: Case,
    actor,
    notes: str,
    photos: Sequence = (),
    position: DevicePosition | None = None,
    taken_at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> Case:
    """The department reports the fix, with the evidence its category's rule asks for; verification starts."""
    notes = _text(notes, field="notes", required=True)
    uploads = photos_validate(photos)

    def change(c: Case, now) -> dict:
        return _evidence(
            c,
            step=EvidenceRule.Step.RESOLVE,
            actor=actor,
            uploads=uploads,
            kind=CasePhoto.Kind.EVIDENCE,
            now=now,
            position=position,
            taken_at=taken_at,
        )

    return _apply(
        case=case,
        actor=actor,
        action=Action.RESOLVE,
        note=notes,
        change=change,
        expected_version=expected_version,
    )


# --- verification and closure (核查结案) ---


def _verification(c: Case, actor, *, on_site: bool) -> dict:
    """Who verified: a delegated grid administrator says so (with the delegation's reason on record)."""
    if not on_site or role_covers_case(actor, Role.GRID_ADMIN, c):
        return {}
    delegation = VerifierDelegation.objects.filter(case=c, delegate=actor, is_active=True).first()
    return {"delegated": True, "delegation": delegation.pk} if delegation else {}


def _on_site_verifier(actor, case: Case) -> bool:
    """A grid administrator of the case's grid, or the one its verification was delegated to, verifies on
    site; anyone else allowed to verify (a dispatcher) decides at the desk."""
    roles = user_roles(actor)
    return Role.GRID_ADMIN in roles and (
        role_covers_case(actor, Role.GRID_ADMIN, case) or _delegated_to(actor, case)
    )


def case_verify_pass(
    *,
    case: Case,
    actor,
    note: str = "",
    photos: Sequence = (),
    position: DevicePosition | None = None,
    taken_at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> Case:
    """The grid administrator checks the fix on site and closes the case (evidence per the category)."""
    note = _text(note, field="note", required=False)
    uploads = photos_validate(photos)

    def change(c: Case, now) -> dict:
        data = _evidence(
            c,
            step=EvidenceRule.Step.VERIFY,
            actor=actor,
            uploads=uploads,
            kind=CasePhoto.Kind.VERIFICATION,
            now=now,
            position=position,
            taken_at=taken_at,
        )
        c.closed_at = now
        return {**data, **_verification(c, actor, on_site=True)}

    return _apply(
        case=case,
        actor=actor,
        action=Action.VERIFY_PASS,
        note=note,
        change=change,
        expected_version=expected_version,
    )


def case_verify_fail(
    *,
    case: Case,
    actor,
    reason: str,
    photos: Sequence = (),
    position: DevicePosition | None = None,
    taken_at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> Case:
    """The fix did not hold: back to the same department for rework, counted against it. On site (a grid
    administrator, evidence per the category) or, by a dispatcher, at the desk (recorded as such)."""
    reason = _text(reason, field="reason", required=True)
    uploads = photos_validate(photos)

    def change(c: Case, now) -> dict:
        on_site = _on_site_verifier(actor, c)
        data = _evidence(
            c,
            step=EvidenceRule.Step.VERIFY,
            actor=actor,
            uploads=uploads,
            kind=CasePhoto.Kind.VERIFICATION,
            now=now,
            position=position,
            taken_at=taken_at,
            on_site=on_site,
        )
        c.rework_count += 1
        return {
            **data,
            **_verification(c, actor, on_site=on_site),
            "department": c.department.code if c.department_id else None,
            "rework": c.rework_count,
        }

    def after(c: Case, event: CaseEvent) -> None:
        notification_queue(
            about=c,
            kind="rework",
            recipients=department_recipients(c.department),
            subject=Message(gettext_noop("Case %(number)s failed verification: rework"), number=c.number),
            body=Message(gettext_noop("Reason for rework: %(reason)s"), reason=reason),
        )

    return _apply(
        case=case,
        actor=actor,
        action=Action.VERIFY_FAIL,
        note=reason,
        change=change,
        after=after,
        expected_version=expected_version,
    )


def case_verify_desk(*, case: Case, actor, reason: str, expected_version: int | None = None) -> Case:
    """The dispatch center closes a resolved case without anyone on site (the caller confirmed it, the fix
    is on a camera): a distinct action, with its reason, shown and counted as a desk closure."""
    reason = _text(reason, field="reason", required=True)

    def change(c: Case, now) -> dict:
        c.closed_at = now
        return {"desk": True}

    return _apply(
        case=case,
        actor=actor,
        action=Action.VERIFY_DESK,
        note=reason,
        change=change,
        expected_version=expected_version,
    )


def case_delegate_verification(
    *, case: Case, actor, delegate, reason: str, expected_version: int | None = None
) -> VerifierDelegation:
    """Hand a resolved case's on-site verification to another grid administrator (the grid's own is away),
    with a reason; a standing delegation of the case is replaced."""
    reason = _text(reason, field="reason", required=True)
    if delegate is None or not delegate.is_active or Role.GRID_ADMIN not in user_roles(delegate):
        raise InvalidInput(
            gettext_noop("the verification can only be delegated to an active grid administrator"),
            field="delegate",
        )
    created: list[VerifierDelegation] = []

    def change(c: Case, now) -> dict:
        VerifierDelegation.objects.filter(case=c, is_active=True).update(is_active=False)
        created.append(
            VerifierDelegation.objects.create(
                case=c, delegate=delegate, reason=reason, delegated_by=actor, created_at=now
            )
        )
        return {"delegate": delegate.get_username()}

    _apply(
        case=case,
        actor=actor,
        action=Action.DELEGATE_VERIFICATION,
        note=reason,
        change=change,
        expected_version=expected_version,
    )
    return created[0]


# --- what the public channels show ---


def case_publicity_set(
    *,
    case: Case,
    actor,
    public: bool,
    reason: str,
    public_description: str | None = None,
    expected_version: int | None = None,
) -> Case:
    """The dispatch center shows a case on the public channels or hides it, and may replace the description
    the public reads (abusive words, a name, an address inside a home); the decision, its reason and the
    text are in the chain. A category that is never public stays hidden."""
    reason = _text(reason, field="reason", required=True)
    text = (
        None
        if public_description is None
        else _text(public_description, field="public_description", required=False)
    )

    def change(c: Case, now) -> dict:
        if public and c.category.publicity == Category.Publicity.NEVER:
            raise InvalidInput(
                gettext_noop("cases of %(category)s are never shown to the public"),
                category=category_name(c.category),
                field="public",
            )
        data: dict = {}
        if bool(public) != c.is_public:
            c.is_public = data["public"] = bool(public)
        if text is not None and text != c.public_description:
            c.public_description = data["public_description"] = text
        if not data:
            raise InvalidInput(gettext_noop("nothing to change: the case is shown as it was"), field="public")
        return data

    return _apply(
        case=case,
        actor=actor,
        action=Action.PUBLICITY,
        note=reason,
        change=change,
        expected_version=expected_version,
    )


# --- the public's part: "me too", the rating of the result, and the dispatch center's review of it ---


def _support_rule() -> list[tuple[int, int]]:
    """settings.SUPPORT_PRIORITY_RULE "2:10,1:30" → [(30, 1), (10, 2)]: (supporters, priority), most first."""
    steps = []
    for part in filter(None, (p.strip() for p in settings.SUPPORT_PRIORITY_RULE.split(","))):
        priority, _sep, supporters = part.partition(":")
        steps.append((int(supporters), int(priority)))
    return sorted(steps, reverse=True)


def support_priority(supporters: int, current: int) -> int:
    """The priority `supporters` earn by the rule; never lower (more urgent is a smaller number) than now."""
    for needed, priority in _support_rule():
        if supporters >= needed:
            return min(priority, current)
    return current


def case_support_add(*, case: Case, actor) -> Case:
    """One more resident says "me too" (the public app records who, in the same transaction): the count
    is an event in the chain, and the priority rises when the rule says so."""

    def change(c: Case, now) -> dict:
        c.supporter_count += 1
        data = {"supporters": c.supporter_count}
        raised = support_priority(c.supporter_count, c.priority)
        if raised != c.priority:
            data["priority"] = {"from": c.priority, "to": raised}
            c.priority = raised
        return data

    return _apply(case=case, actor=actor, action=Action.SUPPORT, change=change)


RATINGS = ("satisfied", "basically_satisfied", "dissatisfied")


def case_rate(*, case: Case, actor, rating: str, comment: str = "") -> Case:
    """The reporter's rating of a closed case's result (the public app checked the signed link); the rating
    is in the chain, the comment's text stays with the rating (it may name people)."""
    if rating not in RATINGS:
        raise InvalidInput(
            gettext_noop("choose satisfied, basically satisfied or dissatisfied"), field="rating"
        )
    comment = _text(comment, field="comment", required=False)
    return _apply(
        case=case,
        actor=actor,
        action=Action.RATE,
        change=lambda c, now: {"rating": rating, "commented": bool(comment)},
    )


def case_reopen(*, case: Case, actor, reason: str, expected_version: int | None = None) -> Case:
    """The dispatch center sends a closed case back to its department for rework (counted as rework), most
    often after the reporter said the result did not satisfy them."""
    reason = _text(reason, field="reason", required=True)

    def change(c: Case, now) -> dict:
        if c.department_id is None:
            raise InvalidInput(gettext_noop("this case was never dispatched to a department"), field="reason")
        c.rework_count += 1
        c.closed_at = None
        return {"department": c.department.code, "rework": c.rework_count}

    return _apply(
        case=case,
        actor=actor,
        action=Action.REOPEN,
        note=reason,
        change=change,
        expected_version=expected_version,
    )


def case_review_keep(*, case: Case, actor, reason: str, expected_version: int | None = None) -> Case:
    """The dispatch center keeps a closed case closed after reviewing a dissatisfied rating, saying why."""
    reason = _text(reason, field="reason", required=True)
    return _apply(
        case=case, actor=actor, action=Action.REVIEW_KEEP, note=reason, expected_version=expected_version
    )


# --- the call back (回访) of hotline cases ---


def case_callback(
    *, case: Case, actor, result: str, note: str = "", expected_version: int | None = None
) -> Case:
    """Record what the caller said when called back about their closed case; the latest call back counts,
    every one is in the chain."""
    note = _text(note, field="note", required=False)
    if result not in CaseCaller.Callback.values:
        raise InvalidInput(
            gettext_noop("choose what the caller said: %(choices)s"),
            choices=", ".join(CaseCaller.Callback.values),
            field="result",
        )

    def change(c: Case, now) -> dict:
        caller = CaseCaller.objects.select_for_update().filter(case=c).first()
        if caller is None:
            raise InvalidInput(gettext_noop("this case has no hotline caller to call back"), field="result")
        caller.callback_result, caller.callback_note = result, note
        caller.callback_at, caller.callback_by = now, actor
        caller.save(update_fields=["callback_result", "callback_note", "callback_at", "callback_by"])
        return {"result": result}

    return _apply(
        case=case,
        actor=actor,
        action=Action.CALLBACK,
        note=note,
        change=change,
        expected_version=expected_version,
    )


# --- events the system records on its own (routing, deadlines) ---


def case_routing_record(
    *, case: Case, data: dict, now: dt.datetime, auto_department: Department | None = None
) -> Case:
    """Record the routing of a case the caller has locked and routed in memory (grid, suggested department,
    routed_at set on it): the route event and, when a rule auto-dispatches, filing and dispatch as the
    system, all in the caller's transaction with one UPDATE and one INSERT of the events.

    Returns the case as written. If the table refuses the auto-dispatch (it should not: the caller checked
    the state), the case is routed only and stays in the dispatcher's queue.
    """
    events = [system_event_next(case=case, action="route", at=now, data=data)]
    if auto_department is not None:
        # On a copy, so that a refusal half-way leaves the routed case exactly as it was.
        trial = copy.copy(case)
        try:
            steps = [
                _transition(trial, actor=None, action=Action.FILE, now=now, note=NOTE_AUTO_FILED),
                _transition(
                    trial,
                    actor=None,
                    action=Action.DISPATCH,
                    now=now,
                    note=NOTE_AUTO_DISPATCHED,
                    change=_dispatch_change(auto_department),
                ),
            ]
        except DomainError as exc:
            logger.warning("auto-dispatch of case %s refused: %s", case.number, exc.message)
        else:
            _write(trial, events + steps)
            _dispatch_notice(trial, auto_department)
            return trial
    # Routing alone changes no state, so the version stays: a dispatcher's open form remains valid.
    Case.objects.filter(pk=case.pk).update(
        grid=case.grid,
        suggested_department=case.suggested_department,
        routed_at=case.routed_at,
        audit_seq=case.audit_seq,
        audit_head=case.audit_head,
    )
    events_save(events)
    return case
