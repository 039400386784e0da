"""A patrol ended outside any surrounding transaction (a request) has its figures at once; a long one is
left to the worker."""

import datetime as dt

import pytest
from django.utils import timezone

from gridmgmt import tasking
from patrols import services
from patrols.models import Patrol
from tests.factories import centre

from .factories import walk

pytestmark = pytest.mark.django_db(transaction=True)


def points(world, n: int) -> list[dict]:
    lat, lng = centre(world.g1)
    return walk([(lat, lng - 0.003), (lat, lng + 0.003)], start=timezone.now() - dt.timedelta(minutes=20))[:n]


def test_a_patrol_ended_on_its_own_is_computed_at_once(world, settings):
    patrol, _ = services.patrol_start(actor=world.gridadmin, at=timezone.now() - dt.timedelta(minutes=21))
    services.patrol_points_add(patrol=patrol, actor=world.gridadmin, batch="all", points=points(world, 200))
    with tasking.suppressed():  # no worker: the figures must come from the end itself
        ended = services.patrol_end(patrol=patrol, actor=world.gridadmin)
    assert ended.state == Patrol.State.COMPUTED and ended.coverage[str(world.g1.pk)] > 0
    settings.PATROL_COMPUTE_AT_END_POINTS = 10
    longer, _ = services.patrol_start(actor=world.gridadmin)
    services.patrol_points_add(patrol=longer, actor=world.gridadmin, batch="all", points=points(world, 20))
    with tasking.suppressed():
        left = services.patrol_end(patrol=longer, actor=world.gridadmin)
    assert left.state == Patrol.State.ENDED  # over the limit: the worker's
