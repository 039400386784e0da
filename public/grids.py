"""A grid's public page: where it is, who looks after it (names and work phones only), its recent public
cases and how many are open or were fixed lately."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.translation import pgettext

from cases.models import OPEN_STATES, Case, CaseState
from gridmgmt.people import full_name
from gridmgmt.sorting import natural_key
from grids.models import Grid, GridAssignment
from grids.services import is_grid_code

RECENT_CASES = 20
FIXED_DAYS = 30


@dataclass(frozen=True)
class Administrator:
    """What the public may know of a grid's administrator: a name and the grid's work phone."""

    user_id: int
    name: str
    work_phone: str


@dataclass
class GridPage:
    grid: Grid
    administrators: list[Administrator]
    cases: list[Case]
    open_count: int
    fixed_count: int  # closed in the last FIXED_DAYS days

    def administered_by(self, user) -> bool:
        return bool(getattr(user, "is_authenticated", False)) and any(
            admin.user_id == user.pk for admin in self.administrators
        )


def grid_administrators(grid: Grid) -> list[Administrator]:
    """What the public may know of who looks after `grid` (its page, its poster, the report form): each
    active administrator's name — never the account name: one without a name is "grid administrator" — and
    their work phone for this grid, in natural order. One query."""
    fallback = pgettext("public grid page", "grid administrator")
    rows = GridAssignment.objects.filter(grid=grid, user__is_active=True).values_list(
        "user_id", "user__first_name", "user__last_name", "work_phone"
    )
    return sorted(
        (
            Administrator(user_id, full_name(first, last) or fallback, phone.strip())
            for user_id, first, last, phone in rows
        ),
        key=lambda admin: natural_key(admin.name),
    )


def public_grid_page(code: str, *, now: dt.datetime) -> GridPage | None:
    """The grid `code` as the public reads it, or None when there is no such grid. Four queries: the grid
    with its community and street, its administrators, its recent public cases, their counts."""
    if not is_grid_code(code):
        return None
    grid = Grid.objects.select_related("community__parent").filter(code=code).first()
    if grid is None:
        return None
    administrators = grid_administrators(grid)
    public = Case.objects.filter(grid=grid, number__isnull=False, is_public=True)
    cases = list(
        public.exclude(state=CaseState.REJECTED)
        .select_related("category")
        .order_by("-reported_at", "-id")[:RECENT_CASES]
    )
    counts = public.aggregate(
        open=Count("id", filter=Q(state__in=OPEN_STATES)),
        fixed=Count(
            "id", filter=Q(state=CaseState.CLOSED, closed_at__gte=now - dt.timedelta(days=FIXED_DAYS))
        ),
    )
    return GridPage(
        grid=grid,
        administrators=administrators,
        cases=cases,
        open_count=counts["open"],
        fixed_count=counts["fixed"],
    )
