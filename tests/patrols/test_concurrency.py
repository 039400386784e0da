"""Racing batches on PostgreSQL: a batch sent twice at the same moment (a retry racing the original) is
stored once, and two different batches racing both land, numbered without gaps."""

import datetime as dt

import pytest
from django.utils import timezone

from patrols import audit, services
from patrols.models import Patrol, PatrolPoint
from tests.conftest import requires_postgres
from tests.factories import centre
from tests.support.racing import race

from .factories import walk

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def points(world, n: int = 40) -> list[dict]:
    lat, lng = centre(world.g1)
    return walk([(lat, lng - 0.003), (lat, lng + 0.003)], start=timezone.now() - dt.timedelta(minutes=20))[:n]


def add(pk: int, actor, batch: str, pts: list[dict]):
    return lambda: services.patrol_points_add(
        patrol=Patrol.objects.get(pk=pk), actor=actor, batch=batch, points=pts
    )


def test_the_same_batch_sent_twice_at_once_is_stored_once(world):
    for round_ in range(5):
        patrol, _ = services.patrol_start(actor=world.gridadmin)
        pts = points(world)
        results = race(*(add(patrol.pk, world.gridadmin, f"same-{round_}", pts) for _ in range(3)))
        assert not [r for r in results if isinstance(r, Exception)], results
        assert sorted(r.added for r in results) == [0, 0, len(pts)]
        assert PatrolPoint.objects.filter(patrol=patrol).count() == len(pts)
        assert audit.patrol_verify(Patrol.objects.get(pk=patrol.pk)) == []
        services.patrol_end(patrol=patrol, actor=world.gridadmin)


def test_different_batches_racing_all_land_in_sequence(world):
    patrol, _ = services.patrol_start(actor=world.gridadmin)
    pts = points(world, 60)
    results = race(*(add(patrol.pk, world.gridadmin, f"b{i}", pts[i * 20 : i * 20 + 20]) for i in range(3)))
    assert [r.added for r in results] == [20, 20, 20]
    seqs = list(PatrolPoint.objects.filter(patrol=patrol).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 61))
    assert audit.patrol_verify(Patrol.objects.get(pk=patrol.pk)) == []
