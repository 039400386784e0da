"""Supervision, desk-closure, call-back and off-site figures of the evaluation, read from the cases' events:
the levels reached per department and level, desk closures and the satisfaction rate per department, and
verifications flagged off site per grid; on the dashboard, the formulas page and in the exports."""

import csv
import datetime as dt
import io

import pytest
from django.conf import settings
from django.urls import reverse

from cases.audit import event_next, events_save
from cases.models import Case
from evaluation.indicators import Period
from evaluation.supervision_indicators import supervision_indicators
from gridmgmt.roles import Role

from ..dispatch.helpers import T0, report
from ..dispatch.test_supervision import DUE, LEVEL_1_HOURS, dispatched, ladder_ensure, sweep

WEEK = Period(dt.date(2026, 3, 2), dt.date(2026, 3, 8))  # T0 is Monday 2 March, 09:00 local
AFTER = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
QUERY = {"start": "2026-03-02", "end": "2026-03-08"}


def _event(case: Case, action: str, at: dt.datetime, data: dict) -> None:
    """Append an event as the services that record it do (their formats; some are being built)."""
    case.refresh_from_db()
    event = event_next(
        case=case,
        action=action,
        from_state=case.state,
        to_state=case.state,
        actor=None,
        role=Role.SYSTEM,
        at=at,
        data=data,
    )
    events_save([event])
    Case.objects.filter(pk=case.pk).update(audit_seq=case.audit_seq, audit_head=case.audit_head)


@pytest.fixture
def week(world):
    """Two sanitation cases and a roads case overdue: sanitation reaches level 1 twice and level 2 once,
    roads level 1 once. Sanitation closes one case at the desk; four call backs (satisfied, basically,
    unsatisfied, unreachable); three verifications in grid 1 (one flagged) and one flagged in grid 3.
    Events after the week do not count."""
    ladder_ensure()
    climbing = dispatched(world)
    other = dispatched(world)
    roads = dispatched(world, department=world.roads, at=T0 + dt.timedelta(hours=2))
    sweep(T0 + dt.timedelta(minutes=DUE))  # both sanitation cases: level 1
    Case.objects.filter(pk=other.pk).update(suspended_at=T0)  # stays at level 1
    sweep(T0 + dt.timedelta(minutes=DUE, hours=2))  # roads: level 1
    Case.objects.filter(pk=roads.pk).update(suspended_at=T0)
    sweep(T0 + dt.timedelta(minutes=DUE, hours=LEVEL_1_HOURS))  # climbing: level 2
    day = T0 + dt.timedelta(days=1)
    _event(other, "verify_desk", day, {"reason": "居民已自行处理"})
    for i, result in enumerate(("satisfied", "basically", "unsatisfied", "unreachable")):
        _event(climbing, "callback", day + dt.timedelta(minutes=i), {"result": result})
    flags = {"flags": ["far_from_case"], "distance_m": 850}
    _event(climbing, "verify_pass", day, {"evidence": {"flags": []}})
    _event(climbing, "verify_fail", day, {"evidence": flags})
    _event(other, "verify_pass", day, {})  # from before evidence was recorded: on site, as far as we know
    g3_case = dispatched(world, at=T0)
    Case.objects.filter(pk=g3_case.pk).update(grid=world.g3)
    _event(g3_case, "verify_pass", day, {"evidence": flags})
    # After the week: not counted.
    later = dt.datetime(2026, 3, 9, 3, 0, tzinfo=dt.UTC)
    _event(climbing, "callback", later, {"result": "unsatisfied"})
    _event(g3_case, "verify_pass", later, {"evidence": flags})
    return {"climbing": climbing, "other": other, "roads": roads}


