"""The deadline sweep task: beat sends it bare (now); tests and operators may name the moment."""

import datetime as dt

import pytest

from cases import services as case_services
from dispatch.tasks import enforce_deadlines_task
from gridmgmt import clock, tasking

from .helpers import T0, report

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _default_shares(settings):
    settings.DEADLINE_WARNING_SHARE = 0.8


def _dispatched(world):
    case = report(world, at=T0)
    with clock.frozen_at(T0), tasking.suppressed():
        case = case_services.case_file(case=case, actor=world.dispatcher)
        return case_services.case_dispatch(case=case, actor=world.dispatcher, department=world.sanitation)


def test_it_sweeps_as_of_the_moment_it_is_given(world):
    case = _dispatched(world)
    warn_at = T0 + dt.timedelta(minutes=192)  # 0.8 of the waste category's 240 handling minutes

    with tasking.suppressed():
        before = enforce_deadlines_task.apply(kwargs={"now": (warn_at - dt.timedelta(minutes=1)).isoformat()})
        at = enforce_deadlines_task.apply(kwargs={"now": warn_at.isoformat()})

    assert before.get()["deadline_warning"] == 0 and at.get()["deadline_warning"] == 1
    case.refresh_from_db()
    assert case.warned_at == warn_at


def test_it_refuses_a_moment_without_a_utc_offset():
    with pytest.raises(ValueError, match="UTC offset"):
        enforce_deadlines_task.apply(kwargs={"now": "2026-03-02T09:00:00"}).get()
