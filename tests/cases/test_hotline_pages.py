"""The hotline pages: the dispatcher's intake (the report form and the caller), earlier calls of a number,
the call backs due (masked, reveal with a reason, the call back form), and the caller on the case page."""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from cases import views_hotline
from cases.models import Case, CaseCaller, CaseState

from ..factories import centre
from .console import html, login
from .helpers import drive
from .test_hotline import PHONE, closed_call, take_call

S = CaseState


def _intake(world, **overrides) -> dict:
    lat, lng = centre(world.g1)
    return {
        "caller_name": "王小明",
        "caller_phone": "138 0013 8000",
        "lat": f"{lat:.6f}",
        "lng": f"{lng:.6f}",
        "category": world.cats.waste.pk,
        "description": "小区门口垃圾堆放三天",
        "address": "",
        "facility": "",
        "priority": "",
    } | overrides


# --- intake -----------------------------------------------------------------------------------------------


def test_the_intake_is_the_report_form_with_the_caller_first(client, world):
    login(client, world.dispatcher)
    page = html(client.get(reverse("hotline-intake")))
    assert 'name="caller_phone"' in page and 'name="caller_name"' in page and 'name="priority"' in page
    # The report form's parts, from report.html itself: the map picker, the address search, the categories.
    assert 'data-map="report"' in page and 'id="address-find"' in page and 'id="category-filter"' in page
    assert page.index('name="caller_phone"') < page.index('data-map="report"')
    assert reverse("hotline-history") in page


@pytest.mark.parametrize("persona", ["gridadmin", "staff", "supervisor", "resident"])
def test_the_intake_is_the_dispatchers(client, world, persona):
    login(client, getattr(world, persona))
    assert client.get(reverse("hotline-intake")).status_code == 403
    assert client.post(reverse("hotline-intake"), _intake(world)).status_code == 403
    assert not Case.objects.exists()


def test_a_call_becomes_a_case_and_the_dispatcher_lands_on_its_page(client, world):
    login(client, world.dispatcher)
    response = client.post(reverse("hotline-intake"), _intake(world, priority="1"))
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("case-detail", args=[case.pk])
    assert case.source == Case.Source.HOTLINE and case.priority == 1 and case.reporter_contact == ""
    assert CaseCaller.objects.get(case=case).phone_hash


def test_a_refused_call_lists_every_error_and_keeps_what_was_typed(client, world):
    login(client, world.dispatcher)
    response = client.post(reverse("hotline-intake"), _intake(world, caller_phone="12345", description=""))
    page = html(response)
    assert response.status_code == 400 and not Case.objects.exists()
    assert page.index('href="#id_caller_phone"') < page.index('href="#id_description"')
    assert "a mobile number (11 digits, 13x–19x)" in page
    assert 'value="王小明"' in page and 'value="12345"' in page


def test_earlier_calls_of_the_number_are_shown_as_it_is_typed(client, world):
    first, second = take_call(world), take_call(world, phone="+86 13800138000")
    login(client, world.dispatcher)
    url = reverse("hotline-history")
    page = html(client.get(url, {"caller_phone": "138-0013-8000"}))
    assert "This number rang 2 times before." in page
    assert first.number in page and second.number in page
    assert "First call from this number." in html(client.get(url, {"caller_phone": "13900139000"}))
    assert html(client.get(url, {"caller_phone": "139"})).strip() == ""  # still typing
    assert html(client.get(url)).strip() == ""
    login(client, world.supervisor)
    assert client.get(url, {"caller_phone": PHONE}).status_code == 403


# --- call backs due ---------------------------------------------------------------------------------------


def test_the_call_backs_list_shows_callers_masked_with_reveal_and_call_back_forms(client, world):
    case = closed_call(world, name="王小明", phone="13800138000")
    login(client, world.dispatcher)
    page = html(client.get(reverse("hotline-callbacks")))
    assert case.number in page and "王**" in page and "138****8000" in page
    assert PHONE not in page and "王小明" not in page
    assert reverse("hotline-reveal", args=[case.pk]) in page
    assert reverse("hotline-callback", args=[case.pk]) in page and 'value="unreachable"' in page


