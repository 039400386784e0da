"""Ratings of closed cases by their reporters (回访): the signed link, the rating, and the dispatch center's
review of a dissatisfied one.

- The link (`rating_link_for`): a closed case's reporter gets a URL of the public rating page carrying a
  signed token (django.core.signing, salt "public.rating") that holds a `RatingInvitation`'s nonce. It is
  good for one answer, for settings.PUBLIC_RATING_LINK_DAYS days (the signature's age and the invitation's
  `expires_at` both), and only while the case stays closed as it was when the link was made: a case
  reopened since spends it.
- The rating (`rating_record`): the answer and the case's chained RATE step in one transaction; a
  dissatisfied answer waits for review.
- The review (`rating_review_decide`): the dispatch center reopens the case for rework or keeps it closed,
  with a reason, both chained; a case reopened another way settles its waiting rating
  (`on_case_stepped`, subscribed in PublicConfig.ready).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_noop

from cases import services as case_services
from cases.models import Case, CaseEvent, CaseState
from cases.workflow import Action
from departments.models import Department
from gridmgmt import clock
from gridmgmt.errors import Conflict, InvalidInput

from .models import CaseRating, Follower, RatingInvitation
from .selectors import PUBLIC_ACTIONS

SALT = "public.rating"
MAX_TOKEN_LENGTH = 200  # a nonce of 43 characters, a timestamp and a signature: far below
MAX_COMMENT = 2000
DECISIONS = ("reopen", "keep")

LINK_USED = gettext_noop("this rating link was already used: each link gives one answer")
LINK_EXPIRED = gettext_noop("this rating link has expired")
LINK_SPENT = gettext_noop("this case was reopened after the link was sent: the link no longer rates it")


# --- the signed link ------------------------------------------------------------------------------------


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def _max_age() -> dt.timedelta:
    return dt.timedelta(days=settings.PUBLIC_RATING_LINK_DAYS)


def rating_token(invitation: RatingInvitation) -> str:
    """The signed token of an invitation's link (its nonce, timestamped)."""
    return _signer().sign(invitation.nonce)


def rating_invitation_issue(*, case: Case, follower: Follower) -> RatingInvitation:
    """The follower's invitation for this closing of the case: the one already made, whatever became of it
    (answered, its link shows the answer; past its days, the link says so: asking again gives no new
    days), else a new one. One link per reporter and closing is what the evaluation counts."""
    now = clock.now()
    # Invitations made before the case's last closing belong to an earlier one (it was reopened since).
    found = RatingInvitation.objects.filter(case=case, follower=follower)
    if case.closed_at is not None:
        found = found.filter(created_at__gte=case.closed_at)
    existing = found.order_by("-created_at", "-pk").first()
    if existing is not None:
        return existing
    return RatingInvitation.objects.create(
        case=case,
        follower=follower,
        nonce=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + _max_age(),
    )


def rating_link_for(case: Case, follower: Follower) -> str:
    """The path of the public rating page for a closed case's reporter (the notice's writer makes it
    absolute, like its other links), or "" when this follower gets none: only the reporter of a closed case
    is asked, and a hotline case has its own call back by phone."""
    if follower is None or follower.kind != Follower.Kind.REPORTER or follower.case_id != case.pk:
        return ""
    if case.state != CaseState.CLOSED or case.closed_at is None or case.source == Case.Source.HOTLINE:
        return ""
    invitation = rating_invitation_issue(case=case, follower=follower)
    return reverse("public-rate", kwargs={"token": rating_token(invitation)})


@dataclass(frozen=True)
class LinkState:
    """What a token opens: `invitation` (None when the token is not one of ours), and whether it is
    `expired` (by the signature's age or the invitation's own date), `spent` (the case was reopened since,
    or is no longer closed) or `used` (answered: `rating` holds the answer)."""

    invitation: RatingInvitation | None
    expired: bool = False
    spent: bool = False
    rating: CaseRating | None = None

    @property
    def used(self) -> bool:
        return self.rating is not None or (
            self.invitation is not None and self.invitation.used_at is not None
        )

    @property
    def open(self) -> bool:
        return self.invitation is not None and not (self.used or self.spent or self.expired)


def rating_link_read(token: str) -> LinkState:
    """Check a token and find its invitation (with its case, and its rating if answered). A tampered or
    unknown token gives LinkState(None). Two queries at most."""
    token = token or ""
    if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return LinkState(None)
    signer = _signer()
    expired = False
    try:
        nonce = signer.unsign(token, max_age=_max_age())
    except signing.SignatureExpired:
        expired = True
        nonce = signer.unsign(token)  # authentic, only old: say it expired rather than "not valid"
    except signing.BadSignature:
        return LinkState(None)
    invitation = (
        RatingInvitation.objects.filter(nonce=nonce)
        .select_related("case__category__parent", "case__grid__community__parent")
        .first()
    )
    if invitation is None:
        return LinkState(None)
    rating = CaseRating.objects.filter(invitation=invitation).first() if invitation.used_at else None
    case = invitation.case
    spent = case.state != CaseState.CLOSED or (
        case.closed_at is not None and case.closed_at > invitation.created_at
    )
    expired = expired or invitation.expires_at <= clock.now()
    return LinkState(invitation, expired=expired, spent=spent, rating=rating)


# --- the rating -----------------------------------------------------------------------------------------


