"""GET requests: the spec's filters and window, the page/radius/updated_after extensions, how our states
read as open/closed with status_notes, agency_responsible and expected_datetime; a constant query count."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services as case_services
from cases.models import Case
from gridmgmt import clock
from grids import services as grid_services

from ..cases.helpers import evidence
from ..factories import ORIGIN_LAT, ORIGIN_LNG, centre, square
from .conftest import json_of, url

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


def report(world, *, grid=None, at=NOW, category=None, description="垃圾", photos=()) -> Case:
    lat, lng = centre(grid or world.g1)
    with clock.frozen_at(at):
        return case_services.case_report(
            actor=world.dispatcher,
            source=Case.Source.PATROL,
            lat=lat,
            lng=lng,
            category=category or world.cats.waste,
            description=description,
            photos=photos,
        )


def search(client, **query) -> list[dict]:
    with clock.frozen_at(NOW + dt.timedelta(minutes=1)):
        response = client.get(url("requests.json"), query)
    assert response.status_code == 200, response.content
    return json_of(response)


def ids(items) -> list[str]:
    return [item["service_request_id"] for item in items]


def test_it_lists_the_most_recent_first(client, world):
    first = report(world, at=NOW - dt.timedelta(hours=2))
    second = report(world, at=NOW - dt.timedelta(hours=1))
    assert ids(search(client)) == [second.number, first.number]


def test_it_defaults_to_the_last_90_days(client, world):
    old = report(world, at=NOW - dt.timedelta(days=91))
    recent = report(world, at=NOW - dt.timedelta(days=89))
    assert ids(search(client)) == [recent.number]
    window = {"start_date": "2026-08-01T00:00:00+08:00", "end_date": "2026-08-27T00:00:00+08:00"}
    assert ids(search(client, **window)) == [old.number]


def test_a_start_date_alone_covers_90_days_from_it(client, world):
    early = report(world, at=NOW - dt.timedelta(days=200))
    later = report(world, at=NOW - dt.timedelta(days=100))
    start = (NOW - dt.timedelta(days=201)).isoformat()
    assert ids(search(client, start_date=start)) == [early.number]
    assert later.number not in ids(search(client, start_date=start))


def test_an_end_date_alone_covers_90_days_up_to_it(client, world):
    report(world, at=NOW - dt.timedelta(days=200))
    later = report(world, at=NOW - dt.timedelta(days=100))
    assert ids(search(client, end_date=(NOW - dt.timedelta(days=99)).isoformat())) == [later.number]


def test_it_filters_by_service_code_and_status(client, world):
    waste = report(world)
    ads = report(world, category=world.cats.ads)
    manhole = report(world, category=world.cats.manhole)
    case_services.case_reject(case=ads, actor=world.dispatcher, reason="无效")
    assert ids(search(client, service_code="0101,0201")) == [manhole.number, waste.number]
    assert set(ids(search(client, status="open"))) == {waste.number, manhole.number}
    assert ids(search(client, status="closed")) == [ads.number]
    assert len(search(client, status="open,closed")) == 3
    assert search(client, service_code="9999") == []


def test_service_request_ids_override_every_other_argument(client, world):
    old = report(world, at=NOW - dt.timedelta(days=300))
    new = report(world)
    found = search(client, service_request_id=f"{old.number}, {new.number},nope", status="closed")
    assert set(ids(found)) == {old.number, new.number}


def test_it_finds_requests_within_a_radius(client, world):
    near = report(world, grid=world.g1)
    far = report(world, grid=world.g4)  # the diagonal grid: ~1.5 km away
    lat, lng = centre(world.g1)
    assert ids(search(client, lat=lat, long=lng, radius=500)) == [near.number]
    assert set(ids(search(client, lat=lat, long=lng, radius=2000))) == {near.number, far.number}
    # Without a radius the default is 1000 m.
    assert ids(search(client, lat=lat, long=lng)) == [near.number]


def test_it_pages(client, world):
    cases = [report(world, at=NOW - dt.timedelta(minutes=i)) for i in range(5)]
    numbers = [c.number for c in cases]
    assert ids(search(client, page_size=2)) == numbers[:2]
    assert ids(search(client, page_size=2, page=2)) == numbers[2:4]
    assert ids(search(client, page_size=2, page=3)) == numbers[4:]
    assert search(client, page_size=2, page=4) == []


def test_updated_after_finds_changes_to_old_requests(client, world):
    old = report(world, at=NOW - dt.timedelta(days=120))
    untouched = report(world, at=NOW - dt.timedelta(days=119))
    with clock.frozen_at(NOW - dt.timedelta(hours=1)):
        case_services.case_file(case=old, actor=world.dispatcher)
    found = ids(search(client, updated_after=(NOW - dt.timedelta(days=1)).isoformat()))
    assert found == [old.number]
    assert untouched.number not in found


def test_a_district_jurisdiction_id_bounds_the_search(client, world):
    ours = report(world)
    grid_services.jurisdiction_ensure(code="360103", name="西湖区")
    grid_services.jurisdiction_ensure(code="360103001", name="街道")
    grid_services.jurisdiction_ensure(code="360103001001", name="社区")
    other_grid = grid_services.grid_save(
        code="36010300100101", name="西湖网格", boundary=square(ORIGIN_LAT - 0.02, ORIGIN_LNG)
    )
    theirs = report(world, grid=other_grid)
    assert set(ids(search(client))) == {ours.number, theirs.number}
    assert ids(search(client, jurisdiction_id="360102")) == [ours.number]
    assert ids(search(client, jurisdiction_id="360103")) == [theirs.number]
    assert client.get(url(f"requests/{theirs.number}.json"), {"jurisdiction_id": "360102"}).status_code == 404


# --- how a case reads ---


def item_of(client, case) -> dict:
    with clock.frozen_at(NOW + dt.timedelta(hours=3)):
        (item,) = json_of(client.get(url(f"requests/{case.number}.json")))
    return item


def w3c(moment) -> str:
    return moment.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat(timespec="seconds")


def test_a_new_report_is_open_and_expected_after_all_stage_limits(client, world):
    case = report(world)
    item = item_of(client, case)
    assert item["status"] == "open"
    assert item["status_notes"] == "reported; waiting to be filed by the dispatch center"
    assert item["agency_responsible"] is None
    # waste: filing 30 + dispatch 30 + handling 240 minutes
    assert item["expected_datetime"] == w3c(NOW + dt.timedelta(minutes=300))
    assert item["requested_datetime"] == "2026-11-25T18:00:00+08:00"
    assert item["updated_datetime"] == "2026-11-25T18:00:00+08:00"
    assert "within 30 minutes" in item["service_notice"] and "4 hours" in item["service_notice"]


def test_a_filed_case_is_expected_after_its_dispatch_deadline_plus_handling(client, world):
    case = report(world)
    with clock.frozen_at(NOW + dt.timedelta(minutes=10)):
        case = case_services.case_file(case=case, actor=world.dispatcher)
    item = item_of(client, case)
    assert item["status_notes"] == "filed; waiting to be dispatched to a department"
    assert item["expected_datetime"] == w3c(NOW + dt.timedelta(minutes=10 + 30 + 240))
    assert item["updated_datetime"] == w3c(NOW + dt.timedelta(minutes=10))


def test_a_dispatched_case_names_its_department_and_its_handling_deadline(client, world):
    case = report(world)
    with clock.frozen_at(NOW + dt.timedelta(minutes=10)):
        case = case_services.case_file(case=case, actor=world.dispatcher)
        case = case_services.case_dispatch(case=case, actor=world.dispatcher, department=world.sanitation)
    item = item_of(client, case)
    assert item["status"] == "open"
    assert item["status_notes"] == "dispatched to 环卫局"
    assert item["agency_responsible"] == "环卫局"
    assert item["expected_datetime"] == w3c(case.deadline_at)
    assert item["expected_datetime"] == w3c(NOW + dt.timedelta(minutes=10 + 240))

    with clock.frozen_at(NOW + dt.timedelta(minutes=20)):
        case = case_services.case_accept(case=case, actor=world.staff)
    assert item_of(client, case)["status_notes"] == "being handled by 环卫局"
    with clock.frozen_at(NOW + dt.timedelta(minutes=30)):
        case = case_services.case_suspend(case=case, actor=world.dispatcher, reason="等待产权单位")
    item = item_of(client, case)
    assert item["status_notes"] == "being handled by 环卫局; suspended (挂账) for now"
    assert item["expected_datetime"] is None


def test_a_resolved_case_is_expected_to_close_at_its_verification_deadline(client, world):
    case = report(world)
    case = case_services.case_file(case=case, actor=world.dispatcher)
    case = case_services.case_dispatch(case=case, actor=world.dispatcher, department=world.sanitation)
    case = case_services.case_accept(case=case, actor=world.staff)
    case = case_services.case_resolve(case=case, actor=world.staff, notes="已清运", **evidence(case))
    item = item_of(client, case)
    assert item["status"] == "open"
    assert item["status_notes"] == "fixed by 环卫局; waiting for on-site verification"
    assert item["expected_datetime"] == w3c(case.deadline_at)

    with clock.frozen_at(NOW + dt.timedelta(hours=2)):
        case = case_services.case_verify_pass(case=case, actor=world.gridadmin, **evidence(case))
    item = item_of(client, case)
    assert item["status"] == "closed"
    assert item["status_notes"] == "closed: the fix was verified on site"
    assert item["updated_datetime"] == w3c(NOW + dt.timedelta(hours=2))
    assert item["expected_datetime"] is None


def test_a_returned_case_says_so(client, world):
    case = report(world)
    case = case_services.case_file(case=case, actor=world.dispatcher)
    case = case_services.case_dispatch(case=case, actor=world.dispatcher, department=world.sanitation)
    case = case_services.case_return(case=case, actor=world.staff, reason="不归我们管")
    item = item_of(client, case)
    assert item["status"] == "open"
    assert item["status_notes"].startswith("returned to the dispatch center")
    assert item["agency_responsible"] is None


def test_a_rejected_case_is_closed_without_the_reason_staff_typed(client, world):
    case = report(world)
    case = case_services.case_reject(case=case, actor=world.dispatcher, reason="照片与描述不符")
    item = item_of(client, case)
    assert item["status"] == "closed"
    assert item["status_notes"] == "rejected"


def test_a_duplicate_names_the_surviving_case(client, world):
    original = report(world, at=NOW - dt.timedelta(hours=1))
    copy = report(world)
    copy = case_services.case_reject(
        case=copy, actor=world.dispatcher, reason="重复上报", duplicate_of=original
    )
    assert item_of(client, copy)["status_notes"] == f"rejected as a duplicate of {original.number}"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_list_costs_the_same_queries_for_5_and_25_requests(client, world, fmt):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    def photo():
        buffer = io.BytesIO()
        Image.new("RGB", (2, 2)).save(buffer, format="PNG")
        return SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png")

    def make(count: int, offset: int):
        for i in range(count):
            case = report(world, at=NOW - dt.timedelta(minutes=offset + i), photos=[photo()] if i % 2 else [])
            if i % 3 == 0:
                case_services.case_reject(case=case, actor=world.dispatcher, reason="无效")
            elif i % 3 == 1:
                case = case_services.case_file(case=case, actor=world.dispatcher)
                case_services.case_dispatch(case=case, actor=world.dispatcher, department=world.sanitation)

    def count_queries() -> int:
        with clock.frozen_at(NOW + dt.timedelta(minutes=1)), CaptureQueriesContext(connection) as queries:
            response = client.get(url(f"requests.{fmt}"), {"jurisdiction_id": "360102"})
        assert response.status_code == 200
        return len(queries)

    make(5, 0)
    five = count_queries()
    make(20, 100)
    twenty_five = count_queries()
    assert five == twenty_five
    assert twenty_five <= 4  # jurisdiction, cases (with their joins), photos, rejection events
