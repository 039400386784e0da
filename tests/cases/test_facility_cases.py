"""A case that names a city facility (部件): where it is, its grid and category come from the facility, the
facility's state follows the case while it is open, and every way in (service, report page, API) keeps the
reporter to the facilities they may see."""

import pytest
from django.urls import reverse

from cases import services
from cases.models import Case, CaseState
from gridmgmt import tasking
from gridmgmt.errors import InvalidInput, NotAllowed
from places.models import Facility

from ..factories import centre
from ..places import factories as place_factories
from .helpers import drive


@pytest.fixture
def cover(world):
    """A water-supply manhole cover in grid 1, maintained by the roads department; its class reports as
    the test taxonomy's "damaged manhole cover", whose open case says the cover is missing."""
    klass = place_factories.facility_class("0101")
    klass.case_category_code = world.cats.manhole.code
    klass.save(update_fields=["case_category_code"])
    world.cats.manhole.facility_state = Facility.State.MISSING
    world.cats.manhole.save(update_fields=["facility_state"])
    lat, lng = centre(world.g1)
    return place_factories.facility(
        world.g1, lat=lat + 0.001, lng=lng + 0.001, address="八一大道 101 号旁", department=world.roads
    )


def _state(facility) -> str:
    return Facility.objects.get(pk=facility.pk).state


def report(world, *, facility, category=None, actor=None, source="patrol", **where) -> Case:
    """A report on `facility` through the service (by the grid administrator, standing in grid 1 unless
    told); the category is the facility's unless one is given. Nothing is published."""
    lat, lng = centre(world.g1)
    with tasking.suppressed():
        return services.case_report(
            actor=actor or world.gridadmin,
            source=source,
            lat=where.get("lat", lat),
            lng=where.get("lng", lng),
            category=category,
            description=where.get("description", "井盖缺失"),
            facility=facility,
        )


# --- the service ---


def test_a_case_on_a_facility_takes_its_point_grid_and_category(world, cover):
    lat, lng = centre(world.g2)  # the reporter stands elsewhere: the facility decides

    case = report(world, lat=lat, lng=lng, category=None, facility=cover, description="井盖不见了")

    assert (case.lat, case.lng) == (cover.lat, cover.lng)
    assert case.grid == world.g1
    assert case.category == world.cats.manhole
    assert case.facility == cover
    assert case.address == "八一大道 101 号旁"
    assert case.events.get().data["facility"] == cover.code


def test_a_category_the_reporter_chose_is_kept(world, cover):
    case = report(world, category=world.cats.waste, facility=cover)

    assert case.category == world.cats.waste


def test_a_facility_class_without_a_case_category_asks_for_one(world, cover):
    klass = cover.facility_class
    klass.case_category_code = ""
    klass.save(update_fields=["case_category_code"])

    with pytest.raises(InvalidInput) as refused:
        report(world, category=None, facility=cover)

    assert refused.value.field == "category"


def test_a_grid_administrator_cannot_name_another_grids_facility(world):
    lat, lng = centre(world.g3)
    elsewhere = place_factories.facility(world.g3, lat=lat, lng=lng)

    with pytest.raises(NotAllowed) as refused:
        report(world, actor=world.gridadmin, category=world.cats.manhole, facility=elsewhere)

    assert refused.value.field == "facility"
    assert elsewhere.code in refused.value.message
    assert not Case.objects.exists()


def test_a_resident_names_a_facility_by_the_code_printed_on_it(world, cover):
    case = report(world, actor=world.resident, source="resident", category=None, facility=cover)

    assert case.facility == cover


def test_a_facility_code_is_read_as_people_type_it(world, cover):
    spaced = " ".join(cover.code[i : i + 4] for i in range(0, 16, 4))

    assert services.facility_by_code(spaced) == cover


@pytest.mark.parametrize(
    ("code", "says"),
    [("", "a facility code is required"), ("12345", "16 digits"), ("3601020101999999", "no facility")],
)
def test_a_bad_facility_code_is_refused_on_the_facility_field(world, cover, code, says):
    with pytest.raises(InvalidInput) as refused:
        services.facility_by_code(code)

    assert refused.value.field == "facility"
    assert says in refused.value.message


