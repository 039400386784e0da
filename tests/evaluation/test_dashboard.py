"""The evaluation dashboard: who may see it, what it shows for the hand-computed week, the charts' series,
the grid map, recomputation, bounded queries, and the page over the seeded demo district."""

from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluation import indicators as ev
from evaluation.models import EvaluationFigure, EvaluationTrends
from evaluation.services import evaluation_materialise
from evaluation.views import MAX_PERIOD_DAYS
from gridmgmt import clock

from .scenario import AFTER, END, START, Driver, at, build

URL = reverse("evaluation-dashboard")
WEEK = {"start": START.isoformat(), "end": END.isoformat()}


@pytest.fixture
def week(world):
    return build(world)


@pytest.fixture
def after():
    with clock.frozen_at(AFTER):
        yield


def _get(client, user, url=URL, **params):
    client.force_login(user)
    return client.get(url, params)


@pytest.mark.parametrize("persona", ["supervisor", "dispatcher"])
def test_supervisors_and_dispatchers_see_the_dashboard(client, world, persona):
    response = _get(client, getattr(world, persona))
    assert response.status_code == 200
    assert b'href="/evaluation/"' in response.content  # the navigation has the entry


@pytest.mark.parametrize("persona", ["gridadmin", "staff", "resident", "outsider"])
def test_everyone_else_gets_403(client, world, persona):
    user = getattr(world, persona)
    for name in ("evaluation-dashboard", "evaluation-trends", "evaluation-formulas"):
        assert _get(client, user, reverse(name)).status_code == 403, name
    assert _get(client, user, reverse("evaluation-export-cases", args=["csv"])).status_code == 403
    assert _get(client, user, reverse("evaluation-export-indicators", args=["xlsx"])).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and "next=" in response["Location"]


def test_it_shows_the_week_computed_from_the_history(client, world, week, after):
    response = _get(client, world.supervisor, **WEEK)
    assert response.status_code == 200
    page = response.content.decode()
    assert response.context["source"].computed_at is None  # nothing stored: computed now
    total = response.context["total"]
    assert (total.due, total.closed, total.closed_on_time, total.overdue_open) == (5, 4, 3, 1)
    rankings = {kind: rows for kind, _label, rows in response.context["rankings"]}
    assert [row.key for row in rankings["department"]] == ["roads", "sanitation"]
    assert len(rankings["grid"]) == 4 and len(rankings["administrator"]) == 2
    assert "80.0%" in page and "75.0%" in page  # closure and on-time closure of the district
    assert 'id="trends-data"' in page  # computed now: the charts' series come with the page


def test_rates_are_rounded_and_places_named_without_their_codes(client, world, week, after):
    page = _get(client, world.supervisor, **WEEK).content.decode()
    sanitation = page.split('data-key="sanitation"', 1)[1].split("</tr>", 1)[0]
    # On time: 2 of the 3 closed. Rounded half-up to 66.7 % (a truncation showed 66.6 %).
    assert "66.7%" in sanitation and "66.6" not in sanitation and "2/3" in sanitation
    assert '<th scope="row">环卫局</th>' in sanitation  # the name alone: no English code beside it
    g1 = page.split(f'data-key="{world.g1.code}"', 1)[1].split("</tr>", 1)[0]
    assert f'<th scope="row">{world.g1.name} · {world.g1.community.name}</th>' in g1
    assert f"<title>{world.g1.name} · {world.g1.community.name}: 3</title>" in page  # the map's tooltip
    assert f"({world.g1.code})" not in page


def test_grid_administrators_are_ranked_by_name(client, world, week, after):
    world.gridadmin.first_name, world.gridadmin.last_name = "伟", "王"
    world.gridadmin.save(update_fields=["first_name", "last_name"])
    response = _get(client, world.supervisor, **WEEK)
    rankings = {kind: rows for kind, _label, rows in response.context["rankings"]}
    labels = {row.key: row.label for row in rankings["administrator"]}
    assert labels[str(world.gridadmin.pk)] == "王伟"
    assert labels[str(world.other_gridadmin.pk)] == world.other_gridadmin.username  # no name: the username