def rating_record(*, invitation: RatingInvitation, rating: str, comment: str = "") -> CaseRating:
    """The reporter answers through their link: the rating, the case's RATE step (as the system acting
    for the resident) and the link spent, in one transaction. A dissatisfied answer waits for review."""
    if rating not in CaseRating.Rating.values:
        raise InvalidInput(
            gettext_noop("choose satisfied, basically satisfied or dissatisfied"), field="rating"
        )
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(
            gettext_noop("the comment is longer than %(n)s characters"), n=MAX_COMMENT, field="comment"
        )
    now = clock.now()
    with transaction.atomic():
        # Claim the link first: of two answers sent at once, only one finds it unused.
        claimed = RatingInvitation.objects.filter(pk=invitation.pk, used_at__isnull=True).update(used_at=now)
        if claimed != 1:
            raise Conflict(LINK_USED, field="rating")
        fresh = RatingInvitation.objects.select_related("case").get(pk=invitation.pk)
        case = fresh.case
        if case.state != CaseState.CLOSED or (case.closed_at and case.closed_at > fresh.created_at):
            raise Conflict(LINK_SPENT, field="rating")
        if fresh.expires_at <= now:
            raise InvalidInput(LINK_EXPIRED, field="rating")
        case_services.case_rate(case=case, actor=None, rating=rating, comment=comment)
        try:
            with transaction.atomic():
                return CaseRating.objects.create(
                    case=case,
                    invitation=fresh,
                    rating=rating,
                    comment=comment,
                    created_at=now,
                    review=(
                        CaseRating.Review.PENDING
                        if rating == CaseRating.Rating.DISSATISFIED
                        else CaseRating.Review.NONE
                    ),
                )
        except IntegrityError as exc:  # the invitation already has its rating (a concurrent answer)
            raise Conflict(LINK_USED, field="rating") from exc


# --- the review -----------------------------------------------------------------------------------------


def ratings_pending_review() -> QuerySet[CaseRating]:
    """The dissatisfied ratings waiting for the dispatch center, oldest first, each with its case's
    category (and major class) and department: one query per page."""
    return (
        CaseRating.objects.filter(review=CaseRating.Review.PENDING)
        .select_related("case__category__parent", "case__department")
        .order_by("created_at", "pk")
    )


def ratings_pending_count() -> int:
    return CaseRating.objects.filter(review=CaseRating.Review.PENDING).count()


def rating_review_decide(*, rating: CaseRating, actor, decision: str, reason: str) -> CaseRating:
    """The dispatch center's decision on a dissatisfied rating: "reopen" sends the case back to its
    department for rework (counted), "keep" keeps it closed; either with its reason, in the case's chain,
    and on the rating, in one transaction."""
    reason = (reason or "").strip()
    if decision not in DECISIONS:
        raise InvalidInput(
            gettext_noop("choose whether to reopen the case for rework or keep it closed"), field="decision"
        )
    if not reason:
        raise InvalidInput(gettext_noop("say why: the reason is recorded with the decision"), field="reason")
    now = clock.now()
    review = CaseRating.Review.REOPENED if decision == "reopen" else CaseRating.Review.KEPT
    with transaction.atomic():
        # Claim the rating: of two dispatchers deciding at once, the second is told it is done.
        claimed = CaseRating.objects.filter(pk=rating.pk, review=CaseRating.Review.PENDING).update(
            review=review, reviewed_by=actor, reviewed_at=now, review_reason=reason
        )
        if claimed != 1:
            raise Conflict(gettext_noop("this rating was already reviewed"), field="decision")
        case = Case.objects.get(pk=rating.case_id)
        if decision == "reopen":
            case_services.case_reopen(case=case, actor=actor, reason=reason)
        else:
            case_services.case_review_keep(case=case, actor=actor, reason=reason)
    return CaseRating.objects.select_related("case").get(pk=rating.pk)


def on_case_stepped(payload: tuple[int, str, int]) -> None:
    """A case was reopened (by review or from its page): its unanswered links are spent, and a rating
    still waiting for review is settled by that reopening (who, when, why, from the event)."""
    case_id, action, seq = payload
    if action != Action.REOPEN:
        return
    event = CaseEvent.objects.filter(case_id=case_id, seq=seq).first()
    now = clock.now()
    with transaction.atomic():
        RatingInvitation.objects.filter(case_id=case_id, used_at__isnull=True, expires_at__gt=now).update(
            expires_at=now
        )
        if event is not None:
            CaseRating.objects.filter(case_id=case_id, review=CaseRating.Review.PENDING).update(
                review=CaseRating.Review.REOPENED,
                reviewed_by=event.actor,
                reviewed_at=event.created_at,
                review_reason=event.note,
            )


# --- what the rating page shows ---------------------------------------------------------------------------


def rating_case_steps(case: Case) -> Case:
    """`case` with `public_events` (its public steps, with `department_name` on dispatches) for
    public.ui.steps: what the page may say was done, in fixed phrases, public or not. Two queries."""
    events = list(
        CaseEvent.objects.filter(case=case, action__in=PUBLIC_ACTIONS)
        .only("case_id", "seq", "action", "data", "created_at")
        .order_by("seq")
    )
    codes = {(e.data or {}).get("department") for e in events if e.action == Action.DISPATCH}
    codes.discard(None)
    names = dict(Department.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
    for event in events:
        event.department_name = names.get((event.data or {}).get("department"), "")
    case.public_events = events
    return case
