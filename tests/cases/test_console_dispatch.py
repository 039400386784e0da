"""The dispatch center's console: a live triage queue (htmx), one-step file-and-dispatch, duplicates,
returned cases and extension requests as their own queues, and the map of all open cases."""

import datetime as dt

import pytest
from django.urls import reverse

from cases import services
from cases.models import Case, CaseState
from gridmgmt import tasking

from .console import HTMX, html, login, queries
from .helpers import act, drive, report

S = CaseState


def rows(client, queue="triage"):
    return client.get(reverse("dispatch-queue-rows"), {"queue": queue}, **HTMX)


def test_the_queue_polls_itself_every_few_seconds(client, world):
    login(client, world.dispatcher)
    page = html(client.get(reverse("dispatch-queue")))
    assert f'hx-get="{reverse("dispatch-queue-rows")}?queue=triage"' in page
    # No trigger condition: htmx would evaluate it as code, which the CSP forbids. app.js skips a poll while
    # the user works in the queue (proved in tests/browser/test_csp.py).
    assert 'hx-trigger="every 5s"' in page
    assert "django_htmx/htmx" in page or "htmx.min.js" in page  # served from our own static files


def test_a_new_report_appears_in_the_partial_without_a_reload(client, world):
    login(client, world.dispatcher)
    assert rows(client).context["rows"] == []
    case = report(world)
    response = rows(client)
    assert response.status_code == 200
    page = html(response)
    assert case.number in page and "<html" not in page
    assert 'id="count-triage" hx-swap-oob="true">1<' in page  # tab counts refresh out of band


def test_the_queue_is_ordered_by_time_left_with_priority_breaking_ties(client, world):
    # All three clocks run on time: least time left first; priority decides only between equal deadlines
    # (overdue and suspended cases: tests/cases/test_urgency.py).
    normal = report(world)
    urgent = report(world, category=world.cats.manhole)  # priority 1
    filed = drive(world, S.FILED, report(world, grid=world.g2))
    Case.objects.filter(pk=filed.pk).update(deadline_at=urgent.deadline_at, deadline_warn_at=None)
    login(client, world.dispatcher)
    order = [c.pk for c in rows(client).context["rows"]]
    assert order == [normal.pk, urgent.pk, filed.pk]


def test_rows_are_labelled_with_time_left_in_words_not_only_colour(client, world):
    case = report(world)
    Case.objects.filter(pk=case.pk).update(deadline_at=case.reported_at - dt.timedelta(hours=1))
    login(client, world.dispatcher)
    page = html(rows(client))
    assert "clock-overdue" in page and "<strong>overdue</strong>" in page


def test_file_and_dispatch_in_one_action_from_the_queue(client, world):
    case = report(world)
    login(client, world.dispatcher)
    response = client.post(
        reverse("case-action", args=[case.pk, "file_dispatch"]),
        {"version": case.version, "department": world.roads.pk, "next": reverse("dispatch-queue")},
    )
    assert response.status_code == 302 and response.url == reverse("dispatch-queue")
    case.refresh_from_db()
    assert (case.state, case.department) == (S.DISPATCHED, world.roads)
    assert list(case.events.values_list("action", flat=True).order_by("seq")) == [
        "report",
        "file",
        "dispatch",
    ]


def test_file_and_dispatch_refuses_a_missing_department_before_writing(client, world):
    case = report(world)
    login(client, world.dispatcher)
    response = client.post(reverse("case-action", args=[case.pk, "file_dispatch"]), {"version": case.version})
    assert response.status_code == 400 and "choose a department" in html(response)
    case.refresh_from_db()
    assert case.state == S.REPORTED


def test_file_and_dispatch_is_for_dispatchers_only(client, world):
    case = report(world)
    login(client, world.gridadmin)
    response = client.post(
        reverse("case-action", args=[case.pk, "file_dispatch"]),
        {"version": case.version, "department": world.roads.pk},
    )
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.state == S.REPORTED


