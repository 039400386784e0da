"""Evaluation indicators against a week worked out by hand (tests/evaluation/scenario.py), the
zero-denominator rule, the as-of rule, and the materialised copy (service, nightly task, beat entry)."""

import datetime as dt

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services
from evaluation import indicators as ev
from evaluation import selectors
from evaluation.models import EvaluationFigure
from evaluation.services import evaluation_materialise
from evaluation.tasks import materialise_evaluation_task
from gridmgmt import clock
from gridmgmt.celery import app

from ..dispatch.helpers import report
from .scenario import AFTER, END, LOCAL, START, Driver, at, build

WEEK = ev.Period(START, END)


@pytest.fixture
def week(world):
    return build(world)


def _figures(rows: list[ev.Figures]) -> dict[str, dict]:
    return {row.key: row.values() for row in rows}


def _close(expected: dict, actual: dict) -> None:
    """Every expected figure, rates to 4 places (1/6 is not a float literal one wants to write)."""
    assert set(actual) == set(expected)
    for name, value in expected.items():
        if isinstance(value, float):
            assert actual[name] == pytest.approx(value, abs=5e-5), name
        else:
            assert actual[name] == value, name


def test_the_week_adds_up_by_hand_for_the_whole_district(week):
    (total,) = ev.indicators_all(WEEK, kinds=[ev.TOTAL], now=AFTER)[ev.TOTAL]
    _close(
        {
            "reported": 8,  # C1–C7, C9 (C8 was reported the week before)
            "rejected": 1,  # C5, the duplicate
            "filed": 7,
            "dispatched": 8,  # C3 twice (roads, then sanitation)
            "returned": 1,
            "resolved": 6,  # C1, C2, C3, C4 twice, C8
            "reworked": 1,
            "extensions": 1,
            "due": 5,  # C1, C2, C3, C4, C6 (C7's clock stands still, C9 is due next Monday)
            "closed": 4,
            "closed_on_time": 3,  # C2 was fixed late
            "overdue_open": 1,  # C6
            "verified": 6,
            "verified_on_time": 4,  # C2's and C4's final verification were late
            "avg_handling_hours": 3.58,  # (120 + 450 + 120 + 170) / 4 = 215 working minutes
            "p90_handling_hours": 7.5,  # nearest rank: the 4th of 4, 450 minutes
            "closure_rate": 4 / 5,
            "on_time_closure_rate": 3 / 4,
            "rework_rate": 1 / 6,
            "return_rate": 1 / 8,
            "on_time_verification_rate": 4 / 6,
            "valid_report_rate": 7 / 8,
        },
        total.values(),
    )


def test_each_department_answers_for_what_it_held(week, world):
    rows = ev.indicators_by_department(WEEK, now=AFTER)
    assert [row.key for row in rows] == ["roads", "sanitation"]  # ranked by on-time closure: 100 % > 67 %
    figures = _figures(rows)
    _close(
        {
            "reported": None,
            "rejected": None,
            "filed": None,
            "dispatched": 5,  # C1, C2, C3 (second), C6, C9
            "returned": 0,
            "resolved": 4,  # C1, C2, C3, C8
            "reworked": 0,
            "extensions": 1,
            "due": 4,
            "closed": 3,
            "closed_on_time": 2,
            "overdue_open": 1,
            "verified": 4,
            "verified_on_time": 3,  # C1, C3, C8
            "avg_handling_hours": 3.83,  # 690 / 3 minutes
            "p90_handling_hours": 7.5,
            "closure_rate": 3 / 4,
            "on_time_closure_rate": 2 / 3,
            "rework_rate": 0.0,
            "return_rate": 0.0,
            "on_time_verification_rate": 3 / 4,
            "valid_report_rate": None,
        },
        figures["sanitation"],
    )
    _close(
        {
            "reported": None,
            "rejected": None,
            "filed": None,
            "dispatched": 3,  # C3 (first), C4, C7
            "returned": 1,  # C3
            "resolved": 2,  # C4 twice
            "reworked": 1,
            "extensions": 0,
            "due": 1,
            "closed": 1,
            "closed_on_time": 1,  # the fix after the rework came before the new deadline
            "overdue_open": 0,
            "verified": 2,
            "verified_on_time": 1,
            "avg_handling_hours": 2.83,  # 50 + 120 minutes
            "p90_handling_hours": 2.83,
            "closure_rate": 1.0,
            "on_time_closure_rate": 1.0,
            "rework_rate": 1 / 2,
            "return_rate": 1 / 3,
            "on_time_verification_rate": 1 / 2,
            "valid_report_rate": None,
        },
        figures["roads"],
    )
    assert {row.key: row.label for row in rows} == {"sanitation": "环卫局", "roads": "市政局"}


