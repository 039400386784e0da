"""Demo supervision (督办): the seeded history's overdue open cases put on the ladder as the minute beat would
have done over the last week, so the supervision list and banners show cases at levels 1–3."""

from __future__ import annotations

import datetime as dt
import importlib

from django.db.models import Count, Max

from cases.models import OPEN_STATES, Case, CaseEvent, SupervisionLevel
from dispatch.supervision import supervision_sweep
from gridmgmt import clock

REPLAY = dt.timedelta(days=7)
BEAT = dt.timedelta(hours=1)


def _ladder_ensure() -> None:
    """The shipped ladder (migration cases/0011); a flushed test database lacks it."""
    if SupervisionLevel.objects.exists():
        return
    shipped = importlib.import_module("cases.migrations.0011_supervision_levels")
    for rank, name, name_en, audience, minutes in shipped.LEVELS:
        SupervisionLevel.objects.create(
            rank=rank, name=name, name_en=name_en, audience=audience, after_minutes=minutes
        )


def demo_supervision_seed(*, now: dt.datetime) -> dict[int, int]:
    """Replay the supervision sweep hourly over the last week for the open, running, overdue cases; a case
    joins the replay only once its own history has reached the beat, so its timeline stays in time order.
    Returns {level: open cases at it}."""
    _ladder_ensure()
    last_event = dict(
        CaseEvent.objects.filter(
            case__state__in=OPEN_STATES, case__overdue_at__isnull=False, case__suspended_at__isnull=True
        )
        .values_list("case_id")
        .annotate(at=Max("created_at"))
        .order_by()
    )
    beat = now - REPLAY
    while beat <= now:
        ready = [case_id for case_id, at in last_event.items() if at <= beat]
        if ready:
            with clock.frozen_at(beat):
                supervision_sweep(now=beat, case_ids=ready)
        beat += BEAT
    return dict(
        Case.objects.filter(state__in=OPEN_STATES, supervision_level__gt=0)
        .values_list("supervision_level")
        .annotate(n=Count("id"))
        .order_by()
    )
