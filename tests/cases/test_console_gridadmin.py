"""The grid administrator's console: a map of their grids, "my reports", and the verification queue."""

import json

import pytest
from django.urls import reverse

from cases.models import CaseState

from .console import html, login, queries
from .helpers import drive, evidence_fields, report

S = CaseState


def test_the_home_map_holds_only_the_own_grids_and_their_open_cases(client, world):
    mine = report(world, grid=world.g2)
    drive(world, S.CLOSED, report(world))
    theirs = report(world, actor=world.other_gridadmin, grid=world.g3)
    login(client, world.gridadmin)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    codes = {f["properties"]["code"] for f in response.context["grid_geojson"]["features"]}
    assert codes == {world.g1.code, world.g2.code}
    points = {p["number"] for p in response.context["case_points"]}
    assert points == {mine.number} and theirs.number not in html(response)
    assert 'id="grid-geojson"' in html(response)  # json_script, read by static/js/maps.js
    json.loads(html(response).split('id="case-points" type="application/json">')[1].split("</script>")[0])


def test_my_reports_lists_the_own_reports_with_state_and_deadline(client, world):
    open_case = report(world)
    closed = drive(world, S.CLOSED, report(world, grid=world.g2))
    someone_elses = report(world, actor=world.dispatcher, source="hotline")
    login(client, world.gridadmin)
    page = html(client.get(reverse("my-reports")))
    assert open_case.number in page and closed.number not in page and someone_elses.number not in page
    assert "clock-ontime" in page
    assert closed.number in html(client.get(reverse("my-reports"), {"show": "all"}))


def test_the_verification_queue_holds_resolved_cases_of_the_own_grids_only(client, world):
    mine = drive(world, S.RESOLVED)
    theirs = drive(world, S.RESOLVED, report(world, actor=world.other_gridadmin, grid=world.g3))
    drive(world, S.IN_PROGRESS, report(world, grid=world.g2))
    login(client, world.gridadmin)
    response = client.get(reverse("verification-queue"))
    assert [c.pk for c in response.context["page"]] == [mine.pk]
    page = html(response)
    assert theirs.number not in page
    assert "已清运" in page  # the department's fix report, shown next to the decision


def test_passing_verification_with_a_photo_closes_the_case_and_returns_to_the_queue(client, world):
    case = drive(world, S.RESOLVED)
    login(client, world.gridadmin)
    response = client.post(
        reverse("case-action", args=[case.pk, "verify_pass"]),
        {"version": case.version, **evidence_fields(case), "next": reverse("verification-queue")},
    )
    assert response.status_code == 302 and response.url == reverse("verification-queue")
    case.refresh_from_db()
    assert case.state == S.CLOSED and case.photos.filter(kind="verification").count() == 1


def test_failing_verification_sends_the_case_back_for_rework(client, world):
    case = drive(world, S.RESOLVED)
    login(client, world.gridadmin)
    response = client.post(
        reverse("case-action", args=[case.pk, "verify_fail"]),
        {
            "version": case.version,
            "reason": "垃圾仍在",
            **evidence_fields(case),
            "next": reverse("verification-queue"),
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.rework_count, case.department) == (S.DISPATCHED, 1, world.sanitation)


def test_failing_verification_without_a_reason_is_refused_next_to_the_reason(client, world):
    case = drive(world, S.RESOLVED)
    login(client, world.gridadmin)
    response = client.post(reverse("case-action", args=[case.pk, "verify_fail"]), {"version": case.version})
    assert response.status_code == 400
    page = html(response)
    assert 'id="f-verify_fail-reason-error"' in page and "reason is required" in page
    assert 'aria-describedby="f-verify_fail-reason-error"' in page
    assert '<details class="more" open>' in page  # the failed form is unfolded
    case.refresh_from_db()
    assert case.state == S.RESOLVED


def test_an_unsafe_next_is_ignored(client, world):
    case = drive(world, S.RESOLVED)
    login(client, world.gridadmin)
    response = client.post(
        reverse("case-action", args=[case.pk, "verify_pass"]),
        {"version": case.version, **evidence_fields(case), "next": "https://evil.example/"},
    )
    assert response.url == reverse("case-detail", args=[case.pk])


def _resolved(world, n: int) -> None:
    for i in range(n):
        drive(world, S.RESOLVED, report(world, grid=(world.g1, world.g2)[i % 2]))


@pytest.mark.parametrize("name", ["home", "verification-queue", "my-reports"])
def test_the_console_pages_cost_the_same_for_few_and_many_cases(client, world, name):
    login(client, world.gridadmin)
    _resolved(world, 2)
    few, _ = queries(client, reverse(name))
    _resolved(world, 8)
    many, _ = queries(client, reverse(name))
    assert many == few and many <= 14, (few, many)