def test_grids_communities_and_the_street_add_up(week, world):
    tables = ev.indicators_all(WEEK, kinds=[ev.GRID, ev.COMMUNITY, ev.STREET], now=AFTER)
    grids = _figures(tables[ev.GRID])
    pick = ("reported", "rejected", "dispatched", "returned", "resolved", "reworked", "extensions", "due")
    pick += ("closed", "closed_on_time", "overdue_open", "verified", "verified_on_time", "avg_handling_hours")
    expected = {
        world.g1.code: (3, 1, 2, 0, 2, 0, 0, 2, 2, 1, 0, 2, 1, 4.75),  # C1, C2, C5
        world.g2.code: (2, 0, 3, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 2.0),  # C3, C7
        world.g3.code: (1, 0, 1, 0, 3, 1, 0, 1, 1, 1, 0, 3, 2, 2.83),  # C4, C8
        world.g4.code: (2, 0, 2, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, None),  # C6, C9
    }
    assert {code: tuple(values[name] for name in pick) for code, values in grids.items()} == expected
    assert grids[world.g4.code]["on_time_closure_rate"] is None  # nothing closed: no rate
    assert grids[world.g4.code]["closure_rate"] == 0.0
    communities = _figures(tables[ev.COMMUNITY])
    a, b = (c.code for c in world.communities)
    assert (communities[a]["reported"], communities[a]["due"], communities[a]["closed"]) == (5, 3, 3)
    assert (communities[b]["reported"], communities[b]["due"], communities[b]["closed"]) == (3, 2, 1)
    (street,) = tables[ev.STREET]
    assert street.key == world.street.code and street.due == 5 and street.reported == 8


def test_administrators_answer_for_their_reports_and_their_verifications(week, world):
    rows = ev.indicators_by_administrator(WEEK, now=AFTER)
    figures = {row.label: row.values() for row in rows}
    assert set(figures) == {"gridadmin", "gridadmin_b"}  # the dispatcher reported C6 and C9: no row
    mine = figures["gridadmin"]
    assert (mine["reported"], mine["rejected"], mine["valid_report_rate"]) == (5, 1, 4 / 5)
    assert (mine["due"], mine["closed"], mine["closed_on_time"]) == (3, 3, 2)  # C1, C2, C3
    assert (mine["verified"], mine["verified_on_time"]) == (3, 2)  # verified C2 late
    other = figures["gridadmin_b"]
    assert (other["reported"], other["rejected"], other["valid_report_rate"]) == (1, 0, 1.0)
    # C4 twice (on time, then late) and C8 (reported before the week, verified in it, on time)
    assert (other["verified"], other["verified_on_time"]) == (3, 2)
    assert other["reworked"] == 1 and other["on_time_verification_rate"] == pytest.approx(2 / 3)


def test_a_past_day_is_counted_as_of_its_end(week):
    """Monday alone: C2 was fixed on Tuesday, so at Monday's end it is overdue and not closed; C3's
    deadline (Tuesday 09:00) lies outside the day."""
    monday = ev.Period(START, START)
    (total,) = ev.indicators_all(monday, kinds=[ev.TOTAL], now=AFTER)[ev.TOTAL]
    assert (total.reported, total.dispatched, total.returned, total.resolved) == (4, 4, 1, 3)
    assert (total.due, total.closed, total.closed_on_time, total.overdue_open) == (2, 1, 1, 1)
    assert (total.verified, total.verified_on_time) == (3, 3)  # C8, C1, C3
    # The same day computed while it was still running (Monday 12:00) sees only the morning.
    (morning,) = ev.indicators_all(
        monday, kinds=[ev.TOTAL], now=dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC)
    )[ev.TOTAL]
    assert (morning.reported, morning.resolved, morning.closed, morning.overdue_open) == (4, 2, 0, 0)


def test_a_suspended_case_has_no_deadline_until_it_resumes(week):
    facts = ev.facts_collect(WEEK, now=AFTER)
    c7 = next(f for f in facts.cases if f.case_id == week.c7.pk)
    assert [t[0] for t in c7.tallies] == ["filed", "dispatched", "reported"]
    assert c7.due_at is None


def test_rates_with_nothing_to_divide_by_are_none(db):
    empty = ev.Figures(kind=ev.TOTAL, key=ev.TOTAL_KEY)
    assert [getattr(empty, name) for name in ev.RATE_FIELDS] == [None] * len(ev.RATE_FIELDS)
    (total,) = ev.indicators_all(ev.Period(START, END), kinds=[ev.TOTAL], now=AFTER)[ev.TOTAL]
    assert total.counts() == dict.fromkeys(ev.COUNT_FIELDS, 0)
    assert total.avg_handling_hours is total.p90_handling_hours is None
    assert all(getattr(total, name) is None for name in ev.RATE_FIELDS)
    no_reports = ev.Figures(kind=ev.DEPARTMENT, key="x", reported=None, rejected=None, filed=None)
    assert no_reports.valid_report_rate is None


