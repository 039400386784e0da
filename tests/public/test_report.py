"""Residents report from the public site (anonymous or logged in), learn their grid, see public cases nearby
and say "me too"; robots and floods are refused, and no page tells one resident's identity to another."""

import json

import pytest
from django.core import signing
from django.urls import reverse

from cases.models import Case, CasePhoto, CaseState
from gridmgmt import tasking
from grids.models import GridAssignment
from grids.pii import decrypt
from public import reporting
from public.models import CaseSupport, Follower, ResidentAccount

from ..cases.helpers import drive, png_upload, report
from ..factories import centre
from .helpers import guard_fields

REPORT = "/public/report/"


@pytest.fixture(autouse=True)
def _no_broker():
    with tasking.suppressed():
        yield


def _post(client, world, **overrides):
    lat, lng = centre(world.g1)
    data = {
        "lat": f"{lat:.6f}",
        "lng": f"{lng:.6f}",
        "category": world.cats.waste.code,
        "description": "楼下垃圾三天没人清运",
        **guard_fields(),
    }
    data.update(overrides)
    return client.post(reverse("public-report"), {k: v for k, v in data.items() if v is not None})


def _sent_case(response) -> Case:
    assert response.status_code == 303, response.content.decode()[:2000]
    token = response["Location"].rstrip("/").rsplit("/", 1)[1]
    return Case.objects.get(pk=signing.loads(token, salt="public.report.sent"))


# --- reporting ----------------------------------------------------------------------------------------------


def test_an_anonymous_report_with_a_photo_is_a_public_case_in_its_grid(client, world):
    response = _post(client, world, photos=png_upload())
    case = _sent_case(response)
    assert case.source == Case.Source.PUBLIC
    assert case.state == CaseState.REPORTED
    assert case.grid == world.g1
    assert case.reporter is None
    assert case.category == world.cats.waste
    assert CasePhoto.objects.filter(case=case, kind=CasePhoto.Kind.REPORT).count() == 1
    assert not case.followers.exists()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert case.number in page.content.decode()
    assert page["Cache-Control"] == "no-store"


def test_name_and_contact_are_optional(client, world):
    case = _sent_case(_post(client, world, name="", contact=""))
    assert case.reporter_name == "" and case.reporter_contact == ""


def test_updates_need_a_contact(client, world):
    response = _post(client, world, wants_updates="on", contact="")
    assert response.status_code == 400
    body = response.content.decode()
    assert "id_contact_error" in body
    assert "楼下垃圾三天没人清运" in body  # what was typed is kept
    assert not Case.objects.exists()


def test_a_reporter_who_wants_updates_follows_with_an_encrypted_address(client, world):
    case = _sent_case(_post(client, world, wants_updates="on", contact="138 0013 8000", name="王小明"))
    follower = Follower.objects.get(case=case)
    assert follower.kind == Follower.Kind.REPORTER
    assert follower.channel == "sms"
    assert "13800138000" not in follower.address_encrypted
    assert decrypt(follower.address_encrypted) == "13800138000"
    assert case.reporter_contact == "13800138000" and case.reporter_name == "王小明"


def test_a_contact_without_updates_is_for_the_city_only(client, world):
    case = _sent_case(_post(client, world, contact="a@example.com"))
    assert case.reporter_contact == "a@example.com"
    assert not case.followers.exists()


def test_a_logged_in_residents_report_is_theirs_and_followed_by_their_confirmed_email(client, world):
    world.resident.email = "res@example.com"
    world.resident.save(update_fields=["email"])
    from gridmgmt import clock

    ResidentAccount.objects.create(
        user=world.resident, created_at=clock.now(), email_confirmed_at=clock.now()
    )
    client.force_login(world.resident)
    case = _sent_case(_post(client, world, wants_updates="on"))
    assert case.reporter == world.resident
    follower = Follower.objects.get(case=case)
    assert decrypt(follower.address_encrypted) == "res@example.com"
    assert case.reporter_contact == ""  # the account's address stays with the account


