"""The supervision list (/dispatch/supervision/) and the banner of a supervised case."""

import datetime as dt

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from cases.models import SupervisionLevel

from .helpers import T0
from .test_supervision import DUE, LEVEL_1_HOURS, dispatched, ladder_ensure, sweep

URL = "/dispatch/supervision/"


@pytest.fixture(autouse=True)
def ladder(db):
    return ladder_ensure()


def _supervised(world, *, level: int = 1, department=None, n: int = 1, start: dt.datetime = T0) -> list:
    """n cases dispatched (to sanitation unless told) at `start`, overdue and taken up to `level` by the
    sweeps (which move every case due, earlier ones too)."""
    cases = [dispatched(world, department=department, at=start) for _ in range(n)]
    moments = [start + dt.timedelta(minutes=DUE), start + dt.timedelta(minutes=DUE, hours=LEVEL_1_HOURS)]
    moments.append(moments[1] + dt.timedelta(hours=16))
    for at in moments[:level]:
        sweep(at)
    for case in cases:
        case.refresh_from_db()
        assert case.supervision_level == level
    return cases


def _numbers(response) -> set[str]:
    return {row.case.number for section in response.context["sections"] for row in section["rows"]}


def test_the_url_is_named():
    assert reverse("supervision-list") == URL


@pytest.mark.parametrize("persona", ["dispatcher", "supervisor"])
def test_the_centre_and_the_supervisors_see_every_supervised_case_per_level(client, world, persona):
    (roads_case,) = _supervised(world, level=2, department=world.roads)  # its next level: T0 + 28 h
    (sanitation_case,) = _supervised(world, level=1, start=T0 + dt.timedelta(hours=12))
    unsupervised = dispatched(world, at=T0 + dt.timedelta(days=30))
    client.force_login(getattr(world, persona))

    response = client.get(URL)

    assert response.status_code == 200
    sections = {s["rank"]: s for s in response.context["sections"]}
    assert list(sections) == [3, 2, 1]  # highest level first
    assert [r.case for r in sections[1]["rows"]] == [sanitation_case]
    assert [r.case for r in sections[2]["rows"]] == [roads_case]
    assert sections[3]["rows"] == [] and sections[3]["count"] == 0
    assert unsupervised.number not in _numbers(response)
    html = response.content.decode()
    assert reverse("case-detail", args=[sanitation_case.pk]) in html
    assert world.sanitation.name in html and world.roads.name in html


def test_department_staff_see_only_their_departments_supervised_cases(client, world):
    (own,) = _supervised(world, level=1)
    (other,) = _supervised(world, level=1, department=world.roads)
    client.force_login(world.staff)

    response = client.get(URL)

    assert response.status_code == 200
    assert _numbers(response) == {own.number}
    assert {s["rank"]: s["count"] for s in response.context["sections"]} == {3: 0, 2: 0, 1: 1}
    assert other.number not in response.content.decode()


@pytest.mark.parametrize("persona", ["gridadmin", "resident", "outsider"])
def test_others_are_refused(client, world, persona):
    _supervised(world)
    client.force_login(getattr(world, persona))

    assert client.get(URL).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client, world):
    response = client.get(URL)
    assert response.status_code == 302 and "next=" in response["Location"]


def test_who_must_act_and_the_next_level_are_shown(client, world):
    (case,) = _supervised(world, level=1)
    client.force_login(world.dispatcher)

    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")

    (row,) = next(s for s in response.context["sections"] if s["rank"] == 1)["rows"]
    assert str(row.who_must_act) == world.sanitation.name
    assert row.next_at == case.supervision_next_at and str(row.next_name) == "district supervision office"
    html = response.content.decode()
    assert "Level 1: department head" in html and "district supervision office" in html


def test_a_level_no_longer_in_use_keeps_its_cases_listed(client, world):
    (case,) = _supervised(world, level=2)
    SupervisionLevel.objects.filter(rank=2).update(is_active=False)
    client.force_login(world.dispatcher)

    response = client.get(URL)

    assert case.number in _numbers(response)


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    return len(queries)


def test_the_list_queries_do_not_grow_with_the_cases(client, world, django_assert_max_num_queries):
    client.force_login(world.dispatcher)
    _supervised(world, level=1, n=2)
    few = _queries(client)
    _supervised(world, level=2, n=6, department=world.roads)
    many = _queries(client)

    assert many == few, f"{few} queries for 2 cases, {many} for 8: a query per row"
    # session and user, roles, levels, counts, rows (and the nav's own)
    with django_assert_max_num_queries(8):
        client.get(URL)


# --- the banner on the case page (templates/cases/_supervision_banner.html) ---


def _banner(case, language: str) -> str:
    with translation.override(language):
        return render_to_string("cases/_supervision_banner.html", {"case": case})


def test_the_banner_says_the_level_who_must_act_since_when_and_what_comes_next(world):
    (case,) = _supervised(world, level=1)

    english = _banner(case, "en")

    assert "Under supervision, level 1: department head" in english
    assert world.sanitation.name in english
    assert f'datetime="{timezone.localtime(case.supervised_at).isoformat()}"' in english
    assert "district supervision office" in english
    assert "部门负责人督办" in _banner(case, "zh-hans")


def test_the_banner_at_the_top_level_says_there_is_no_next(world):
    (case,) = _supervised(world, level=3)

    english = _banner(case, "en")

    assert "level 3: district leaders" in english and "the highest level" in english


def test_no_banner_for_a_case_not_under_supervision(world, django_assert_num_queries):
    case = dispatched(world)

    with django_assert_num_queries(0):
        assert _banner(case, "en").strip() == ""