def test_p90_is_the_nearest_rank():
    assert ev.p90([]) is None
    assert ev.p90([5.0]) == 5.0
    assert ev.p90(range(1, 11)) == 9
    assert ev.p90([1, 2, 3, 100]) == 100  # ceil(0.9 × 4) = 4th


def test_a_period_ends_on_or_after_it_starts():
    with pytest.raises(ValueError):
        ev.Period(END, START)
    assert ev.Period(START, END).days == 7


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def test_the_replay_costs_the_same_queries_for_few_and_many_cases(world):
    build(world)
    few = _queries(lambda: ev.indicators_all(WEEK, now=AFTER))
    for hour in range(9, 15):
        report(world, at=dt.datetime(2026, 3, 5, hour, tzinfo=LOCAL), grid=world.g4)
    many = _queries(lambda: ev.indicators_all(WEEK, now=AFTER))
    assert few == many <= 12


# --- the materialised copy ------------------------------------------------------------------------------


def test_materialising_stores_every_grouping_and_reads_back_the_same(week):
    stored = evaluation_materialise(start=START, end=END, now=AFTER)
    assert stored == 1 + 2 + 4 + 2 + 1 + 2  # total, departments, grids, communities, street, administrators
    computed = ev.indicators_all(WEEK, now=AFTER)
    tables = selectors.stored_tables(WEEK, now=AFTER)
    for kind in ev.KINDS:
        assert [r.values() for r in tables[kind].rows] == [r.values() for r in computed[kind]], kind
        assert tables[kind].computed_at == AFTER and not tables[kind].stale
    assert tables[ev.TOTAL].as_of == WEEK.end_at


def test_recomputing_replaces_the_rows_of_the_period_only(week):
    evaluation_materialise(start=START, end=END, now=AFTER)
    evaluation_materialise(start=START, end=START, now=AFTER)
    EvaluationFigure.objects.filter(period_start=START, period_end=END, kind=ev.TOTAL).update(due=99)
    EvaluationFigure.objects.create(
        period_start=START, period_end=END, kind=ev.GRID, key="gone", as_of=AFTER, computed_at=AFTER
    )
    assert (
        selectors.tables_for(WEEK, kinds=[ev.TOTAL], now=AFTER)[ev.TOTAL].rows[0].due == 99
    )  # stored rows win

    evaluation_materialise(start=START, end=END, now=AFTER)

    week_rows = EvaluationFigure.objects.filter(period_start=START, period_end=END)
    assert week_rows.count() == 12 and not week_rows.filter(key="gone").exists()
    assert week_rows.get(kind=ev.TOTAL).due == 5
    assert EvaluationFigure.objects.filter(period_start=START, period_end=START).count() == 12


def test_stored_figures_of_a_running_period_say_they_are_stale(week):
    tuesday_noon = dt.datetime(2026, 3, 3, 4, 0, tzinfo=dt.UTC)
    evaluation_materialise(start=START, end=END, now=tuesday_noon)
    tables = selectors.stored_tables(WEEK, kinds=[ev.TOTAL], now=AFTER)
    assert tables[ev.TOTAL].as_of == tuesday_noon and tables[ev.TOTAL].stale


def test_the_nightly_task_materialises_yesterday_the_last_days_and_the_months(week):
    with clock.frozen_at(AFTER):  # Friday 2026-03-20
        result = materialise_evaluation_task()
    periods = set(EvaluationFigure.objects.values_list("period_start", "period_end").distinct())
    d = dt.date
    assert periods == {
        (d(2026, 3, 19), d(2026, 3, 19)),  # yesterday
        (d(2026, 3, 13), d(2026, 3, 19)),  # the last 7 days
        (d(2026, 1, 19), d(2026, 3, 19)),  # the last 60 days
        (d(2026, 3, 1), d(2026, 3, 19)),  # the month to date
        (d(2026, 2, 1), d(2026, 2, 28)),  # the last month
    }
    assert len(result) == 5


def test_the_task_materialises_one_period_on_demand(week):
    materialise_evaluation_task(start=START.isoformat(), end=END.isoformat())
    assert EvaluationFigure.objects.get(period_start=START, period_end=END, kind=ev.TOTAL).closed == 4


def test_on_the_first_of_a_month_the_month_to_date_is_the_last_month():
    periods = ev.nightly_periods(dt.date(2026, 4, 1))
    assert ev.Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31)) in periods
    assert len(periods) == len(set(periods)) == 4


def test_beat_runs_the_evaluation_at_one_in_the_morning():
    entry = settings.CELERY_BEAT_SCHEDULE["materialise-evaluation"]
    assert entry["task"] == "evaluation.tasks.materialise_evaluation_task"
    assert entry["schedule"] == crontab(hour=1, minute=0)


