"""Department staff: their department's queue with deadlines, bulk accept, return, extension, resolve."""

import pytest
from django.urls import reverse

from cases.models import CaseState, ExtensionRequest

from .console import html, login, queries
from .helpers import drive, png_upload, report

S = CaseState


def test_the_queue_holds_only_the_own_departments_cases_in_hand(client, world):
    mine = drive(world, S.DISPATCHED)
    working = drive(world, S.IN_PROGRESS, report(world, grid=world.g2))
    resolved = drive(world, S.RESOLVED, report(world))
    login(client, world.staff)
    response = client.get(reverse("department-queue"))
    assert {c.pk for c in response.context["cases"]} == {mine.pk, working.pk}
    assert resolved.number not in html(response)
    login(client, world.other_staff)
    assert client.get(reverse("department-queue")).context["cases"] == []


def test_bulk_accept_takes_every_selected_case(client, world):
    cases = [drive(world, S.DISPATCHED, report(world, grid=g)) for g in (world.g1, world.g2, world.g1)]
    login(client, world.staff)
    response = client.post(
        reverse("case-bulk-accept"),
        {"cases": [f"{c.pk}:{c.version}" for c in cases[:2]], "next": reverse("department-queue")},
    )
    assert response.status_code == 302 and response.url == reverse("department-queue")
    states = [type(c).objects.get(pk=c.pk).state for c in cases]
    assert states == [S.IN_PROGRESS, S.IN_PROGRESS, S.DISPATCHED]


def test_one_refused_case_does_not_stop_the_others(client, world):
    stale = drive(world, S.DISPATCHED)
    fresh = drive(world, S.DISPATCHED, report(world, grid=world.g2))
    login(client, world.staff)
    response = client.post(
        reverse("case-bulk-accept"),
        {"cases": [f"{stale.pk}:{stale.version - 1}", f"{fresh.pk}:{fresh.version}"]},
        follow=True,
    )
    assert response.status_code == 200
    page = html(response)
    assert "changed by someone else" in page and f"Accepted 1 case: {fresh.number}" in page
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.state, fresh.state) == (S.DISPATCHED, S.IN_PROGRESS)


def test_a_single_row_accept_takes_only_that_case(client, world):
    one = drive(world, S.DISPATCHED)
    other = drive(world, S.DISPATCHED, report(world, grid=world.g2))
    login(client, world.staff)
    client.post(
        reverse("case-bulk-accept"),
        {"only": f"{one.pk}:{one.version}", "cases": [f"{other.pk}:{other.version}"]},
    )
    one.refresh_from_db()
    other.refresh_from_db()
    assert (one.state, other.state) == (S.IN_PROGRESS, S.DISPATCHED)


def test_bulk_accept_survives_nonsense_and_other_departments_cases(client, world):
    theirs = drive(world, S.DISPATCHED)
    login(client, world.other_staff)
    for data in ({}, {"cases": ["x", ":", "999999:1"]}, {"cases": [f"{theirs.pk}:{theirs.version}"]}):
        response = client.post(reverse("case-bulk-accept"), data, follow=True)
        assert response.status_code == 200
    theirs.refresh_from_db()
    assert theirs.state == S.DISPATCHED


def test_bulk_accept_is_for_department_staff(client, world):
    case = drive(world, S.DISPATCHED)
    login(client, world.dispatcher)
    assert (
        client.post(reverse("case-bulk-accept"), {"cases": [f"{case.pk}:{case.version}"]}).status_code == 403
    )


def test_resolve_with_notes_and_photo_evidence(client, world):
    case = drive(world, S.IN_PROGRESS)
    login(client, world.staff)
    detail = html(client.get(reverse("case-detail", args=[case.pk])))
    assert 'id="f-resolve-notes"' in detail and 'capture="environment"' in detail
    response = client.post(
        reverse("case-action", args=[case.pk, "resolve"]),
        {"version": case.version, "notes": "已清运完毕", "photos": [png_upload()]},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == S.RESOLVED and case.photos.get().kind == "evidence"


def test_resolve_without_notes_is_refused_next_to_the_notes(client, world):
    case = drive(world, S.IN_PROGRESS)
    login(client, world.staff)
    response = client.post(reverse("case-action", args=[case.pk, "resolve"]), {"version": case.version})
    assert response.status_code == 400 and 'id="f-resolve-notes-error"' in html(response)


def test_return_with_reason_and_request_an_extension(client, world):
    case = drive(world, S.IN_PROGRESS)
    other = drive(world, S.DISPATCHED, report(world, grid=world.g2))
    login(client, world.staff)
    response = client.post(
        reverse("case-action", args=[case.pk, "request_extension"]),
        {"version": case.version, "minutes": "1440", "reason": "需要调集吊车"},
    )
    assert response.status_code == 302
    assert ExtensionRequest.objects.get(case=case).minutes == 1440
    response = client.post(
        reverse("case-action", args=[other.pk, "return"]), {"version": other.version, "reason": "属于市政"}
    )
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.state == S.RETURNED


def test_a_bad_extension_length_answers_400(client, world):
    case = drive(world, S.IN_PROGRESS)
    login(client, world.staff)
    response = client.post(
        reverse("case-action", args=[case.pk, "request_extension"]),
        {"version": case.version, "minutes": "forever", "reason": "x"},
    )
    assert response.status_code == 400 and 'id="f-request_extension-minutes-error"' in html(response)


def _dispatched(world, n: int) -> None:
    for i in range(n):
        drive(world, (S.DISPATCHED, S.IN_PROGRESS)[i % 2], report(world, grid=(world.g1, world.g2)[i % 2]))


@pytest.mark.parametrize("name", ["department-queue", "home"])
def test_the_queue_costs_the_same_for_few_and_many_cases(client, world, name):
    login(client, world.staff)
    _dispatched(world, 2)
    few, _ = queries(client, reverse(name))
    _dispatched(world, 10)
    many, _ = queries(client, reverse(name))
    assert many == few and many <= 12, (few, many)


def test_after_returning_a_case_the_staff_member_lands_on_the_queue_not_a_404(client, world):
    case = drive(world, S.DISPATCHED)
    login(client, world.staff)
    response = client.post(
        reverse("case-action", args=[case.pk, "return"]), {"version": case.version, "reason": "x"}
    )
    assert response.status_code == 302 and response.url == reverse("home")