def test_rates_without_a_denominator_show_a_dash(client, world, week, after):
    page = _get(client, world.supervisor, **WEEK).content.decode()
    g4 = page.split(f'data-key="{world.g4.code}"', 1)[1].split("</tr>", 1)[0]
    assert "—" in g4  # nothing closed in g4: no on-time closure rate, no handling time


def test_the_map_colours_each_grid_by_its_cases_and_overdue(client, world, week, after):
    response = _get(client, world.supervisor, **WEEK)
    cells = {cell["code"]: cell for cell in response.context["map"]["cells"]}
    assert set(cells) == {g.code for g in (world.g1, world.g2, world.g3, world.g4)}
    assert cells[world.g1.code]["reported"] == 3 and cells[world.g1.code]["reported_cls"] == 5
    assert cells[world.g4.code]["overdue"] == 1 and cells[world.g4.code]["overdue_cls"] == 5
    assert cells[world.g1.code]["overdue_cls"] == 0
    assert cells[world.g1.code]["d"].startswith("M") and cells[world.g1.code]["d"].endswith("Z")
    assert response.content.decode().count('class="choro choro-') == 8  # two maps of four grids


def test_the_trends_give_states_per_day_and_on_time_rates_per_department(client, world, week, after):
    response = _get(client, world.dispatcher, reverse("evaluation-trends"), **WEEK)
    assert response.status_code == 200
    data = response.json()
    assert data["days"][0] == "2026-03-02" and len(data["days"]) == 7
    # At the end of each day: Mon C2 in progress; Tue C4 fixed; Wed C6 in progress; Thu + C7 (suspended,
    # still dispatched); Fri + C9.
    assert data["states"]["in_progress"] == [1, 0, 1, 1, 1, 1, 1]
    assert data["states"]["resolved"] == [0, 1, 0, 0, 0, 0, 0]
    assert data["states"]["dispatched"] == [0, 0, 0, 1, 2, 2, 2]
    assert data["flow"]["reported"] == [4, 1, 1, 1, 1, 0, 0]
    assert data["flow"]["closed"] == [3, 1, 1, 0, 0, 0, 0]  # C8, C1, C3; C2; C4
    rates = {series["department"]: series["rates"] for series in data["on_time"]}
    assert rates["sanitation"][:3] == [0.5, 1.0, None]  # due Mon: C1 on time, C2 late; Tue: C3; Wed: C6 open
    assert rates["roads"][:2] == [None, 1.0]
    texts = {series["department"]: series["texts"] for series in data["on_time"]}
    assert texts["sanitation"][:3] == ["50.0%", "100.0%", "—"]  # as the tables write them
    assert data["labels"]["states"]["in_progress"]


def test_stored_trends_are_served_without_replaying_the_history(client, world, week, after, monkeypatch):
    live = _get(client, world.dispatcher, reverse("evaluation-trends"), **WEEK).json()
    evaluation_materialise(start=START, end=END)
    stored = EvaluationTrends.objects.get(period_start=START, period_end=END)
    # The page's texts of the rates are added when served, not stored.
    shown = [{k: v for k, v in series.items() if k != "texts"} for series in live["on_time"]]
    assert stored.data == {key: value for key, value in live.items() if key != "labels"} | {"on_time": shown}

    def no_replay(*args, **kwargs):
        raise AssertionError("the stored series should have been served")

    monkeypatch.setattr(ev, "facts_collect", no_replay)
    served = client.get(reverse("evaluation-trends"), WEEK).json()
    assert served == live


def test_a_recomputation_replaces_the_stored_trends(client, world, week, after):
    evaluation_materialise(start=START, end=END)
    EvaluationTrends.objects.update(data={"days": []})
    evaluation_materialise(start=START, end=END)
    assert len(EvaluationTrends.objects.get().data["days"]) == 7


def test_the_formulas_page_defines_every_column(client, world):
    page = _get(client, world.supervisor, reverse("evaluation-formulas")).content.decode()
    for name in ev.COLUMNS[5:-1]:
        assert f'id="f-{name}"' in page, name
    assert "<code>closure_rate</code>" in page and "结案率" in page