def test_the_task_still_answers_to_its_name_from_before_the_move(week):
    """Messages queued under the old name (before evaluation left dispatch) still run."""
    task = app.tasks["dispatch.tasks.materialise_evaluation_task"]
    result = task.apply(kwargs={"start": START.isoformat(), "end": END.isoformat()})
    assert result.successful() and result.result == 12
    assert EvaluationFigure.objects.get(period_start=START, period_end=END, kind=ev.TOTAL).closed == 4


def test_suspended_time_is_not_handling_time_and_a_resume_moves_the_deadline(world):
    """Dispatched Mon 09:00 (due 15:00), suspended 10:00 with 180 working minutes left, resumed Tue 10:00
    (due Tue 15:00), fixed Tue 11:00: 540 working minutes from dispatch to fix, 420 of them suspended."""
    build(world)  # the office-hours calendar (and a week of other cases, in other grids' figures)
    go = Driver(world)
    case = go.report(at("03-02", "08:50"), world.g4, world.dispatcher, source="hotline")
    case = go.file_dispatch(case, at("03-02", "08:55"), at("03-02", "09:00"), world.roads)
    case = go(at("03-02", "10:00"), services.case_suspend, case=case, actor=world.dispatcher, reason="等批复")
    case = go(at("03-02", "10:30"), services.case_accept, case=case, actor=world.other_staff)
    case = go(at("03-03", "10:00"), services.case_resume, case=case, actor=world.dispatcher)
    case = go(at("03-03", "11:00"), services.case_resolve, case=case, actor=world.other_staff, notes="已处理")
    case = go(
        at("03-03", "11:30"), services.case_verify_desk, case=case, actor=world.dispatcher, reason="来电确认"
    )

    facts = ev.facts_collect(WEEK, now=AFTER)
    mine = next(f for f in facts.cases if f.case_id == case.pk)
    resumed = case.events.get(action="resume")
    assert mine.due_at == dt.datetime.fromisoformat(resumed.data["deadline"]) == at("03-03", "15:00")
    assert mine.closed_on_time
    handling = [value for name, *_, value in mine.tallies if name == "handling_minutes"]
    assert handling == [120.0]


def test_a_fix_reported_while_the_clock_stands_still_is_on_time_if_it_stopped_in_time(world):
    build(world)
    go = Driver(world)
    stopped_in_time = go.report(at("03-02", "08:50"), world.g4, world.dispatcher, source="hotline")
    stopped_late = go.report(at("03-02", "08:51"), world.g4, world.dispatcher, source="hotline")
    for case, stop in ((stopped_in_time, "14:00"), (stopped_late, "16:00")):  # due 15:00
        case = go.file_dispatch(case, at("03-02", "08:55"), at("03-02", "09:00"), world.roads)
        case = go(
            at("03-02", stop), services.case_suspend, case=case, actor=world.dispatcher, reason="等批复"
        )
        case = go.fix(case, at("03-03", "09:00"), at("03-03", "10:00"), world.other_staff)
        go(
            at("03-03", "10:30"),
            services.case_verify_desk,
            case=case,
            actor=world.dispatcher,
            reason="来电确认",
        )
    facts = {f.case_id: f for f in ev.facts_collect(WEEK, now=AFTER).cases}
    assert facts[stopped_in_time.pk].closed_on_time
    assert facts[stopped_late.pk].closed and not facts[stopped_late.pk].closed_on_time


def test_a_closed_case_reopened_after_its_rating_is_reworked_and_no_longer_closed(world):
    """A dispatcher's reopening (after a dissatisfied rating) counts as rework for the department and hands
    the case back: it is not closed until verified again."""
    go = Driver(world)
    case = go.report(at("03-02", "08:40"), world.g1, world.gridadmin)
    case = go.file_dispatch(case, at("03-02", "08:50"), at("03-02", "09:00"), world.sanitation)
    case = go.fix(case, at("03-02", "09:10"), at("03-02", "11:00"), world.staff)
    case = go(at("03-02", "14:30"), services.case_verify_pass, case=case, actor=world.gridadmin)
    go(at("03-03", "10:00"), services.case_rate, case=case, actor=None, rating="dissatisfied")
    case = go(
        at("03-03", "11:00"), services.case_reopen, case=case, actor=world.dispatcher, reason="复核属实"
    )
    assert case.state == "dispatched" and case.rework_count == 1
    (total,) = ev.indicators_all(WEEK, kinds=[ev.TOTAL], now=AFTER)[ev.TOTAL]
    figures = total.values()
    assert figures["reworked"] == 1 and figures["resolved"] == 1
    assert figures["closed"] == 0  # handed back: closed only when verified again
