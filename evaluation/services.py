"""Evaluation writes: materialising a period's figures and chart series from the case history."""

import datetime as dt

from django.db import transaction

from gridmgmt import clock

from . import indicators as evaluation
from .models import EvaluationFigure, EvaluationTrends


def evaluation_materialise(*, start: dt.date, end: dt.date, now: dt.datetime | None = None) -> int:
    """Recompute a period's evaluation figures from the case history and store them in place of the old
    ones (every grouping, one replay). Returns the number of rows stored.

    Rows are upserted and leftovers deleted, so two runs for the same period at once both succeed (the
    later one's figures stand) instead of colliding on the unique key.
    """
    now = now or clock.now()
    period = evaluation.Period(start, end)
    facts = evaluation.facts_collect(period, now=now)  # one replay for the figures and the charts
    tables = {kind: evaluation.indicators(facts, kind) for kind in evaluation.KINDS}
    as_of = period.as_of(now)
    rows = [
        EvaluationFigure(
            period_start=start,
            period_end=end,
            kind=kind,
            key=figures.key,
            label=figures.label[:200],
            **figures.counts(),
            avg_handling_hours=figures.avg_handling_hours,
            p90_handling_hours=figures.p90_handling_hours,
            as_of=as_of,
            computed_at=now,
        )
        for kind, table in tables.items()
        for figures in table
    ]
    unique = ["period_start", "period_end", "kind", "key"]
    with transaction.atomic():
        stored = EvaluationFigure.objects.filter(period_start=start, period_end=end)
        keep = {(row.kind, row.key) for row in rows}
        stale = [pk for pk, kind, key in stored.values_list("pk", "kind", "key") if (kind, key) not in keep]
        EvaluationFigure.objects.filter(pk__in=stale).delete()
        EvaluationFigure.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=unique,
            update_fields=[
                f.name for f in EvaluationFigure._meta.concrete_fields if f.name not in {"id", *unique}
            ],
        )
        EvaluationTrends.objects.update_or_create(
            period_start=start,
            period_end=end,
            defaults={"data": evaluation.trends(facts), "as_of": as_of, "computed_at": now},
        )
    return len(rows)


def evaluation_materialise_nightly(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The nightly run: yesterday, the last 7 and 60 whole days, the month to date and the last month."""
    now = now or clock.now()
    return {
        str(period): evaluation_materialise(start=period.start, end=period.end, now=now)
        for period in evaluation.nightly_periods(evaluation.local_today(now))
    }
