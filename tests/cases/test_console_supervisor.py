"""The supervisor's console: overdue and escalated cases, and the case search."""

import datetime as dt

import pytest
from django.urls import reverse

from cases.models import Case, CaseState
from gridmgmt import clock

from .console import html, login, queries
from .helpers import drive, report

S = CaseState


def _overdue(case: Case, hours: int = 2) -> Case:
    Case.objects.filter(pk=case.pk).update(deadline_at=clock.now() - dt.timedelta(hours=hours))
    return Case.objects.get(pk=case.pk)


def test_the_overview_lists_overdue_and_escalated_cases(client, world):
    late = _overdue(drive(world, S.DISPATCHED))
    escalated = drive(world, S.IN_PROGRESS, report(world, grid=world.g2))
    Case.objects.filter(pk=escalated.pk).update(escalated_at=clock.now())
    suspended = _overdue(report(world))
    Case.objects.filter(pk=suspended.pk).update(suspended_at=clock.now(), suspended_remaining_s=60)
    on_time = report(world)
    login(client, world.supervisor)
    response = client.get(reverse("home"))
    assert [c.pk for c in response.context["overdue"]] == [late.pk]  # a suspended clock does not run
    assert [c.pk for c in response.context["escalated"]] == [escalated.pk]
    assert on_time.number not in html(response)
    assert response.context["suspended_count"] == 1


@pytest.fixture
def cases(world):
    a = report(world, description="井盖缺失 在小区门口", address="豫章路1号")
    b = drive(world, S.DISPATCHED, report(world, grid=world.g2, description="垃圾"))
    c = report(world, actor=world.resident, grid=world.g4, description="噪音扰民")
    return a, b, c


def _found(client, **params) -> list[str]:
    response = client.get(reverse("case-search"), params)
    assert response.status_code == 200
    return sorted(c.number for c in response.context["page"])


def test_search_by_number_text_state_and_street(client, world, cases):
    a, b, c = cases
    login(client, world.supervisor)
    assert _found(client, q=a.number) == [a.number]
    assert _found(client, q=a.number[:8]) == sorted([a.number, b.number, c.number])
    assert _found(client, q="井盖") == [a.number]
    assert _found(client, q="豫章路") == [a.number]
    assert _found(client, state="dispatched") == [b.number]
    assert _found(client, street=world.street.code) == sorted([a.number, b.number, c.number])
    assert _found(client, category="01") == sorted([a.number, b.number, c.number])


def test_search_is_scoped_to_what_the_viewer_may_see(client, world, cases):
    a, b, c = cases
    login(client, world.staff)
    assert _found(client) == [b.number]
    login(client, world.other_gridadmin)
    assert _found(client) == []


def test_search_survives_nonsense(client, world, cases):
    login(client, world.supervisor)
    for params in ({"state": "teleported"}, {"street": "x" * 500}, {"page": "-1"}, {"q": "%' OR 1=1 --"}):
        assert client.get(reverse("case-search"), params).status_code == 200


def test_the_case_detail_shows_the_full_timeline_to_the_supervisor(client, world):
    case = drive(world, S.CLOSED)
    login(client, world.supervisor)
    response = client.get(reverse("case-detail", args=[case.pk]))
    assert response.status_code == 200 and response.context["actions"] == []
    page = html(response)
    for label in ("reported", "filed", "dispatched", "accepted", "reported fixed", "verified and closed"):
        assert f"<strong>{label}</strong>" in page, label
    assert "from in progress to resolved, awaiting verification" in page
    assert "dispatcher · dispatcher" in page and "staff · department staff" in page


def test_the_overview_costs_the_same_for_few_and_many_cases(client, world):
    login(client, world.supervisor)
    for _ in range(2):
        _overdue(drive(world, S.DISPATCHED))
    few, _ = queries(client, reverse("home"))
    for _ in range(8):
        _overdue(drive(world, S.DISPATCHED))
    many, _ = queries(client, reverse("home"))
    assert many == few and many <= 16, (few, many)
