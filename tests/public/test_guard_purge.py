"""The beat forgets old throttle uses and spent proofs, and keeps what still counts."""

import datetime as dt

from gridmgmt import clock
from gridmgmt.celery import app
from public import tasks  # noqa: F401 - registers the task by name
from public.models import SpentProof, ThrottleHit


def test_the_purge_keeps_uses_inside_the_longest_window_and_forgets_older_ones(db, settings):
    settings.PUBLIC_THROTTLES = "report=10/h,signup=5/d"
    settings.PUBLIC_POW_MAX_AGE_SECONDS = 3600
    now = clock.now()
    ThrottleHit.objects.create(scope="report", client="a", at=now - dt.timedelta(hours=23))
    ThrottleHit.objects.create(scope="report", client="a", at=now - dt.timedelta(hours=25))
    SpentProof.objects.create(digest="new", at=now - dt.timedelta(minutes=30))
    SpentProof.objects.create(digest="old", at=now - dt.timedelta(hours=2))
    task = app.tasks[settings.CELERY_BEAT_SCHEDULE["purge-public-throttles"]["task"]]
    assert task.apply().get() == 1
    assert ThrottleHit.objects.count() == 1  # a day is the longest window: 23 h still counts
    assert list(SpentProof.objects.values_list("digest", flat=True)) == ["new"]