def test_a_staff_member_on_the_public_site_reports_as_anyone(client, world):
    client.force_login(world.dispatcher)
    case = _sent_case(_post(client, world))
    assert case.reporter is None and case.source == Case.Source.PUBLIC


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"lat": "north"}, "id_lat"),
        ({"lat": "95"}, "id_lat"),
        ({"lat": "nan"}, "id_lat"),
        ({"lat": "", "lng": ""}, "location-error"),
        ({"category": "9999"}, "category-error"),
        ({"category": ""}, "category-error"),
        ({"description": ""}, "id_description_error"),
        ({"description": "垃圾" * 5000}, "id_description_error"),
        ({"name": "n" * 5000}, "id_name_error"),
        ({"contact": "not a contact"}, "id_contact_error"),
        ({"address": "a" * 10000}, "id_address_error"),
    ],
)
def test_hostile_values_are_refused_at_their_field_never_a_500(client, world, overrides, field):
    response = _post(client, world, **overrides)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="form-errors"' in body
    assert f'id="{field}"' in body
    assert not Case.objects.exists()


@pytest.mark.parametrize("name", ["category", "description", "contact", "lat"])
def test_a_nul_byte_anywhere_is_a_bad_request_not_a_500(client, world, name):
    response = _post(client, world, **{name: "x\x00y"})
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_a_point_outside_every_grid_is_refused_at_the_map(client, world):
    response = _post(client, world, lat="10.0", lng="10.0")
    assert response.status_code == 400
    assert 'id="location-error"' in response.content.decode()


