"""EXPLAIN checks for the hot queries: each is served by the index it was built for (PostgreSQL only).

The test database holds a handful of rows, on which a sequential scan is always cheapest, so each plan is
taken with `SET LOCAL enable_seqscan = off`: the planner then uses an index whenever one can answer the
query, and falls back to a (heavily penalised) Seq Scan only when none can. So these tests fail when a change
to a query or to the indexes leaves a hot query without a usable index; `make bench` shows the plans the
planner picks at scale (1M cases). The SQL is captured from the selectors themselves, not copied here.
"""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cases.selectors import cases_department_queue, cases_search, cases_triage_queue
from dispatch.selectors import cases_due, cases_unrouted
from gridmgmt import clock
from tests.conftest import requires_postgres

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db]


def _plan(run, *, also_off: tuple[str, ...] = ()) -> str:
    """The plan of the (last) query that `run()` sends, with sequential scans (and `also_off`) ruled out."""
    with CaptureQueriesContext(connection) as ctx:
        run()
    sql = ctx.captured_queries[-1]["sql"]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for setting in also_off:
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def _assert_case_index(plan: str, index: str) -> None:
    assert index in plan, f"expected a scan of the index {index}:\n{plan}"
    assert "Seq Scan on cases_case" not in plan, plan


@pytest.mark.parametrize(
    ("field", "flag", "index"),
    [
        ("deadline_warn_at", "warned_at", "case_warn_due_idx"),
        ("deadline_at", "overdue_at", "case_overdue_due_idx"),
        ("deadline_escalate_at", "escalated_at", "case_escalate_due_idx"),
    ],
)
def test_the_deadline_sweep_reads_only_unflagged_points_through_their_partial_index(field, flag, index):
    plan = _plan(lambda: cases_due(field=field, flag=flag, now=clock.now()))
    _assert_case_index(plan, index)


def test_the_reconcile_sweep_uses_the_unrouted_index():
    plan = _plan(lambda: cases_unrouted(older_than=clock.now() - dt.timedelta(minutes=1)))
    _assert_case_index(plan, "case_unrouted_idx")


def test_the_dispatch_queue_reads_its_first_page_in_index_order(world):
    plan = _plan(lambda: list(cases_triage_queue(world.dispatcher)[:50]))
    _assert_case_index(plan, "case_triage_queue_idx")


def test_the_department_queue_uses_its_queue_index(world):
    plan = _plan(lambda: list(cases_department_queue(world.staff)[:200]))
    _assert_case_index(plan, "case_department_queue_idx")


def test_the_department_queue_sorts_only_its_own_departments_open_cases(world):
    # Urgency depends on the time of reading, so no index holds the queue's order: the page is a top-N sort
    # of the rows the partial index finds for the one department (an equality, not the whole backlog), and
    # the suspension reasons are read for the page's rows only, after the sort.
    plan = _plan(lambda: list(cases_department_queue(world.staff)[:200]))
    _assert_case_index(plan, "case_department_queue_idx")
    assert f"Index Cond: (department_id = {world.sanitation.pk})" in plan, plan
    assert plan.index("Limit") < plan.index("Sort") < plan.index("case_department_queue_idx"), plan
    assert plan.index("Sort") < plan.index("SubPlan"), plan


@pytest.mark.parametrize("text", ["井盖被盗", "broken", "八一大道"])
def test_the_text_search_reads_the_trigram_indexes(world, text):
    # Plain index scans off as well: on an empty table the planner may otherwise walk reported_at backwards
    # (no rows to filter), which says nothing about whether the text condition has an index.
    plan = _plan(
        lambda: list(cases_search(world.dispatcher, text=text, now=clock.now())[:50]),
        also_off=("enable_indexscan",),
    )
    _assert_case_index(plan, "case_description_trgm_idx")
    assert "case_address_trgm_idx" in plan, plan