def test_the_call_backs_list_is_the_dispatchers(client, world):
    login(client, world.supervisor)
    assert client.get(reverse("hotline-callbacks")).status_code == 403


def test_the_call_backs_list_reads_the_same_queries_for_a_page_of_any_length(
    client, world, django_assert_num_queries, monkeypatch
):
    monkeypatch.setattr(views_hotline, "CALLBACKS_PER_PAGE", 3)
    closed_call(world)
    login(client, world.dispatcher)
    url = reverse("hotline-callbacks")
    client.get(url)  # the session and the user, as every later request reads them
    # session, user, roles, the count, the page (case, caller, category, grid, department in one query)
    with django_assert_num_queries(5):
        assert client.get(url).status_code == 200
    for _ in range(3):
        closed_call(world, phone="13900139000")
    with django_assert_num_queries(5):
        page = html(client.get(url))
    assert page.count('class="card callback-card"') == 3 and 'rel="next"' in page


def test_the_longest_waiting_call_back_comes_first(client, world):
    newer, older = closed_call(world), closed_call(world)
    Case.objects.filter(pk=older.pk).update(closed_at=newer.closed_at.replace(year=newer.closed_at.year - 1))
    login(client, world.dispatcher)
    page = html(client.get(reverse("hotline-callbacks")))
    assert page.index(older.number) < page.index(newer.number)


# --- reveal and call back ---------------------------------------------------------------------------------


def test_a_reveal_shows_the_number_once_and_records_why(client, world):
    case = closed_call(world, phone="0791-86123456")
    login(client, world.dispatcher)
    response = client.post(
        reverse("hotline-reveal", args=[case.pk]), {"reason": "回访", "next": reverse("hotline-callbacks")}
    )
    page = html(response)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert "0791-86123456" in page and 'href="tel:079186123456"' in page and "王小明" in page
    assert reverse("hotline-callback", args=[case.pk]) in page  # call now, record what they said here
    assert case.events.filter(action="caller_revealed", data__reason="回访").count() == 1
    # Afterwards the caller's page is masked again.
    assert "86123456" not in html(client.get(reverse("hotline-caller", args=[case.pk])))


def test_a_reveal_without_a_reason_says_so_and_reveals_nothing(client, world):
    case = closed_call(world)
    login(client, world.dispatcher)
    response = client.post(reverse("hotline-reveal", args=[case.pk]), {"reason": "  "})
    page = html(response)
    assert response.status_code == 400 and "the reason is recorded" in page
    assert PHONE not in page and not case.events.filter(action="caller_revealed").exists()


@pytest.mark.parametrize("persona", ["supervisor", "gridadmin", "staff"])
def test_only_a_dispatcher_reaches_the_caller_page(client, world, persona):
    case = closed_call(world)
    login(client, getattr(world, persona))
    assert client.get(reverse("hotline-caller", args=[case.pk])).status_code == 403
    assert client.post(reverse("hotline-reveal", args=[case.pk]), {"reason": "看看"}).status_code == 403
    assert (
        client.post(reverse("hotline-callback", args=[case.pk]), {"result": "satisfied"}).status_code == 403
    )
    assert not case.events.filter(action__in=["caller_revealed", "callback"]).exists()


def test_a_case_without_a_caller_has_no_caller_page(client, world):
    case = drive(world, S.CLOSED)
    login(client, world.dispatcher)
    assert client.get(reverse("hotline-caller", args=[case.pk])).status_code == 404


def test_a_call_back_is_recorded_and_the_case_leaves_the_list(client, world):
    case = closed_call(world)
    login(client, world.dispatcher)
    url = reverse("hotline-callbacks")
    response = client.post(
        reverse("hotline-callback", args=[case.pk]),
        {"result": "basically", "note": "基本满意", "version": case.version, "next": url},
    )
    assert response.status_code == 302 and response["Location"] == url
    caller = CaseCaller.objects.get(case=case)
    assert caller.callback_result == "basically" and caller.callback_note == "基本满意"
    page = html(client.get(url))
    assert case.number not in page.split('class="cardlist')[1] and "call back recorded" in page