# --- the facility's state follows its open cases ---


def test_a_report_marks_the_facility_as_the_category_says(world, cover):
    report(world, category=None, facility=cover)

    assert _state(cover) == Facility.State.MISSING


def test_closing_the_case_returns_the_facility_to_its_surveyed_state(
    world, cover, django_capture_on_commit_callbacks
):
    case = report(world, category=None, facility=cover)

    with django_capture_on_commit_callbacks(execute=True):
        drive(world, CaseState.CLOSED, case)

    assert _state(cover) == Facility.State.INTACT


def test_rejecting_the_case_returns_the_facility_too(world, cover, django_capture_on_commit_callbacks):
    case = report(world, category=None, facility=cover)

    with django_capture_on_commit_callbacks(execute=True):
        drive(world, CaseState.REJECTED, case)

    assert _state(cover) == Facility.State.INTACT


def test_the_facility_stays_marked_while_another_case_on_it_is_open(
    world, cover, django_capture_on_commit_callbacks
):
    first = report(world, category=None, facility=cover)
    report(world, category=None, facility=cover, description="井盖还是没有")

    with django_capture_on_commit_callbacks(execute=True):
        drive(world, CaseState.REJECTED, first)

    assert _state(cover) == Facility.State.MISSING


def test_a_case_still_open_leaves_the_facility_marked(world, cover, django_capture_on_commit_callbacks):
    case = report(world, category=None, facility=cover)

    with django_capture_on_commit_callbacks(execute=True):
        drive(world, CaseState.RESOLVED, case)

    assert _state(cover) == Facility.State.MISSING


def test_refiling_under_another_category_changes_what_the_facility_shows(world, cover):
    case = report(world, category=None, facility=cover)

    services.case_file(case=case, actor=world.dispatcher, category=world.cats.waste)

    assert _state(cover) == Facility.State.DAMAGED  # the waste category's default


# --- the report page ---


def _post(client, world, **fields):
    lat, lng = centre(world.g1)
    data = {"lat": lat, "lng": lng, "category": "", "description": "井盖缺失"} | fields
    return client.post(reverse("case-report"), data)


def test_the_report_page_prefills_a_facility_from_the_link(client, world, cover):
    client.force_login(world.gridadmin)

    page = client.get(reverse("case-report"), {"facility": cover.code})

    assert page.status_code == 200
    html = page.content.decode()
    assert f'value="{cover.code}"' in html
    assert f'value="{cover.lat:.6f}"' in html  # the pin starts on the facility
    assert f'<option value="{world.cats.manhole.pk}" selected' in html


def test_the_report_page_sends_a_case_on_a_facility(client, world, cover):
    client.force_login(world.gridadmin)

    response = _post(client, world, facility=cover.code)

    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.facility, case.category, case.lat) == (cover, world.cats.manhole, cover.lat)


def test_the_report_page_still_asks_for_a_category_without_a_facility(client, world):
    client.force_login(world.gridadmin)

    response = _post(client, world)

    assert response.status_code == 400
    assert 'href="#id_category"' in response.content.decode()


def test_the_report_page_says_which_facility_is_not_yours(client, world):
    lat, lng = centre(world.g3)
    elsewhere = place_factories.facility(world.g3, lat=lat, lng=lng)
    client.force_login(world.gridadmin)

    response = _post(client, world, facility=elsewhere.code, category=world.cats.manhole.pk)

    assert response.status_code == 403
    html = response.content.decode()
    assert 'href="#id_facility"' in html and elsewhere.code in html
    assert not Case.objects.exists()


def test_the_report_page_refuses_an_unknown_facility_code(client, world, cover):
    client.force_login(world.gridadmin)

    response = _post(client, world, facility="3601020101999999")

    assert response.status_code == 400
    assert "3601020101999999" in response.content.decode()


# --- nearby facilities for the report map ---


