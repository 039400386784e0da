"""The workflow as data: (state, action) → next state, the roles allowed, and what it does to the deadline.

Every state change in the system is one row of this table applied by `cases.services`; nothing else moves
a case. States follow GB/T 30428: reported → filed → dispatched → in_progress → resolved → closed, with
rejection, returns (re-dispatch) and failed verification (rework) as the side paths.
"""

from dataclasses import dataclass

from gridmgmt.roles import Role

from .models import Case, CaseState

S = CaseState


class Action:
    REPORT = "report"
    FILE = "file"
    REJECT = "reject"
    DISPATCH = "dispatch"
    ACCEPT = "accept"
    RETURN = "return"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    DENY_EXTENSION = "deny_extension"
    SUSPEND = "suspend"
    RESUME = "resume"
    RESOLVE = "resolve"
    VERIFY_PASS = "verify_pass"
    VERIFY_FAIL = "verify_fail"
    # The dispatch center closes a case at its desk (no one on site): a distinct, counted action, with reason.
    VERIFY_DESK = "verify_desk"
    # The on-site verification handed to another grid administrator, with a reason.
    DELEGATE_VERIFICATION = "delegate_verification"
    # The hotline calls the caller back once the case is closed (回访) and records what they said.
    CALLBACK = "callback"
    # The dispatch center decides whether the case is shown on the public channels, and what text they show.
    PUBLICITY = "publicity"
    # A resident says "me too" about an open case (public site): counted on the case, raising its priority.
    SUPPORT = "support"
    # The reporter rates the result of their closed case through the signed link (回访 by the public).
    RATE = "rate"
    # The dispatch center sends a closed case back to its department for rework (a rating it upheld).
    REOPEN = "reopen"
    # ... or keeps it closed, with its reason, after reviewing a dissatisfied rating.
    REVIEW_KEEP = "review_keep"


# Events the system appends on its own (not in the table): supervision (督办) reaching a level, and its end.
SUPERVISE = "supervise"
SUPERVISION_ENDED = "supervision_ended"


class Deadline:
    """What a transition does to the running deadline."""

    KEEP = "keep"  # the clock runs on (accept, extension requests)
    CLEAR = "clear"  # no deadline after this (closed, rejected)
    EXTEND = "extend"  # an approved extension moves it
    PAUSE = "pause"  # suspension (挂账) stops it
    RESUME = "resume"  # and resumption restarts it with the time that was left


@dataclass(frozen=True)
class Transition:
    next_state: str | None  # None: the state stays (extensions, suspension)
    roles: frozenset[str]
    deadline: str  # a Case.Stage value (a new clock starts) or a Deadline constant


def _t(next_state, roles, deadline) -> Transition:
    return Transition(next_state, frozenset(roles), deadline)


DISPATCHERS = (Role.DISPATCHER, Role.SYSTEM)
STAFF = (Role.DEPARTMENT_STAFF,)
# On-site verification is the grid administrators' (or a delegated one's); a dispatcher may send a fix back
# from the desk (recorded as a desk decision) or close at the desk with VERIFY_DESK.
VERIFIERS = (Role.GRID_ADMIN, Role.DISPATCHER)
ON_SITE_VERIFIERS = (Role.GRID_ADMIN,)
REPORTERS = (Role.GRID_ADMIN, Role.RESIDENT, Role.DISPATCHER, Role.SYSTEM)
# The public's steps are taken by the system on a resident's behalf: the public site checks who (a signed
# link, an account, a proof of work) and keeps the resident's part in its own rows, never in the chain.
PUBLIC_PARTICIPANTS = (Role.SYSTEM,)

# States where a department holds the case and an extension or its decision makes sense.
_HANDLING = (S.DISPATCHED, S.IN_PROGRESS)
_SUSPENDABLE = (S.REPORTED, S.FILED, S.DISPATCHED, S.IN_PROGRESS, S.RETURNED, S.RESOLVED)
_SUPPORTABLE = _SUSPENDABLE  # every open state

TRANSITIONS: dict[tuple[str, str], Transition] = {
    ("", Action.REPORT): _t(S.REPORTED, REPORTERS, Case.Stage.FILING),
    (S.REPORTED, Action.FILE): _t(S.FILED, DISPATCHERS, Case.Stage.DISPATCH),
    (S.REPORTED, Action.REJECT): _t(S.REJECTED, DISPATCHERS, Deadline.CLEAR),
    (S.FILED, Action.DISPATCH): _t(S.DISPATCHED, DISPATCHERS, Case.Stage.HANDLING),
    (S.RETURNED, Action.DISPATCH): _t(S.DISPATCHED, DISPATCHERS, Case.Stage.HANDLING),
    (S.DISPATCHED, Action.ACCEPT): _t(S.IN_PROGRESS, STAFF, Deadline.KEEP),
    (S.DISPATCHED, Action.RETURN): _t(S.RETURNED, STAFF, Case.Stage.DISPATCH),
    (S.IN_PROGRESS, Action.RETURN): _t(S.RETURNED, STAFF, Case.Stage.DISPATCH),
    (S.IN_PROGRESS, Action.RESOLVE): _t(S.RESOLVED, STAFF, Case.Stage.VERIFICATION),
    (S.RESOLVED, Action.VERIFY_PASS): _t(S.CLOSED, ON_SITE_VERIFIERS, Deadline.CLEAR),
    (S.RESOLVED, Action.VERIFY_DESK): _t(S.CLOSED, (Role.DISPATCHER,), Deadline.CLEAR),
    (S.RESOLVED, Action.DELEGATE_VERIFICATION): _t(None, VERIFIERS, Deadline.KEEP),
    (S.CLOSED, Action.CALLBACK): _t(None, (Role.DISPATCHER,), Deadline.KEEP),
    **{(state, Action.PUBLICITY): _t(None, (Role.DISPATCHER,), Deadline.KEEP) for state in S.values},
    **{(state, Action.SUPPORT): _t(None, PUBLIC_PARTICIPANTS, Deadline.KEEP) for state in _SUPPORTABLE},
    (S.CLOSED, Action.RATE): _t(None, PUBLIC_PARTICIPANTS, Deadline.KEEP),
    (S.CLOSED, Action.REOPEN): _t(S.DISPATCHED, (Role.DISPATCHER,), Case.Stage.HANDLING),
    (S.CLOSED, Action.REVIEW_KEEP): _t(None, (Role.DISPATCHER,), Deadline.KEEP),
    (S.RESOLVED, Action.VERIFY_FAIL): _t(S.DISPATCHED, VERIFIERS, Case.Stage.HANDLING),
    **{(state, Action.REQUEST_EXTENSION): _t(None, STAFF, Deadline.KEEP) for state in _HANDLING},
    **{
        (state, Action.APPROVE_EXTENSION): _t(None, (Role.DISPATCHER,), Deadline.EXTEND)
        for state in _HANDLING
    },
    **{(state, Action.DENY_EXTENSION): _t(None, (Role.DISPATCHER,), Deadline.KEEP) for state in _HANDLING},
    **{(state, Action.SUSPEND): _t(None, (Role.DISPATCHER,), Deadline.PAUSE) for state in _SUSPENDABLE},
    **{(state, Action.RESUME): _t(None, (Role.DISPATCHER,), Deadline.RESUME) for state in _SUSPENDABLE},
}


def transition_for(state: str, action: str) -> Transition | None:
    return TRANSITIONS.get((state, action))


def actions_from(state: str) -> list[str]:
    """The actions the table allows from a state (before role and scope checks)."""
    return [action for (from_state, action) in TRANSITIONS if from_state == state]
