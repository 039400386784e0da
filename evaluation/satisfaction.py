"""Residents' satisfaction (回访满意率) with closed cases, from the reporters' answers to their rating links
(public.models.RatingInvitation and CaseRating), per department, grid and category, for a period of
`evaluation.indicators`.

Who is counted
    Each closing of a case whose reporter follows it sends the reporter one rating link (an invitation):
    the cohort of a period is the links sent in it (cases closed in it), up to its as-of. A hotline case
    is called back by phone instead (its figures are the call backs' in `supervision_indicators`).

Figures of a group (the case's department, its grid, the major class of its category; and the district)
    - ``invited`` 邀评数: rating links sent in the period.
    - ``answered`` 回复数: of those, answered by as-of.
    - ``satisfied`` 满意, ``basically`` 基本满意, ``dissatisfied`` 不满意: the answers.
    - ``reopened`` 复核返工数 and ``kept`` 复核维持数: dissatisfied answers the dispatch center reviewed by
      reopening the case for rework or keeping it closed (``pending``: not reviewed yet). Reviews are read
      as they stand now.
    - ``satisfaction_rate`` 满意率 = (satisfied + basically) / answered: the rule of the call backs'
      satisfaction rate. A link never answered is not an answer, so it is never counted as satisfied.
    - ``response_rate`` 回复率 = answered / invited.

Rates follow the product's one rule (``gridmgmt.figures``); None (shown "—") when the denominator is 0.
One query whatever the number of links: counted in SQL per department, grid and category together.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from cases.ui import category_label
from gridmgmt import clock
from gridmgmt.sorting import natural_key
from grids.models import grid_label
from public.models import CaseRating, RatingInvitation

from .indicators import DEPARTMENT, GRID, TOTAL, TOTAL_KEY, Period, ratio

CATEGORY = "category"
SATISFACTION_KINDS = (DEPARTMENT, GRID, CATEGORY)
NO_DEPARTMENT_KEY = ""
TABLE_LABELS = {DEPARTMENT: _("Departments"), GRID: _("Grids"), CATEGORY: _("Categories (major classes)")}
COUNTS = ("invited", "answered", "satisfied", "basically", "dissatisfied", "reopened", "kept", "pending")

SATISFACTION_FORMULAS: tuple[tuple[str, str, object], ...] = (
    (
        "invited",
        "邀评数",
        _(
            "rating links sent to reporters in the period: one for each closing of a case its reporter "
            "follows"
        ),
    ),
    ("answered", "回复数", _("of those links, the ones the reporter answered by the end of the period")),
    ("satisfied", "满意", _("answers: satisfied")),
    ("basically", "基本满意", _("answers: basically satisfied")),
    ("dissatisfied", "不满意", _("answers: dissatisfied")),
    (
        "reopened",
        "复核返工数",
        _("dissatisfied answers the dispatch center reviewed by reopening the case for rework"),
    ),
    (
        "kept",
        "复核维持数",
        _("dissatisfied answers the dispatch center reviewed by keeping the case closed, with a reason"),
    ),
    (
        "rating_satisfaction_rate",
        "满意率",
        _("(satisfied + basically satisfied) / answered; a link never answered is not counted as satisfied"),
    ),
    ("rating_response_rate", "回复率", _("answered / invited")),
)


@dataclass
class SatisfactionRow:
    kind: str
    key: str
    label: object = ""
    invited: int = 0
    answered: int = 0
    satisfied: int = 0
    basically: int = 0
    dissatisfied: int = 0
    reopened: int = 0
    kept: int = 0
    pending: int = 0

    @property
    def content(self) -> int:
        """Satisfied and basically satisfied together: the numerator of the satisfaction rate."""
        return self.satisfied + self.basically

    @property
    def satisfaction_rate(self) -> float | None:
        return ratio(self.content, self.answered)

    @property
    def response_rate(self) -> float | None:
        return ratio(self.answered, self.invited)


@dataclass
class SatisfactionFigures:
    period: Period
    as_of: dt.datetime
    total: SatisfactionRow
    departments: list[SatisfactionRow] = field(default_factory=list)
    grids: list[SatisfactionRow] = field(default_factory=list)
    categories: list[SatisfactionRow] = field(default_factory=list)

    def rows(self, kind: str) -> list[SatisfactionRow]:
        return {DEPARTMENT: self.departments, GRID: self.grids, CATEGORY: self.categories}[kind]

    @property
    def tables(self) -> list[tuple[str, object, list[SatisfactionRow]]]:
        """(kind, heading, rows) of the page's three tables."""
        return [(kind, TABLE_LABELS[kind], self.rows(kind)) for kind in SATISFACTION_KINDS]