def test_the_triage_page_lists_duplicate_candidates_and_marks_one(client, world):
    first = report(world)
    second = report(world, description="同一处垃圾")
    login(client, world.dispatcher)
    detail = client.get(reverse("case-detail", args=[second.pk]))
    assert first in detail.context["candidates"]
    assert first.number in {p["number"] for p in detail.context["case_map"]["others"]}  # shown on the map
    response = client.post(
        reverse("case-action", args=[second.pk, "reject"]),
        {"version": second.version, "duplicate_of": first.number, "reason": "重复"},
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert (second.state, second.duplicate_of) == (S.REJECTED, first)


def test_marking_a_duplicate_of_an_unknown_number_is_refused_next_to_the_field(client, world):
    case = report(world)
    login(client, world.dispatcher)
    response = client.post(
        reverse("case-action", args=[case.pk, "reject"]),
        {"version": case.version, "duplicate_of": "000", "reason": "重复"},
    )
    assert response.status_code == 400 and 'id="f-reject-duplicate_of-error"' in html(response)


def test_returned_cases_have_their_own_queue_with_the_reason(client, world):
    returned = drive(world, S.RETURNED)
    report(world)
    login(client, world.dispatcher)
    response = rows(client, "returned")
    assert [c.pk for c in response.context["rows"]] == [returned.pk]
    assert "非本部门职责" in html(response) and world.sanitation.name in html(response)
    redispatch = client.post(
        reverse("case-action", args=[returned.pk, "dispatch"]),
        {"version": returned.version, "department": world.roads.pk, "next": reverse("dispatch-queue")},
    )
    assert redispatch.status_code == 302
    returned.refresh_from_db()
    assert (returned.state, returned.department) == (S.DISPATCHED, world.roads)


def test_extension_requests_have_their_own_queue_and_are_decided_there(client, world):
    asked = drive(world, S.IN_PROGRESS)
    with tasking.suppressed():
        act(world, asked, "request_extension", world.staff)
    login(client, world.dispatcher)
    response = rows(client, "extensions")
    assert [x.case_id for x in response.context["rows"]] == [asked.pk]
    assert "需要调集设备" in html(response)
    asked.refresh_from_db()
    before = asked.deadline_at
    response = client.post(
        reverse("case-action", args=[asked.pk, "approve_extension"]),
        {"version": asked.version, "next": reverse("dispatch-queue") + "?queue=extensions"},
    )
    assert response.status_code == 302 and response.url.endswith("?queue=extensions")
    asked.refresh_from_db()
    assert asked.extension_count == 1 and asked.deadline_at >= before
    assert rows(client, "extensions").context["rows"] == []


def test_denying_an_extension_needs_a_reason(client, world):
    asked = drive(world, S.IN_PROGRESS)
    with tasking.suppressed():
        act(world, asked, "request_extension", world.staff)
    login(client, world.dispatcher)
    asked.refresh_from_db()
    response = client.post(
        reverse("case-action", args=[asked.pk, "deny_extension"]), {"version": asked.version}
    )
    assert response.status_code == 400 and "reason is required" in html(response)


def test_an_unknown_queue_falls_back_to_triage(client, world):
    login(client, world.dispatcher)
    assert rows(client, "nonsense").context["queue"] == "triage"


def test_the_map_filters_by_category_state_street_and_department(client, world):
    waste = report(world)
    ads = report(world, category=world.cats.ads, grid=world.g2)
    dispatched = drive(world, S.DISPATCHED, report(world, actor=world.resident, grid=world.g4))
    drive(world, S.CLOSED, report(world))
    login(client, world.dispatcher)

    def numbers(**params):
        response = client.get(reverse("dispatch-map"), params)
        assert response.status_code == 200
        return {p["number"] for p in response.context["case_points"]}

    assert numbers() == {waste.number, ads.number, dispatched.number}  # open cases only
    assert numbers(category="0102") == {ads.number}
    assert numbers(category="01") == {waste.number, ads.number, dispatched.number}
    assert numbers(state="dispatched") == {dispatched.number}
    assert numbers(department="sanitation") == {dispatched.number}
    assert numbers(street="360102001") == {waste.number, ads.number, dispatched.number}
    assert numbers(street="999999999") == set()
    assert numbers(state="closed") == {
        waste.number,
        ads.number,
        dispatched.number,
    }  # not an open state: ignored


def test_the_map_carries_grid_polygons_and_grid_ids_for_clustering(client, world):
    report(world)
    login(client, world.supervisor)
    response = client.get(reverse("dispatch-map"))
    assert len(response.context["grid_geojson"]["features"]) == 4
    assert response.context["case_points"][0]["grid"] == world.g1.pk
    assert 'data-map="cases"' in html(response)


def _mixed(world, n: int) -> None:
    for i in range(n):
        case = report(world, grid=(world.g1, world.g2)[i % 2])
        if i % 3 == 1:
            drive(world, S.FILED, case)
        elif i % 3 == 2:
            drive(world, S.RETURNED, case)
            with tasking.suppressed():
                services.case_dispatch(
                    case=Case.objects.get(pk=case.pk), actor=world.dispatcher, department=world.roads
                )
                act(world, Case.objects.get(pk=case.pk), "request_extension", world.other_staff)


@pytest.mark.parametrize(
    "path",
    [
        reverse("dispatch-queue"),
        reverse("dispatch-queue-rows") + "?queue=triage",
        reverse("dispatch-queue-rows") + "?queue=returned",
        reverse("dispatch-queue-rows") + "?queue=extensions",
        reverse("dispatch-map"),
    ],
)
def test_the_queues_cost_the_same_for_few_and_many_cases(client, world, path):
    login(client, world.dispatcher)
    _mixed(world, 3)
    few, _ = queries(client, path)
    _mixed(world, 12)
    many, _ = queries(client, path)
    assert many == few and many <= 14, (few, many)
