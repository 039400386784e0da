"""The demo's public site (issue 19): the grid administrators' work phones (their grid pages and posters show
them), the residents' accounts (resident1 verified against the registry in a grid of gridadmin1, resident2
signed up but not verified), a few reports sent from the public site with residents saying "me too", and
the ratings of two closed ones: a satisfied one, and a dissatisfied one waiting in the dispatch center's
review queue.

Every case step goes through the case services at the moment it "happened" (the chains stay valid); the
public app's rows (supports, followers, rating links, ratings) are written beside them in the same moment.
Numbers are 0791-8612xxxx (work phones) and 1390000xxxx (residents): obviously made up.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import shapely
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count, Sum
from django.utils import timezone

from cases import services as case_services
from cases.models import Case, CaseState, Category
from departments.models import Department
from dispatch.services import case_route
from gridmgmt import clock
from gridmgmt.roles import Role
from grids import pii
from grids.geometry import to_shape
from grids.models import Grid, GridAssignment, Resident
from public.accounts import email_confirm, email_confirm_token, registry_link_decide, registry_link_request
from public.follow import follower_add
from public.models import (
    CaseRating,
    Channel,
    Follower,
    ResidentAccount,
)
from public.ratings import rating_invitation_issue, rating_record
from public.reporting import case_support

from . import reference as data
from .evidence import demo_photo, demo_position

VERIFIED = "resident1"  # verified against the registry, in a grid of gridadmin1
UNVERIFIED = "resident2"  # signed up and confirmed their e-mail; not linked to the registry
WORK_PHONE = "0791-8612{:04d}"  # the administrator's number: gridadmin7 → 0791-86120007
LANGUAGE = "zh-hans"
DAYTIME = (8, 19)  # local hours in which the demo's people take a step


@dataclass(frozen=True)
class _Report:
    """A report from the public site and what happens to it."""

    key: str
    category: str  # minor class code
    grid: int  # which of gridadmin1's grids (0: the one the map opens on)
    hours_ago: float
    description: str
    reporter: str  # VERIFIED, or "" for someone without an account who left a phone
    steps: tuple[str, ...]  # after the routing: file dispatch accept resolve verify_pass
    supporters: int = 0  # besides resident2, who says "me too" to the first open one
    rating: str = ""
    comment: str = ""
    photo: bool = False


_STEPS = ("file", "dispatch", "accept", "resolve", "verify_pass")
REPORTS = (
    _Report(
        "road",
        "0201",
        0,
        50,
        "小区门口的人行道和车道交界处塌了一个大坑，下雨后积水，电动车经过差点摔倒",
        VERIFIED,
        _STEPS[:3],
        supporters=3,
        photo=True,
    ),
    _Report(
        "piles",
        "2105",
        1,
        0.7,
        "楼下公共通道被人堆了旧家具和装修材料，消防车进不来",
        "",
        (),
        supporters=1,
    ),
    _Report(
        "bicycles",
        "2503",
        0,
        6 * 24,
        "地铁站出口的共享单车乱停乱放，把盲道和人行道都堵死了",
        "",
        _STEPS,
        rating=CaseRating.Rating.DISSATISFIED,
        comment="清理后没两天又停满了，希望能划线管理，从根本上解决",
        photo=True,
    ),
    _Report(
        "toilet",
        "0302",
        2,
        9 * 24,
        "公园里公厕的洗手池水龙头坏了，一直在流水",
        VERIFIED,
        _STEPS,
        rating=CaseRating.Rating.SATISFIED,
        comment="第二天就修好了，谢谢",
    ),
)


def demo_public_seed(*, now: dt.datetime, home: Grid | None = None, seed: int = 1) -> None:
    """The public site's demo, once the history exists: work phones, the two resident accounts, the public
    reports with their supporters, followers and ratings. `home`: the grid the map opens on (gridadmin1's)."""
    rng = random.Random(f"public-{seed}")
    demo_work_phones()
    User = get_user_model()
    gridadmin1 = User.objects.get(username="gridadmin1")
    grids = _grids_of(gridadmin1, home)
    verified, unverified = demo_resident_accounts(now=now, grid=grids[0], verifier=gridadmin1)
    people = {VERIFIED: verified, UNVERIFIED: unverified}
    dispatcher = User.objects.get(username="dispatcher")
    for index, spec in enumerate(REPORTS):
        _play(
            spec,
            index,
            rng=rng,
            now=now,
            grid=grids[spec.grid % len(grids)],
            people=people,
            dispatcher=dispatcher,
        )


def demo_public_summary() -> str:
    """One line for seed_demo: what the public site's demo holds."""
    cases = Case.objects.filter(source=Case.Source.PUBLIC).aggregate(
        n=Count("id"), supporters=Sum("supporter_count")
    )
    ratings = CaseRating.objects.count()
    waiting = CaseRating.objects.filter(review=CaseRating.Review.PENDING).count()
    phones = GridAssignment.objects.exclude(work_phone="").count()
    return (
        f"Public site: {cases['n']} reports with {cases['supporters'] or 0} supporters, {ratings} ratings "
        f"({waiting} waiting for review), {phones} grid assignments with a work phone; residents {VERIFIED} "
        f"(verified) and {UNVERIFIED} (not verified)."
    )


# --- grid administrators and residents ------------------------------------------------------------------


def demo_work_phones() -> int:
    """Each administrator's work phone on every grid they hold (one number per person, as a desk phone)."""
    assignments = list(GridAssignment.objects.select_related("user").order_by("pk"))
    for assignment in assignments:
        number = assignment.user.username.removeprefix("gridadmin")
        assignment.work_phone = WORK_PHONE.format(int(number)) if number.isdigit() else ""
    GridAssignment.objects.bulk_update(assignments, ["work_phone"], batch_size=500)
    return len(assignments)


def demo_resident_accounts(*, now: dt.datetime, grid: Grid, verifier) -> tuple:
    """resident1 (the seed's resident user) with an account verified against a registry entry of `grid`,
    confirmed by `verifier` (gridadmin1); resident2, a new resident who confirmed their e-mail only.

    The demo's logins keep their usernames, so the accounts are opened beside the existing users rather than
    by the sign-up (which names its users itself); everything after that goes through public.accounts: the
    e-mail confirmation, the request to be linked to the registry, and the administrator's approval."""
    User = get_user_model()
    verified = User.objects.get(username=VERIFIED)
    joined = now - dt.timedelta(days=3)
    # Same demo password: the hash is reused rather than computed again (the hasher is slow on purpose).
    unverified = User.objects.create(
        username=UNVERIFIED,
        email=f"{UNVERIFIED}@{data.EMAIL_DOMAIN}",
        password=verified.password,
        first_name="陈晓梅",
        date_joined=joined,
    )
    unverified.groups.add(Group.objects.get_or_create(name=Role.RESIDENT)[0])
    _account_open(unverified, at=joined)

    entry = Resident.objects.filter(grid=grid, moved_out_on__isnull=True).order_by("pk").first()
    # The account holder is the person in the registry: the same name.
    verified.first_name, verified.last_name = entry.name, ""
    verified.save(update_fields=["first_name", "last_name"])
    signed_up = now - dt.timedelta(days=21)
    account = _account_open(verified, at=signed_up)
    with clock.frozen_at(signed_up + dt.timedelta(minutes=12)):
        link = registry_link_request(
            account=account, grid=grid, full_name=entry.name, id_number=pii.decrypt(entry.id_number_encrypted)
        )
    with clock.frozen_at(signed_up + dt.timedelta(days=1, hours=3)):
        registry_link_decide(link=link, actor=verifier, approve=True)
    return verified, unverified


def _account_open(user, *, at: dt.datetime) -> ResidentAccount:
    """A resident account for an existing user, its e-mail confirmed by the link a few minutes later."""
    account = ResidentAccount.objects.create(user=user, created_at=at)
    with clock.frozen_at(at + dt.timedelta(minutes=3)):
        return email_confirm(token=email_confirm_token(account))


def _grids_of(user, home: Grid | None) -> list[Grid]:
    """The grids `user` holds, `home` first, then by code."""
    grids = list(Grid.objects.filter(assignments__user=user).order_by("code"))
    if home is not None and home in grids:
        grids.remove(home)
        grids.insert(0, home)
    return grids


# --- the reports ----------------------------------------------------------------------------------------


def _play(spec: _Report, index: int, *, rng, now, grid: Grid, people: dict, dispatcher) -> Case:
    """Report, drive through its steps, gather supporters while open, and rate once closed."""
    at = (now - dt.timedelta(hours=spec.hours_ago)).replace(microsecond=0)
    reporter = people.get(spec.reporter)
    lat, lng = _point_in(grid, rng)
    with clock.frozen_at(at):
        case = case_services.case_report(
            actor=reporter,
            source=Case.Source.PUBLIC,
            lat=lat,
            lng=lng,
            category=Category.objects.get(code=spec.category),
            description=spec.description,
            photos=[demo_photo("report", at, rng)] if spec.photo else [],
        )
        case = case_route(case_id=case.pk) or case
        if reporter is not None:
            contact = (Channel.EMAIL, reporter.email)
        else:
            contact = (Channel.SMS, f"1390000{index:04d}")
        follower = follower_add(
            case=case,
            kind=Follower.Kind.REPORTER,
            channel=contact[0],
            address=contact[1],
            language=LANGUAGE,
            user=reporter,
        )
    supporters = [(people[UNVERIFIED], "")] if index == 0 else []
    supporters += [(None, f"1390001{index:02d}{n:02d}") for n in range(spec.supporters)]
    # Supporters come while the case is open: in the hours after the report (or before its first step).
    last = at
    for user, phone in supporters:
        last = _second(
            min(last + dt.timedelta(minutes=rng.uniform(8, 40)), now - dt.timedelta(minutes=5)), after=last
        )
        case = _support(case, at=last, user=user, phone=phone)
    prev = max(at, last)
    for step in spec.steps:
        if step == "file" and case.state != CaseState.REPORTED:
            continue  # the routing filed it already
        prev = _when(case, prev, rng, now)
        with clock.frozen_at(prev):
            case = _step(case, step, rng=rng, dispatcher=dispatcher)
    if spec.rating and case.state == CaseState.CLOSED:
        _rate(case, follower, rating=spec.rating, comment=spec.comment, rng=rng, now=now)
    return case


def _support(case: Case, *, at: dt.datetime, user, phone: str) -> Case:
    """One "me too" as the public site takes it (public.reporting.case_support): the count in the chain,
    who said it (an account, or the keyed hash of the phone they left), and they follow the case."""
    with clock.frozen_at(at):
        contact = user.email if user is not None else phone
        return case_support(case=case, user=user, fingerprint="", contact=contact, language=LANGUAGE)


def _step(case: Case, step: str, *, rng, dispatcher) -> Case:
    if step == "file":
        return case_services.case_file(case=case, actor=dispatcher)
    if step == "dispatch":
        department = case.suggested_department or Department.objects.get(
            code=next(m.department for m in data.TAXONOMY if m.code == case.category.code[:2])
        )
        return case_services.case_dispatch(case=case, actor=dispatcher, department=department)
    staff = case.department.members.order_by("pk").first() if case.department_id else None
    if step == "accept":
        return case_services.case_accept(case=case, actor=staff)
    if step == "resolve":
        notes = rng.choice(next(d.resolutions for d in data.DEPARTMENTS if d.code == case.department.code))
        return case_services.case_resolve(
            case=case, actor=staff, notes=notes, photos=[demo_photo("evidence", clock.now(), rng)]
        )
    if step == "verify_pass":
        verifier = GridAssignment.objects.filter(grid_id=case.grid_id).order_by("pk").first().user
        return case_services.case_verify_pass(
            case=case,
            actor=verifier,
            note=rng.choice(data.VERIFY_PASS_NOTES),
            photos=[demo_photo("verification", clock.now(), rng)],
            position=demo_position(case, rng),
        )
    raise ValueError(f"unknown demo step {step!r}")  # pragma: no cover - a typo in REPORTS


def _when(case: Case, prev: dt.datetime, rng, now: dt.datetime) -> dt.datetime:
    """The next step a little later in the day, well within the running stage's limit: a step that would fall
    in the evening waits for the next morning (and for the deadline, if that is sooner); never at or after
    `now`."""
    at = prev + dt.timedelta(minutes=rng.uniform(20, 150))
    local = timezone.localtime(at)
    if not DAYTIME[0] <= local.hour < DAYTIME[1]:
        morning = local.replace(hour=DAYTIME[0], minute=30, second=0, microsecond=0)
        if local.hour >= DAYTIME[1]:
            morning += dt.timedelta(days=1)
        at = morning + dt.timedelta(minutes=rng.uniform(0, 60))
        if case.deadline_at is not None:
            at = min(at, prev + (case.deadline_at - prev) * 0.5)
    if at >= now - dt.timedelta(minutes=2):
        at = prev + (now - prev) * rng.uniform(0.3, 0.6)
    return _second(at, after=prev)


def _second(at: dt.datetime, *, after: dt.datetime) -> dt.datetime:
    """`at` to the whole second, as long as that is still after `after`."""
    whole = at.replace(microsecond=0)
    return whole if whole > after else at


def _rate(case: Case, follower: Follower, *, rating: str, comment: str, rng, now: dt.datetime) -> CaseRating:
    """The reporter's answer to the rating link sent at closing, as the public site takes it
    (public.ratings): the RATE step in the chain, the link spent, the rating (a dissatisfied one waits for the
    dispatch center's review)."""
    sent = case.closed_at + dt.timedelta(minutes=1)
    answered = min(case.closed_at + dt.timedelta(hours=rng.uniform(2, 20)), now - dt.timedelta(minutes=30))
    answered = _second(answered, after=case.closed_at)
    with clock.frozen_at(sent):
        invitation = rating_invitation_issue(case=case, follower=follower)
    with clock.frozen_at(answered):
        return rating_record(invitation=invitation, rating=rating, comment=comment)


def _point_in(grid: Grid, rng) -> tuple[float, float]:
    """A point well inside the grid (so locating it finds this grid and no neighbour)."""
    area = to_shape(grid.boundary)
    inner = area.buffer(-5e-5)
    area = inner if not inner.is_empty else area
    min_lng, min_lat, max_lng, max_lat = area.bounds
    for _ in range(500):
        lng, lat = rng.uniform(min_lng, max_lng), rng.uniform(min_lat, max_lat)
        if area.contains(shapely.Point(lng, lat)):
            return round(lat, 6), round(lng, 6)
    point = area.representative_point()
    return round(point.y, 6), round(point.x, 6)
