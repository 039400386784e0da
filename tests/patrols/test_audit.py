"""A patrol's record is append-only and hash-chained: edits in the database are found and named."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from patrols import audit
from patrols.models import Patrol, PatrolBatch, PatrolEvent, PatrolPoint
from tests.factories import centre

from .factories import patrol_walked, walk

pytestmark = pytest.mark.django_db


@pytest.fixture
def patrol(world):
    lat, lng = centre(world.g1)
    start = timezone.now() - dt.timedelta(minutes=40)
    return patrol_walked(world.gridadmin, walk([(lat, lng - 0.003), (lat, lng + 0.003)], start=start))


def problems(patrol) -> list[str]:
    return [str(b) for b in audit.patrol_verify(Patrol.objects.get(pk=patrol.pk))]


def test_an_untouched_patrol_verifies(patrol):
    assert problems(patrol) == []
    actions = list(PatrolEvent.objects.filter(patrol=patrol).values_list("action", flat=True))
    assert actions[0] == "start" and actions[-2:] == ["end", "compute"] and "points" in actions


def test_a_moved_point_is_found(patrol):
    point = PatrolPoint.objects.filter(patrol=patrol).order_by("seq")[10]
    PatrolPoint.objects.filter(pk=point.pk).update(lat=point.lat + 0.001)
    assert any("were changed after they were received" in p for p in problems(patrol))


def test_a_retimed_point_is_found(patrol):
    point = PatrolPoint.objects.filter(patrol=patrol).order_by("seq")[3]
    PatrolPoint.objects.filter(pk=point.pk).update(recorded_at=point.recorded_at - dt.timedelta(minutes=1))
    assert problems(patrol)


def test_a_deleted_point_is_found(patrol):
    PatrolPoint.objects.filter(patrol=patrol).order_by("-seq").first().delete()
    assert problems(patrol)


def test_a_rewritten_batch_digest_breaks_the_chain(patrol):
    point = PatrolPoint.objects.filter(patrol=patrol).order_by("seq")[0]
    PatrolPoint.objects.filter(pk=point.pk).update(lng=point.lng + 0.01)
    batch = PatrolBatch.objects.get(pk=point.batch_id)
    batch.digest = audit.points_digest(PatrolPoint.objects.filter(batch=batch).order_by("seq"))
    batch.save()
    event = PatrolEvent.objects.get(patrol=patrol, action="points", data__batch=batch.key)
    PatrolEvent.objects.filter(pk=event.pk).update(data={**event.data, "digest": batch.digest})
    assert any(f"event {event.seq}: altered" in p for p in problems(patrol))


def test_a_deleted_event_is_found(patrol):
    PatrolEvent.objects.filter(patrol=patrol, action="end").delete()
    assert problems(patrol)


def test_an_edited_decision_is_found(world, patrol):
    PatrolEvent.objects.filter(patrol=patrol, action="compute").update(data={"review": "accepted"})
    assert any("altered" in p for p in problems(patrol))


def test_the_command_names_the_first_broken_patrol(patrol, capsys):
    call_command("verify_patrols")
    assert "1 patrols verified" in capsys.readouterr().out
    PatrolEvent.objects.filter(patrol=patrol, action="start").update(actor_username="someone else")
    with pytest.raises(SystemExit):
        call_command("verify_patrols")
    assert f"patrol {patrol.pk} event 1" in capsys.readouterr().err