def test_a_bad_period_falls_back_to_the_last_seven_days_and_says_so(client, world):
    response = _get(client, world.supervisor, start="2026-03-09", end="2026-03-01")
    assert response.status_code == 200 and response.context["preset"] == "last7"
    assert "YYYY-MM-DD" in response.context["error"]
    response = _get(client, world.supervisor, start="2020-01-01", end="2026-03-01")
    assert str(MAX_PERIOD_DAYS) in response.context["error"]


def test_presets_pick_their_period(client, world, after):
    response = _get(client, world.supervisor, preset="last_month")
    assert str(response.context["period"]) == "2026-02-01 – 2026-02-28"
    assert response.context["preset"] == "last_month"


def test_a_supervisor_stores_a_recomputation_and_the_page_then_reads_it(client, world, week, after):
    client.force_login(world.supervisor)
    response = client.post(reverse("evaluation-recompute"), WEEK)
    assert response.status_code == 302 and response["Location"].endswith(f"?start={START}&end={END}")
    assert EvaluationFigure.objects.filter(period_start=START, period_end=END).count() == 12
    page = client.get(URL, WEEK)
    assert page.context["source"].computed_at == AFTER
    assert 'id="trends-data"' not in page.content.decode()  # the charts fetch their series instead
    assert page.context["total"].closed == 4


def test_a_dispatcher_may_not_recompute(client, world, week):
    client.force_login(world.dispatcher)
    assert client.post(reverse("evaluation-recompute"), WEEK).status_code == 403
    assert not EvaluationFigure.objects.exists()


def test_the_page_costs_the_same_queries_for_few_and_many_cases(client, world, week, after):
    client.force_login(world.supervisor)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, WEEK).status_code == 200
        return len(captured)

    few = count()
    go = Driver(world)
    for hour in range(9, 15):
        go.report(at("03-03", f"{hour}:00"), world.g2, world.gridadmin)
    assert count() == few <= 30
    evaluation_materialise(start=START, end=END, now=AFTER)
    assert count() <= 21  # stored figures: no replay at all (the residents' ratings: one grouped count)


# --- the seeded demo district -------------------------------------------------------------------------

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo seed (40 cases over two months) shared by the module, rolled back at its end."""
    with (
        django_db_blocker.unblock(),
        override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        call_command("seed_demo", "--cases", "40", "--seed", "5", stdout=StringIO(), stderr=StringIO())
        yield SimpleNamespace(supervisor=get_user_model().objects.get(username="supervisor"))
        transaction.set_rollback(True)


@pytest.mark.demo
@pytest.mark.parametrize("preset", ["last7", "this_month", "last_month", "last60"])
def test_the_page_renders_over_the_demo_history(client, demo, db, preset, django_assert_max_num_queries):
    client.force_login(demo.supervisor)
    with django_assert_max_num_queries(40):
        response = client.get(URL, {"preset": preset})
    assert response.status_code == 200
    assert response.context["map"]["cells"] and response.content.count(b"<path") >= 2 * 55
    trends = client.get(reverse("evaluation-trends"), {"preset": preset})
    assert trends.status_code == 200 and trends.json()["days"]


@pytest.mark.demo
def test_the_demo_history_is_consistent_with_its_cases(client, demo, db):
    """Over the two months, every closed case that was due is counted, and the figures of every grouping
    add up to the district's where a case belongs to exactly one group."""
    period = ev.presets(ev.local_today())["last60"]
    tables = ev.indicators_all(period)
    (total,) = tables[ev.TOTAL]
    assert total.reported > 0 and total.dispatched > 0
    for kind in (ev.GRID, ev.COMMUNITY, ev.STREET):
        for name in ("reported", "rejected", "due", "closed", "closed_on_time", "overdue_open", "resolved"):
            assert sum(getattr(row, name) for row in tables[kind]) == getattr(total, name), (kind, name)
    for name in ("due", "closed", "closed_on_time", "dispatched", "returned", "extensions"):
        assert sum(getattr(row, name) for row in tables[ev.DEPARTMENT]) == getattr(total, name), name
