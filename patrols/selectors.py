"""Reads of patrols, scoped by gridmgmt.policy: lists with their patroller, one patrol with its cases."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.http import Http404

from gridmgmt import policy
from grids.models import Grid

from .models import Patrol, PatrolCase


def patrols_visible_to(
    user,
    *,
    patroller_id: int | None = None,
    review: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[Patrol]:
    """Patrols `user` may read, newest first, with their patroller; the heavy columns (track, flags' places)
    stay in the database until a detail page asks."""
    rows = Patrol.objects.filter(policy.patrols_visible_q(user)).select_related("patroller", "reviewed_by")
    if patroller_id is not None:
        rows = rows.filter(patroller_id=patroller_id)
    if review:
        rows = rows.filter(review=review)
    if since is not None:
        rows = rows.filter(started_at__gte=since)
    if until is not None:
        rows = rows.filter(started_at__lt=until)
    return rows.defer("track").order_by("-started_at", "-id")


def patrol_get_for(user, pk: int) -> Patrol:
    """One patrol `user` may read, or 404 (the same for one that does not exist)."""
    patrol = (
        Patrol.objects.filter(policy.patrols_visible_q(user))
        .select_related("patroller", "reviewed_by")
        .filter(pk=pk)
        .first()
    )
    if patrol is None:
        raise Http404("No such patrol, or not yours to see")
    return patrol


def patrol_running_for(user) -> Patrol | None:
    return Patrol.objects.filter(patroller=user, state=Patrol.State.RUNNING).first()


def patrol_cases(patrol: Patrol) -> list[PatrolCase]:
    return list(
        PatrolCase.objects.filter(patrol=patrol).select_related("case__category").order_by("linked_at")
    )


def patrol_grids(patrol: Patrol) -> dict[int, Grid]:
    """The grids named by a patrol's coverage and minutes (touched or the patroller's own), by id."""
    ids = {int(k) for k in patrol.coverage} | {int(k) for k in patrol.minutes_by_grid} | set(patrol.grid_ids)
    return {g.pk: g for g in Grid.objects.filter(pk__in=ids).only("id", "code", "name", "boundary")}
