"""Open311 reads follow the one public decision (Case.is_public): a case that is not public is absent from
GET requests, reads as an unknown id by id and by media; a public one shows what the public may read (the
public description, fixed status phrases) and nothing staff typed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services as case_services
from cases.models import Case, CasePhoto, Category

from ..cases.helpers import png_upload, report
from ..factories import centre
from .conftest import errors_of, json_of, url

ABUSIVE = "隔壁王大爷家门口的垃圾"  # what the reporter wrote: names a neighbour
CLEAN = "路边有垃圾堆放"  # what the dispatch center lets the public read
REASON = "涉及个人隐私"  # typed by the dispatch center when hiding or rejecting


def _hide(world, case: Case, **kwargs) -> Case:
    return case_services.case_publicity_set(
        case=case, actor=world.dispatcher, public=False, reason=REASON, **kwargs
    )


def _list_ids(client, **query) -> list[str]:
    response = client.get(url("requests.json"), query)
    assert response.status_code == 200, response.content
    return [item["service_request_id"] for item in json_of(response)]


def _not_found(response, fmt: str = "json") -> str:
    assert response.status_code == 404
    (error,) = errors_of(response, fmt)
    return error["description"]


def _media_path(case: Case) -> str:
    photo = case.photos.get(kind=CasePhoto.Kind.REPORT)
    return url(f"media/{photo.pk}.jpg")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_hidden_case_reads_exactly_like_an_unknown_id(client, world, fmt):
    case = _hide(world, report(world, description=ABUSIVE))
    hidden = client.get(url(f"requests/{case.number}.{fmt}"))
    unknown = client.get(url(f"requests/X{case.number[1:]}.{fmt}"))
    assert hidden["Content-Type"] == unknown["Content-Type"]
    assert _not_found(hidden, fmt) == f"service_request_id {case.number!r} was not found"
    assert _not_found(unknown, fmt) == f"service_request_id 'X{case.number[1:]}' was not found"
    assert ABUSIVE.encode() not in hidden.content


def test_a_hidden_case_is_absent_from_the_list_and_from_a_search_by_its_id(client, world):
    shown = report(world, description=CLEAN)
    hidden = _hide(world, report(world, description=ABUSIVE))
    assert _list_ids(client) == [shown.number]
    assert _list_ids(client, service_request_id=f"{shown.number},{hidden.number}") == [shown.number]
    assert _list_ids(client, service_request_id=hidden.number) == []


def test_a_case_of_a_private_category_is_absent_until_the_dispatch_center_shows_it(client, world):
    world.cats.waste.publicity = Category.Publicity.PRIVATE
    world.cats.waste.save(update_fields=["publicity"])
    case = report(world, description=ABUSIVE)
    assert not case.is_public
    assert _list_ids(client) == []
    _not_found(client.get(url(f"requests/{case.number}.json")))
    case_services.case_publicity_set(
        case=case, actor=world.dispatcher, public=True, reason="可公开", public_description=CLEAN
    )
    (item,) = json_of(client.get(url(f"requests/{case.number}.json")))
    assert item["description"] == CLEAN


def test_hiding_a_case_takes_it_off_every_read_at_once(client, world):
    case = report(world, description=CLEAN, photos=[png_upload()])
    media = _media_path(case)
    assert _list_ids(client) == [case.number]
    assert client.get(url(f"requests/{case.number}.json")).status_code == 200
    assert client.get(media).status_code == 200
    _hide(world, case)
    assert _list_ids(client) == []
    _not_found(client.get(url(f"requests/{case.number}.json")))
    assert _not_found(client.get(media)) == _not_found(client.get(url("media/999999999.jpg"))).replace(
        "999999999", media.split("/")[-1].removesuffix(".jpg")
    )


def test_a_public_case_shows_its_public_description_and_no_staff_text(client, world):
    case = report(world, description=ABUSIVE)
    case_services.case_publicity_set(
        case=case, actor=world.dispatcher, public=True, reason=REASON, public_description=CLEAN
    )
    case = case_services.case_reject(
        case=Case.objects.get(pk=case.pk), actor=world.dispatcher, reason="照片不符"
    )
    response = client.get(url(f"requests/{case.number}.json"))
    (item,) = json_of(response)
    assert item["description"] == CLEAN
    assert item["status_notes"] == "rejected"
    body = response.content.decode()
    for private in (ABUSIVE, REASON, "照片不符"):
        assert private not in body
    (listed,) = json_of(client.get(url("requests.json"), {"status": "closed"}))
    assert listed == item


def test_without_a_public_description_the_public_reads_the_description(client, world):
    case = report(world, description=CLEAN)
    (item,) = json_of(client.get(url(f"requests/{case.number}.json")))
    assert item["description"] == CLEAN


def test_a_duplicate_of_a_hidden_case_does_not_name_it(client, world):
    original = _hide(world, report(world, description=ABUSIVE))
    copy = report(world, description=CLEAN)
    copy = case_services.case_reject(
        case=copy, actor=world.dispatcher, reason="重复上报", duplicate_of=original
    )
    (item,) = json_of(client.get(url(f"requests/{copy.number}.json")))
    assert item["status_notes"] == "rejected as a duplicate"
    assert original.number not in str(item)


def test_media_is_served_only_for_report_photos_of_public_cases(client, world):
    shown = report(world, description=CLEAN, photos=[png_upload()])
    hidden = _hide(world, report(world, description=ABUSIVE, photos=[png_upload()]))
    (item,) = json_of(client.get(url(f"requests/{shown.number}.json")))
    assert item["media_url"] == "http://testserver" + _media_path(shown)
    assert client.get(_media_path(shown)).status_code == 200
    _not_found(client.get(_media_path(hidden)))
    evidence = CasePhoto.objects.filter(pk=shown.photos.get().pk)
    evidence.update(kind=CasePhoto.Kind.EVIDENCE)
    _not_found(client.get(url(f"media/{evidence.get().pk}.jpg")))


def test_the_token_answers_the_request_id_and_the_token_only(client, world, demo_key):
    lat, lng = centre(world.g1)
    created = client.post(
        url("requests.json"),
        {"api_key": demo_key.key, "service_code": "0101", "lat": lat, "long": lng, "description": ABUSIVE},
    )
    assert created.status_code == 200, created.content
    token = created["X-Open311-Token"]
    (answer,) = json_of(client.get(url(f"tokens/{token}.json")))
    assert answer == {"service_request_id": json_of(created)[0]["service_request_id"], "token": token}


def test_the_list_costs_the_same_queries_with_hidden_cases_among_them(client, world):
    def cost() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("requests.json")).status_code == 200
        return len(queries)

    report(world, description=CLEAN, photos=[png_upload()])
    one = cost()
    for _ in range(4):
        report(world, description=CLEAN, photos=[png_upload()])
        _hide(world, report(world, description=ABUSIVE, photos=[png_upload()]))
    assert len(_list_ids(client)) == 5
    assert cost() == one