def test_wrong_photo_types_and_too_many_photos_are_refused(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("x.jpg", b"<html>not an image</html>", content_type="image/jpeg")
    response = _post(client, world, photos=fake)
    assert response.status_code == 400
    assert 'id="id_photos_error"' in response.content.decode()
    assert 'class="hint hint-warn"' in response.content.decode()  # "choose the photos again"
    four = [png_upload(f"p{i}.png") for i in range(4)]
    response = _post(client, world, photos=four)
    assert response.status_code == 400
    assert 'id="id_photos_error"' in response.content.decode()
    assert not Case.objects.exists()


def test_a_filled_honeypot_is_refused(client, world):
    response = _post(client, world, website="http://spam.example")
    assert response.status_code == 400
    assert not Case.objects.exists()


@pytest.mark.parametrize("proof", [{"pow_nonce": ""}, {"pow_challenge": "forged:abc"}, {"pow_nonce": "x1"}])
def test_a_missing_or_invalid_proof_is_refused(client, world, proof):
    response = _post(client, world, **proof)
    assert response.status_code == 400
    assert "anti-spam" in response.content.decode() or "防" in response.content.decode()
    assert not Case.objects.exists()


def test_the_eleventh_report_from_one_address_is_throttled(client, world, settings):
    settings.PUBLIC_THROTTLES = "report=10/h,support=30/h"
    for _ in range(10):
        _sent_case(_post(client, world))
    response = _post(client, world)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "try again in" in response.content.decode() or "分钟" in response.content.decode()
    assert Case.objects.count() == 10


def test_the_form_preselects_a_grid_from_the_link(client, world):
    response = client.get(reverse("public-report"), {"grid": world.g1.code})
    assert response.status_code == 200
    body = response.content.decode()
    assert world.g1.name in body
    lat, lng = centre(world.g1)
    assert f'value="{round(lat, 6)}"' in body
    assert client.get(reverse("public-report"), {"grid": "x" * 500}).status_code == 200
    assert client.get(reverse("public-report"), {"grid": "x\x00"}).status_code == 400  # the middleware's


def test_the_report_page_shows_no_other_reporters_names_or_contacts(client, world):
    _sent_case(_post(client, world, name="李秘密", contact="13900001111", wants_updates="on"))
    client.cookies.clear()
    lat, lng = centre(world.g1)
    for path in (
        reverse("public-report"),
        f"{reverse('public-report')}?lat={lat}&lng={lng}",
        f"{reverse('public-report-nearby')}?lat={lat}&lng={lng}",
        f"{reverse('public-report-where')}?lat={lat}&lng={lng}",
    ):
        body = client.get(path).content.decode()
        assert "李秘密" not in body and "13900001111" not in body, path


def test_the_sent_page_needs_the_signed_token(client, world):
    case = report(world)
    assert client.get(reverse("public-report-sent", kwargs={"token": "123"})).status_code == 404
    forged = signing.dumps(case.pk, salt="another")
    assert client.get(reverse("public-report-sent", kwargs={"token": forged})).status_code == 404
    good = reporting.sent_token(case)
    assert client.get(reverse("public-report-sent", kwargs={"token": good})).status_code == 200


def test_the_sent_page_of_a_hidden_case_says_it_is_not_public(client, world):
    case = report(world)
    Case.objects.filter(pk=case.pk).update(is_public=False)
    body = client.get(reverse("public-report-sent", kwargs={"token": reporting.sent_token(case)})).content
    assert reverse("public-case", kwargs={"number": case.number}).encode() not in body


def test_the_challenge_is_fresh_and_never_cached(client, db):
    response = client.get(reverse("public-challenge"))
    assert response.status_code == 200
    assert set(response.json()) == {"challenge", "bits"}
    assert response["Cache-Control"] == "no-store"
    assert client.get(reverse("public-challenge")).json()["challenge"] != response.json()["challenge"]


# --- where --------------------------------------------------------------------------------------------------


def test_where_names_the_grid_and_its_administrators_and_nothing_else_of_them(client, world):
    world.gridadmin.first_name, world.gridadmin.last_name = "三", "张"
    world.gridadmin.email = "zhang.private@example.com"
    world.gridadmin.save()
    GridAssignment.objects.filter(grid=world.g1, user=world.gridadmin).update(work_phone="0791-8888")
    lat, lng = centre(world.g1)
    response = client.get(reverse("public-report-where"), {"lat": lat, "lng": lng})
    assert response.status_code == 200
    data = response.json()
    assert data["inside"] is True
    assert data["grid"]["code"] == world.g1.code and data["grid"]["name"] == world.g1.name
    assert {"name": "张三", "work_phone": "0791-8888"} in data["administrators"]
    text = json.dumps(data, ensure_ascii=False)
    assert "zhang.private@example.com" not in text
    assert world.gridadmin.username not in text
    assert all(set(admin) == {"name", "work_phone"} for admin in data["administrators"])


@pytest.mark.parametrize(
    "query", [{}, {"lat": "x", "lng": "1"}, {"lat": "91", "lng": "1"}, {"lat": "inf", "lng": "1"}]
)
def test_where_refuses_a_bad_point_with_a_message(client, db, query):
    response = client.get(reverse("public-report-where"), query)
    assert response.status_code == 400
    assert response.json()["error"]["message"]


def test_where_outside_the_jurisdiction_says_so(client, world):
    response = client.get(reverse("public-report-where"), {"lat": "10", "lng": "10"})
    assert response.status_code == 200
    assert response.json()["inside"] is False and response.json()["message"]


# --- nearby -------------------------------------------------------------------------------------------------


def test_nearby_lists_only_public_open_cases_and_no_reporter_data(client, world):
    shown = report(world, description="公开的垃圾堆", reporter_name="赵报告", reporter_contact="13911112222")
    hidden = report(world, description="不公开的秘密描述")
    Case.objects.filter(pk=hidden.pk).update(is_public=False)
    closed = drive(world, CaseState.CLOSED, report(world, description="已经办结的案件"))
    lat, lng = centre(world.g1)
    response = client.get(
        reverse("public-report-nearby"), {"lat": lat, "lng": lng, "category": world.cats.waste.code}
    )
    assert response.status_code == 200
    numbers = [row["number"] for row in response.json()["cases"]]
    assert numbers == [shown.number]
    text = response.content.decode("unicode_escape")
    assert "不公开的秘密描述" not in text and "已经办结的案件" not in text
    assert "赵报告" not in text and "13911112222" not in text
    row = response.json()["cases"][0]
    assert row["url"] == reverse("public-case", kwargs={"number": shown.number})
    assert row["support_url"] == reverse("public-case-support", kwargs={"number": shown.number})
    assert row["metres"] == 0 and row["supporters"] == 0
    assert closed.number not in numbers and hidden.number not in numbers


def test_nearby_filters_by_category_when_given(client, world):
    waste = report(world)
    ads = report(world, category=world.cats.ads)
    lat, lng = centre(world.g1)
    url = reverse("public-report-nearby")
    only_ads = client.get(url, {"lat": lat, "lng": lng, "category": world.cats.ads.code}).json()["cases"]
    assert [row["number"] for row in only_ads] == [ads.number]
    every = client.get(url, {"lat": lat, "lng": lng}).json()["cases"]
    assert {row["number"] for row in every} == {waste.number, ads.number}
    assert client.get(url, {"lat": lat, "lng": lng, "category": "nope"}).status_code == 400


def test_nearby_reads_a_bounded_number_of_queries(client, world, django_assert_max_num_queries):
    for _ in range(15):
        report(world)
    lat, lng = centre(world.g1)
    with django_assert_max_num_queries(3):
        response = client.get(reverse("public-report-nearby"), {"lat": lat, "lng": lng})
    assert len(response.json()["cases"]) == reporting.NEARBY_SHOWN


# --- me too -------------------------------------------------------------------------------------------------


def _support(client, case, **data):
    return client.post(
        reverse("public-case-support", kwargs={"number": case.number}),
        {**guard_fields(), **data},
        HTTP_ACCEPT="application/json",
    )


def test_me_too_counts_once_per_browser(client, world):
    case = report(world)
    first = _support(client, case)
    assert first.status_code == 200, first.content
    assert first.json()["supporters"] == 1
    assert "gm_supporter" in first.cookies
    again = _support(client, case)
    assert again.status_code == 400
    assert again.json()["error"]["message"]
    case.refresh_from_db()
    assert case.supporter_count == 1
    other_browser = client.__class__()
    assert _support(other_browser, case).status_code == 200
    case.refresh_from_db()
    assert case.supporter_count == 2


def test_me_too_counts_once_per_account(client, world):
    case = report(world)
    client.force_login(world.resident)
    assert _support(client, case).status_code == 200
    client.cookies.pop("gm_supporter")  # a new browser, the same account
    client.force_login(world.resident)
    assert _support(client, case).status_code == 400
    assert CaseSupport.objects.get(case=case).user == world.resident


def test_me_too_counts_once_per_contact_and_the_supporter_follows(client, world):
    case = report(world)
    assert _support(client, case, contact="a@example.com").status_code == 200
    assert _support(client.__class__(), case, contact="a@example.com").status_code == 400
    follower = Follower.objects.get(case=case)
    assert follower.kind == Follower.Kind.SUPPORTER
    assert decrypt(follower.address_encrypted) == "a@example.com"


def test_supports_raise_the_priority_by_the_rule(client, world, settings):
    settings.SUPPORT_PRIORITY_RULE = "2:2,1:3"
    case = report(world)
    assert case.priority == 3
    seen = []
    for _ in range(3):
        assert _support(client.__class__(), case).status_code == 200
        case.refresh_from_db()
        seen.append(case.priority)
    assert seen == [3, 2, 1]


def test_me_too_on_a_hidden_case_is_not_found_and_on_a_closed_one_refused(client, world):
    hidden = report(world)
    Case.objects.filter(pk=hidden.pk).update(is_public=False)
    assert _support(client, hidden).status_code == 404
    closed = drive(world, CaseState.CLOSED, report(world))
    response = _support(client, closed)
    assert response.status_code == 409
    assert not CaseSupport.objects.exists()


def test_me_too_from_a_plain_form_goes_back_to_the_case_page(client, world):
    case = report(world)
    response = client.post(reverse("public-case-support", kwargs={"number": case.number}), guard_fields())
    assert response.status_code == 303
    assert response["Location"].startswith(reverse("public-case", kwargs={"number": case.number}))
    page = client.get(response["Location"])
    assert page.status_code == 200
    refused = client.post(reverse("public-case-support", kwargs={"number": case.number}), guard_fields())
    assert refused.status_code == 400
    assert "public-case-support" not in refused.content.decode()  # a page, not a debug page
    assert case.number in refused.content.decode()


def test_me_too_without_a_proof_or_with_a_honeypot_is_refused(client, world):
    case = report(world)
    url = reverse("public-case-support", kwargs={"number": case.number})
    assert client.post(url, {}, HTTP_ACCEPT="application/json").status_code == 400
    assert (
        client.post(url, {**guard_fields(), "website": "x"}, HTTP_ACCEPT="application/json").status_code
        == 400
    )
    assert client.post(url, {**guard_fields(), "contact": "\x00" * 500}).status_code == 400
    case.refresh_from_db()
    assert case.supporter_count == 0


def test_me_too_is_throttled(client, world, settings):
    settings.PUBLIC_THROTTLES = "report=10/h,support=2/h"
    case = report(world)
    other = report(world)
    third = report(world)
    assert _support(client, case).status_code == 200
    assert _support(client, other).status_code == 200
    response = _support(client, third)
    assert response.status_code == 429
    assert response["Retry-After"]


def test_the_case_page_shows_the_supporter_count_and_the_me_too_form(client, world):
    case = report(world)
    Case.objects.filter(pk=case.pk).update(supporter_count=7)
    body = client.get(reverse("public-case", kwargs={"number": case.number})).content.decode()
    assert "data-supporters>7<" in body
    assert reverse("public-case-support", kwargs={"number": case.number}) in body
