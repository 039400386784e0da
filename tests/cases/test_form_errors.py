"""Forms show every error at once and keep what was typed: the report form and the case action forms."""

import re

from django.urls import reverse

from cases.models import Case, CaseState

from ..factories import centre
from .console import html, login
from .helpers import act, drive, evidence_fields, png_upload, report

S = CaseState


def _summary(page: str) -> str:
    match = re.search(r'<div class="error error-summary" role="alert"[^>]*>(.*?)</div>', page, re.S)
    assert match, "no error summary at the top of the page"
    return match[1]


# --- the report form ---------------------------------------------------------------------------------------


def test_a_report_with_two_invalid_fields_lists_both_and_keeps_what_was_typed(client, world):
    lat, lng = centre(world.g1)
    login(client, world.gridadmin)
    response = client.post(
        reverse("case-report"),
        {
            "lat": lat,
            "lng": lng,
            "address": "八一大道 100 号门口",
            "category": "",  # not chosen
            "description": "x" * 4001,  # too long
            "photos": [png_upload()],
        },
    )
    assert response.status_code == 400
    page = html(response)
    summary = _summary(page)
    assert 'href="#id_category"' in summary and 'href="#id_description"' in summary
    # Each field says its own error, tied to it for screen readers.
    for name in ("category", "description"):
        assert re.search(rf'id="id_{name}"[^>]*aria-invalid="true"', page) or re.search(
            rf'aria-invalid="true"[^>]*id="id_{name}"', page
        ), name
        assert f'aria-describedby="id_{name}_error"' in page and f'id="id_{name}_error"' in page
    # What was typed survives; the photo must be chosen again, and the page says so.
    assert 'value="八一大道 100 号门口"' in page
    assert "x" * 4001 in page
    assert f'value="{lat}"' in page
    assert "choose the photos again" in page.lower()
    assert not Case.objects.exists()


def test_a_valid_report_redirects_to_its_receipt(client, world):
    lat, lng = centre(world.g1)
    login(client, world.gridadmin)
    response = client.post(
        reverse("case-report"),
        {"lat": lat, "lng": lng, "category": world.cats.waste.pk, "description": "垃圾堆放"},
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response.url == reverse("case-receipt", args=[case.pk])


# --- the case action forms ---------------------------------------------------------------------------------


def test_an_extension_request_with_two_invalid_fields_lists_both(client, world):
    case = drive(world, S.IN_PROGRESS)
    login(client, world.staff)
    response = client.post(
        reverse("case-action", args=[case.pk, "request_extension"]),
        {"version": case.version, "minutes": "0", "reason": "   "},
    )
    assert response.status_code == 400
    page = html(response)
    summary = _summary(page)
    assert (
        'href="#f-request_extension-minutes"' in summary and 'href="#f-request_extension-reason"' in summary
    )
    assert "an extension is between 1 and" in summary and "reason is required" in summary
    for name in ("minutes", "reason"):
        assert f'id="f-request_extension-{name}-error"' in page
        assert f'aria-invalid="true" aria-describedby="f-request_extension-{name}-error"' in page
    assert '<details class="more" open>' in page  # the refused form is unfolded
    case.refresh_from_db()
    assert case.extension_count == 0 and not case.extension_requests.exists()


def test_a_refused_rejection_keeps_the_reason_and_the_number_typed(client, world):
    case = report(world)
    login(client, world.dispatcher)
    response = client.post(
        reverse("case-action", args=[case.pk, "reject"]),
        {"version": case.version, "reason": "与另一案件重复", "duplicate_of": "20990101999999"},
    )
    assert response.status_code == 400
    page = html(response)
    assert "there is no case 20990101999999" in _summary(page)
    assert re.search(r'<textarea id="f-reject-reason"[^>]*>与另一案件重复</textarea>', page)
    assert 'value="20990101999999"' in page
    case.refresh_from_db()
    assert case.state == S.REPORTED


def test_a_service_refusal_after_the_form_passed_is_shown_at_the_top_and_keeps_the_input(client, world):
    case = drive(world, S.RESOLVED)
    login(client, world.gridadmin)
    stale = case.version
    act(world, case, "suspend", world.dispatcher)  # someone else changes the case meanwhile
    response = client.post(
        reverse("case-action", args=[case.pk, "verify_fail"]),
        {"version": stale, "reason": "井盖仍然松动", "photos": [png_upload()], "next": "/verify/"},
    )
    assert response.status_code == 409
    page = html(response)
    assert "changed by someone else" in _summary(page)
    assert re.search(r'<textarea id="f-verify_fail-reason"[^>]*>井盖仍然松动</textarea>', page)
    assert "choose the photos again" in page.lower()
    assert '<input type="hidden" name="next" value="/verify/">' in page  # still goes back to the queue


def test_the_chosen_department_survives_a_refused_dispatch(client, world):
    case = drive(world, S.FILED)
    login(client, world.dispatcher)
    response = client.post(
        reverse("case-action", args=[case.pk, "dispatch"]),
        {"version": case.version - 1, "department": world.roads.pk, "note": "请尽快处理"},
    )
    assert response.status_code == 409
    page = html(response)
    assert re.search(rf'<option value="{world.roads.pk}" selected>', page)
    assert 'value="请尽快处理"' in page


def test_a_successful_action_redirects(client, world):
    case = drive(world, S.RESOLVED)
    login(client, world.gridadmin)
    response = client.post(
        reverse("case-action", args=[case.pk, "verify_fail"]),
        {
            "version": case.version,
            "reason": "井盖仍然松动",
            **evidence_fields(case),
            "next": reverse("verification-queue"),
        },
    )
    assert response.status_code == 302 and response.url == reverse("verification-queue")
