"""The plan warnings through the real thing: beat's task published to Redis, run by a Celery worker process on
PostgreSQL, which writes each grid's warning once and sends the notices.

The worker is a subprocess started once for this module, on a queue no other run uses (see
tests/support/celery_worker.py). Tests are transactional: the worker, on its own connection, sees only
committed rows. It reads the real clock, so the patrols are walked on the real previous day (the world's
work calendar runs around the clock: yesterday was a working day).
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from notifications.models import Notification
from patrols import plans
from patrols.models import PatrolWarning
from patrols.tasks import patrol_plan_warnings_task

from ..conftest import requires_postgres, requires_redis
from ..factories import centre
from ..support.celery_worker import worker_on_own_queue
from .factories import patrol_walked, walk

pytestmark = [requires_postgres, requires_redis, pytest.mark.celery_worker]


@pytest.fixture(scope="module")
def worker(django_db_setup, tmp_path_factory):
    with worker_on_own_queue(tmp_path_factory.mktemp("celery")) as running:
        yield running


def _yesterday_at(hour: int) -> dt.datetime:
    today = timezone.now().astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    return dt.datetime.combine(
        today - dt.timedelta(days=1), dt.time(hour), tzinfo=ZoneInfo(settings.TIME_ZONE)
    )


def _all_sent(warning_ids: list[int]) -> bool:
    notices = Notification.objects.filter(
        content_type=ContentType.objects.get_for_model(PatrolWarning), object_id__in=warning_ids
    )
    return notices.exists() and not notices.filter(sent_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_a_worker_warns_of_grids_patrolled_short_of_plan_once_and_sends_the_notices(world, worker):
    # g1 and g2 (gridadmin's community) ask 15 minutes a working day; g3 the settings' 120; g4 has nobody.
    plans.plan_set(
        actor=world.supervisor, community=world.g1.community, minutes_per_day=15, weekly_coverage=0
    )
    lat, lng = centre(world.g1)
    # Yesterday at 10:00, 21 minutes back and forth along a street of g1: enough for g1, nothing for g2.
    street = [(lat - 0.004, lng - 0.004), (lat - 0.004, lng + 0.004), (lat - 0.004, lng - 0.004)]
    patrol = patrol_walked(world.gridadmin, walk(street, start=_yesterday_at(10)))
    assert patrol.review == "clean" and patrol.minutes_by_grid[str(world.g1.pk)] >= 15

    patrol_plan_warnings_task.delay()  # what beat sends every hour

    warnings = worker.wait_until(
        "the warnings to be written", lambda: list(PatrolWarning.objects.order_by("grid__code")) or None
    )
    day = _yesterday_at(0).date()
    assert [(w.grid_id, w.day, w.minutes_required, w.minutes_done) for w in warnings] == [
        (world.g2.pk, day, 15, 0),
        (world.g3.pk, day, 120, 0),
    ]
    worker.wait_until("the notices to be sent", lambda: _all_sent([w.pk for w in warnings]))
    recipients = {
        w.grid_id: sorted(
            Notification.objects.filter(
                content_type=ContentType.objects.get_for_model(PatrolWarning), object_id=w.pk
            ).values_list("recipient", flat=True)
        )
        for w in warnings
    }
    assert recipients == {
        world.g2.pk: sorted([world.gridadmin.email, world.supervisor.email]),
        world.g3.pk: sorted([world.other_gridadmin.email, world.supervisor.email]),
    }

    # The next hour's run: nothing new is written or sent (the worker logs what the task returned).
    again = patrol_plan_warnings_task.delay()
    line = worker.wait_until(
        "the second run to finish",
        lambda: next(
            (ln for ln in worker.log(tail=2000).splitlines() if f"[{again.id}] succeeded" in ln), None
        ),
    )
    assert line.rstrip().endswith(": 0")
    assert PatrolWarning.objects.count() == 2
    assert Notification.objects.filter(kind=plans.WARNING_KIND).count() == 4