def test_the_figures_count_each_event_of_the_period_once(world, week):
    figures = supervision_indicators(WEEK, now=AFTER)

    rows = {row.key: row for row in figures.departments}
    assert set(rows) == {"sanitation", "roads"}
    sanitation, roads = rows["sanitation"], rows["roads"]
    assert (sanitation.escalations, sanitation.level(1), sanitation.level(2), sanitation.level(3)) == (
        3,
        2,
        1,
        0,
    )
    assert (roads.escalations, roads.level(1)) == (1, 1)
    assert sanitation.desk_closures == 1 and roads.desk_closures == 0
    assert sanitation.callbacks == {"satisfied": 1, "basically": 1, "unsatisfied": 1, "unreachable": 1}
    assert (sanitation.satisfied, sanitation.answered) == (2, 3)  # the unreachable caller gave no answer
    assert sanitation.satisfaction_rate == pytest.approx(2 / 3)
    assert roads.satisfaction_rate is None
    assert figures.total.escalations == 4 and figures.total.desk_closures == 1
    grids = {row.key: row for row in figures.grids}
    assert (grids[world.g1.code].verifications, grids[world.g1.code].off_site) == (3, 1)
    assert (grids[world.g3.code].verifications, grids[world.g3.code].off_site) == (1, 1)
    assert (figures.verifications, figures.off_site) == (4, 2)
    assert figures.ranks == [1, 2, 3]


def test_a_case_overdue_before_dispatch_counts_for_the_dispatch_center(world):
    ladder_ensure()
    report(world, at=T0)  # filing clock: 30 minutes
    sweep(T0 + dt.timedelta(minutes=30))

    (row,) = supervision_indicators(WEEK, now=AFTER).departments
    assert row.key == "" and row.level(1) == 1 and str(row.label) != ""


def test_the_dashboard_shows_the_section_in_chinese(client, world, week):
    client.force_login(world.supervisor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    page = client.get(reverse("evaluation-dashboard"), QUERY).content.decode()

    section = page.split('id="supervision"', 1)[1].split("</section>", 1)[0]
    sanitation = section.split('data-key="sanitation"', 1)[1].split("</tr>", 1)[0]
    assert world.sanitation.name in sanitation
    assert "66.7%" in sanitation and "2/3" in sanitation  # satisfaction, by the one rule
    g1 = section.split(f'data-key="{world.g1.code}"', 1)[1].split("</tr>", 1)[0]
    assert "33.3%" in g1 and "1/3" in g1


def test_the_formulas_page_defines_every_new_figure(client, world):
    client.force_login(world.supervisor)
    page = client.get(reverse("evaluation-formulas")).content.decode()
    for name in ("escalations", "desk_closures", "satisfaction_rate", "off_site_share"):
        assert f'id="f-{name}"' in page


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_department_export_has_a_column_per_level(client, world, week, fmt):
    client.force_login(world.supervisor)
    url = reverse("evaluation-export-indicators", args=[fmt])

    response = client.get(url, {**QUERY, "set": "supervision", "by": "department"})

    assert response.status_code == 200
    if fmt == "xlsx":
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        return
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    sanitation = next(r for r in rows if r["key"] == "sanitation")
    assert (
        sanitation["escalations"],
        sanitation["level_1"],
        sanitation["level_2"],
        sanitation["level_3"],
    ) == (
        "3",
        "2",
        "1",
        "0",
    )
    assert sanitation["desk_closures"] == "1" and sanitation["satisfaction_rate"] == "66.7"
    assert sanitation["unreachable"] == "1" and sanitation["label"] == world.sanitation.name


def test_the_grid_export_has_the_off_site_share(client, world, week):
    client.force_login(world.supervisor)
    url = reverse("evaluation-export-indicators", args=["csv"])

    response = client.get(url, {**QUERY, "set": "supervision", "by": "grid"})

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    g1 = next(r for r in rows if r["key"] == world.g1.code)
    assert (g1["verifications"], g1["off_site"], g1["off_site_share"]) == ("3", "1", "33.3")


def test_an_unknown_grouping_of_the_set_is_not_found(client, world):
    client.force_login(world.supervisor)
    url = reverse("evaluation-export-indicators", args=["csv"])
    assert client.get(url, {**QUERY, "set": "supervision", "by": "street"}).status_code == 404


def test_the_exports_are_refused_to_others(client, world):
    client.force_login(world.staff)
    url = reverse("evaluation-export-indicators", args=["csv"])
    assert client.get(url, {**QUERY, "set": "supervision"}).status_code == 403


def test_the_figures_cost_two_queries(world, week, django_assert_num_queries):
    with django_assert_num_queries(2):
        supervision_indicators(WEEK, now=AFTER)
