"""Reads of the evaluation: a period's materialised figures and chart series, else figures computed now."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from gridmgmt import clock

from .indicators import KINDS, TOTAL, Facts, Figures, Period, Table, facts_collect, indicators, ranking_key
from .models import EvaluationFigure, EvaluationTrends


def stored_tables(period: Period, *, kinds: Iterable[str] = KINDS, now=None) -> dict[str, Table] | None:
    """The materialised rows of the period (one query), or None when the period was never materialised."""
    now = now or clock.now()
    by_kind: dict[str, list[EvaluationFigure]] = defaultdict(list)
    kinds = list(kinds)
    stored = EvaluationFigure.objects.filter(period_start=period.start, period_end=period.end)
    rows = list(stored.filter(kind__in={*kinds, TOTAL}))
    if not any(row.kind == TOTAL for row in rows):  # the total row marks a materialised period
        return None
    for row in rows:
        by_kind[row.kind].append(row)
    marker = next(row for row in rows if row.kind == TOTAL)
    tables = {}
    for kind in kinds:
        figures = sorted((Figures.from_row(row) for row in by_kind[kind]), key=ranking_key)
        tables[kind] = Table(
            period=period,
            kind=kind,
            rows=figures,
            as_of=marker.as_of,
            computed_at=marker.computed_at,
            stale=marker.as_of < period.as_of(now),
        )
    return tables


def stored_trends(period: Period) -> dict | None:
    """The chart series stored with the period's figures, or None when the period was never materialised."""
    return (
        EvaluationTrends.objects.filter(period_start=period.start, period_end=period.end)
        .values_list("data", flat=True)
        .first()
    )


def tables_for(
    period: Period, *, kinds: Iterable[str] = KINDS, now=None, facts: Facts | None = None
) -> dict[str, Table]:
    """Materialised rows when the period has them, else computed now from the history."""
    kinds = list(kinds)
    stored = stored_tables(period, kinds=kinds, now=now)
    if stored is not None:
        return stored
    facts = facts or facts_collect(period, now=now)
    return {
        kind: Table(
            period=period, kind=kind, rows=indicators(facts, kind), as_of=facts.as_of, computed_at=None
        )
        for kind in kinds
    }