def test_a_call_back_without_a_result_keeps_the_note(client, world):
    case = closed_call(world)
    login(client, world.dispatcher)
    response = client.post(reverse("hotline-callback", args=[case.pk]), {"note": "电话无人接听"})
    page = html(response)
    assert response.status_code == 400 and "Choose what the caller said." in page and "电话无人接听" in page
    assert CaseCaller.objects.get(case=case).callback_result == ""


def test_a_call_back_on_an_open_case_is_refused_with_the_reason(client, world):
    case = drive(world, S.RESOLVED, case=take_call(world))
    login(client, world.dispatcher)
    response = client.post(reverse("hotline-callback", args=[case.pk]), {"result": "satisfied"})
    assert response.status_code == 409 and "cannot record a call back on a case that is resolved" in html(
        response
    )


# --- the caller on the case page --------------------------------------------------------------------------


def _caller_card(world, case, persona) -> str:
    request = RequestFactory().get(reverse("case-detail", args=[case.pk]))
    request.user = getattr(world, persona)
    return render_to_string("cases/_caller.html", {"case": case}, request=request)


@pytest.mark.parametrize("persona", ["gridadmin", "staff", "supervisor", "dispatcher"])
def test_the_case_page_card_shows_the_caller_masked(world, persona):
    case = drive(world, S.DISPATCHED, case=take_call(world, name="王小明", phone="0791-86123456"))
    card = _caller_card(world, case, persona)
    assert "王**" in card and "079*****3456" in card
    assert "86123" not in card and "王小明" not in card
    assert (reverse("hotline-caller", args=[case.pk]) in card) == (persona == "dispatcher")


def test_the_card_shows_the_latest_call_back(world):
    from cases import services

    case = closed_call(world)
    services.case_callback(case=case, actor=world.dispatcher, result="unsatisfied", note="仍有异味")
    card = _caller_card(world, case, "supervisor")
    assert "not satisfied" in card and "仍有异味" in card


@pytest.mark.parametrize("persona", ["resident", "outsider"])
def test_the_card_is_empty_for_everyone_else(world, persona):
    case = drive(world, S.DISPATCHED, case=take_call(world))
    assert _caller_card(world, case, persona).strip() == ""


@pytest.mark.parametrize("persona", ["gridadmin", "staff"])
def test_a_grid_administrators_and_a_departments_case_page_never_show_the_callers_digits(
    client, world, persona
):
    case = closed_call(world, name="王小明", phone="0791-86123456")
    login(client, getattr(world, persona))
    response = client.get(reverse("case-detail", args=[case.pk]))
    page = html(response)
    assert response.status_code == 200
    assert "王**" in page and "079*****3456" in page, "the case page shows the caller, masked"
    assert "86123456" not in page and "079186123456" not in page and "王小明" not in page
    assert reverse("hotline-caller", args=[case.pk]) not in page


def test_the_dispatchers_case_page_links_to_the_caller_and_offers_no_second_call_back_form(client, world):
    case = closed_call(world)
    login(client, world.dispatcher)
    page = html(client.get(reverse("case-detail", args=[case.pk])))
    assert reverse("hotline-caller", args=[case.pk]) in page
    assert reverse("case-action", args=[case.pk, "callback"]) not in page
    # What is left to do on a closed case is the publicity decision, not a second call-back form.
    assert reverse("case-action", args=[case.pk, "publicity"]) in page
    assert PHONE not in page


def test_the_timeline_says_what_the_caller_said_and_why_the_number_was_shown(client, world):
    from cases import hotline, services

    case = closed_call(world)
    hotline.caller_reveal(case=case, actor=world.dispatcher, reason="核实回访电话")
    services.case_callback(case=case, actor=world.dispatcher, result="satisfied")
    login(client, world.supervisor)
    page = html(client.get(reverse("case-detail", args=[case.pk])))
    assert "caller&#x27;s phone shown" in page and "核实回访电话" in page
    assert "caller called back" in page and "satisfied" in page