def test_the_report_map_lists_facilities_near_the_point(client, world, cover):
    far_lat, far_lng = centre(world.g2)
    place_factories.facility(world.g2, lat=far_lat, lng=far_lng)
    client.force_login(world.gridadmin)

    near = client.get(reverse("case-report-facilities"), {"lat": cover.lat, "lng": cover.lng + 0.001})

    assert near.status_code == 200
    features = near.json()["features"]
    assert [f["properties"]["code"] for f in features] == [cover.code]
    assert features[0]["geometry"]["coordinates"] == [cover.lng, cover.lat]
    assert features[0]["properties"]["category"] == world.cats.manhole.pk


def test_the_report_map_shows_no_facility_outside_the_readers_scope(client, world, cover):
    client.force_login(world.other_gridadmin)

    near = client.get(reverse("case-report-facilities"), {"lat": cover.lat, "lng": cover.lng})

    assert near.json()["features"] == []


def test_the_nearby_facilities_need_a_point(client, world):
    client.force_login(world.gridadmin)

    assert client.get(reverse("case-report-facilities"), {"lat": "north"}).status_code == 400


# --- the API ---


def test_the_api_reports_a_case_on_a_facility(client, world, cover):
    client.force_login(world.gridadmin)

    response = client.post(
        reverse("api-cases"),
        {"facility": cover.code, "description": "井盖缺失"},
        content_type="application/json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["facility"] == cover.code
    assert body["category"]["code"] == world.cats.manhole.code
    assert (body["lat"], body["lng"]) == (cover.lat, cover.lng)


def test_the_api_still_needs_a_place_without_a_facility(client, world):
    client.force_login(world.gridadmin)

    response = client.post(
        reverse("api-cases"),
        {"category": world.cats.waste.code, "description": "垃圾"},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "lat" in str(response.json())


def test_the_api_refuses_another_grids_facility(client, world):
    lat, lng = centre(world.g3)
    elsewhere = place_factories.facility(world.g3, lat=lat, lng=lng)
    client.force_login(world.gridadmin)

    response = client.post(
        reverse("api-cases"),
        {"facility": elsewhere.code, "category": world.cats.manhole.code, "description": "井盖缺失"},
        content_type="application/json",
    )

    assert response.status_code == 403
    assert response.json()["error"]["field"] == "facility"


def test_the_api_says_no_facility_for_a_case_without_one(client, world):
    lat, lng = centre(world.g1)
    client.force_login(world.gridadmin)

    response = client.post(
        reverse("api-cases"),
        {"lat": lat, "lng": lng, "category": world.cats.waste.code, "description": "垃圾"},
        content_type="application/json",
    )

    assert response.status_code == 201
    assert response.json()["facility"] is None
    number = response.json()["number"]
    assert client.get(reverse("api-case-detail", args=[number])).json()["facility"] is None


def test_the_case_page_names_the_facility_and_links_it_for_those_who_may_open_it(client, world):
    from django.urls import reverse

    from places.models import FacilityClass

    cover = place_factories.facility(world.g1, code="0101", department=world.sanitation)
    case = services.case_report(
        actor=world.gridadmin,
        source="patrol",
        lat=cover.lat,
        lng=cover.lng,
        category=world.cats.manhole,
        description="井盖缺失",
        facility=cover,
    )
    link = reverse("places-facility-detail", args=[cover.pk])
    client.force_login(world.gridadmin)
    page = client.get(reverse("case-detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    klass = FacilityClass.objects.get(code="0101")
    assert cover.code in page and klass.name_en in page and link in page
    client.force_login(world.dispatcher)
    page = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert cover.code in page and klass.name in page and link in page


def test_a_resident_reads_the_facility_on_their_report_without_a_link_into_the_base_data(client, world):
    cover = place_factories.facility(world.g1, code="0101")
    case = services.case_report(
        actor=world.resident,
        source="resident",
        lat=cover.lat,
        lng=cover.lng,
        category=world.cats.manhole,
        description="井盖缺失",
        facility=cover,
    )
    client.force_login(world.resident)
    page = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert cover.code in page and reverse("places-facility-detail", args=[cover.pk]) not in page