def _aggregates(as_of: dt.datetime) -> dict:
    answered = Q(rating__isnull=False, rating__created_at__lt=as_of)
    rated = CaseRating.Rating
    review = CaseRating.Review
    return {
        "invited": Count("pk"),
        "answered": Count("pk", filter=answered),
        "satisfied": Count("pk", filter=answered & Q(rating__rating=rated.SATISFIED)),
        "basically": Count("pk", filter=answered & Q(rating__rating=rated.BASICALLY)),
        "dissatisfied": Count("pk", filter=answered & Q(rating__rating=rated.DISSATISFIED)),
        "reopened": Count("pk", filter=answered & Q(rating__review=review.REOPENED)),
        "kept": Count("pk", filter=answered & Q(rating__review=review.KEPT)),
        "pending": Count("pk", filter=answered & Q(rating__review=review.PENDING)),
    }


def _add(row: SatisfactionRow, counts: dict) -> None:
    for name in COUNTS:
        setattr(row, name, getattr(row, name) + counts[name])


def _sorted(rows: dict[str, SatisfactionRow]) -> list[SatisfactionRow]:
    return sorted(rows.values(), key=lambda r: (natural_key(str(r.label)), r.key))


def satisfaction_indicators(period: Period, *, now: dt.datetime | None = None) -> SatisfactionFigures:
    """The district's figures and those of every department, grid and major category with links sent in
    the period, in natural order of their names. One query: the links counted in SQL per department, grid
    and major class together, each grouping then summed from those few rows."""
    as_of = period.as_of(now or clock.now())
    groups = (
        RatingInvitation.objects.filter(created_at__gte=period.start_at, created_at__lt=as_of)
        # The major class (大类) of the case's category: a minor class's parent, or the category itself.
        .annotate(
            major_code=Coalesce("case__category__parent__code", "case__category__code"),
            major_name=Coalesce("case__category__parent__name", "case__category__name"),
            major_name_en=Coalesce("case__category__parent__name_en", "case__category__name_en"),
        )
        .values(
            "case__department__code",
            "case__department__name",
            "case__grid__code",
            "case__grid__name",
            "case__grid__community__name",
            "major_code",
            "major_name",
            "major_name_en",
        )
        .annotate(**_aggregates(as_of))
        .order_by()
    )
    language = get_language()
    total = SatisfactionRow(kind=TOTAL, key=TOTAL_KEY, label=_("Whole district"))
    departments: dict[str, SatisfactionRow] = {}
    grids: dict[str, SatisfactionRow] = {}
    categories: dict[str, SatisfactionRow] = {}
    for counts in groups:
        department = counts["case__department__code"] or NO_DEPARTMENT_KEY
        if department not in departments:
            label = counts["case__department__name"] or _("No department")
            departments[department] = SatisfactionRow(kind=DEPARTMENT, key=department, label=label)
        grid = counts["case__grid__code"] or ""
        if grid not in grids:
            label = (
                grid_label(counts["case__grid__name"], counts["case__grid__community__name"] or "")
                if grid
                else _("Outside every grid")
            )
            grids[grid] = SatisfactionRow(kind=GRID, key=grid, label=label)
        major = counts["major_code"] or ""
        if major not in categories:
            names = SimpleNamespace(name=counts["major_name"] or "", name_en=counts["major_name_en"] or "")
            categories[major] = SatisfactionRow(
                kind=CATEGORY, key=major, label=category_label(names, language)
            )
        for row in (total, departments[department], grids[grid], categories[major]):
            _add(row, counts)
    return SatisfactionFigures(
        period=period,
        as_of=as_of,
        total=total,
        departments=_sorted(departments),
        grids=_sorted(grids),
        categories=_sorted(categories),
    )
