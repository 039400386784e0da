"""City facility pages: who sees which (department staff their department's), the list's filters, the page
of one facility with its cases, and the form's refusals (all at once, typed values kept)."""

import datetime as dt
import io
import re

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from cases.models import Case, CaseState
from places import services
from places.models import Facility
from tests.factories import centre

from . import factories

pytestmark = pytest.mark.django_db

LIST = reverse("places-facility-list")
CREATE = reverse("places-facility-create")


def _as(client, user):
    client.force_login(user)
    return client


def _summary(page: str) -> str:
    match = re.search(r'<div class="error error-summary" role="alert"[^>]*>(.*?)</div>', page, re.S)
    assert match, "no error summary at the top of the page"
    return match[1]


def _codes(response) -> set[str]:
    assert response.status_code == 200
    return {f.code for f in response.context["page"]}


def case_on(facility, world, *, number: str, state=CaseState.FILED, days_ago: int = 1) -> Case:
    now = timezone.now()
    return Case.objects.create(
        number=number,
        source=Case.Source.PATROL,
        lat=facility.lat,
        lng=facility.lng,
        grid=facility.grid,
        facility=facility,
        category=world.cats.manhole,
        description="井盖破损",
        state=state,
        reported_at=now - dt.timedelta(days=days_ago),
        updated_at=now,
    )


def form_data(grid=None, **overrides) -> dict:
    data = {
        "facility_class": "0101",
        "lat": "",
        "lng": "",
        "name": "八一大道东侧井盖",
        "address": "八一大道 123 号旁",
        "owner": "南昌水业集团",
        "department": "",
        "state": "intact",
    }
    if grid is not None:
        data["lat"], data["lng"] = (f"{v:.6f}" for v in centre(grid))
    data.update(overrides)
    return data


@pytest.fixture
def spread(world):
    """Facilities: g1 kept by sanitation, g2 kept by roads, g3 with no department."""
    return {
        "g1": factories.facility(world.g1, department=world.sanitation),
        "g2": factories.facility(world.g2, code="0301", department=world.roads),
        "g3": factories.facility(world.g3),
    }


# --- who sees what ---------------------------------------------------------------------------------------


def test_a_grid_administrator_lists_their_grids_facilities(client, world, spread):
    codes = _codes(_as(client, world.gridadmin).get(LIST))
    assert codes == {spread["g1"].code, spread["g2"].code}


@pytest.mark.parametrize("persona", ["dispatcher", "supervisor"])
def test_dispatchers_and_supervisors_read_all_but_edit_none(client, world, spread, persona):
    c = _as(client, getattr(world, persona))
    assert _codes(c.get(LIST)) == {f.code for f in spread.values()}
    assert c.get(reverse("places-facility-detail", args=[spread["g3"].pk])).status_code == 200
    assert c.get(CREATE).status_code == 403
    assert c.get(reverse("places-facility-edit", args=[spread["g3"].pk])).status_code == 403


def test_department_staff_see_their_departments_facilities_only(client, world, spread):
    c = _as(client, world.staff)
    assert _codes(c.get(LIST)) == {spread["g1"].code}
    assert c.get(reverse("places-facility-detail", args=[spread["g1"].pk])).status_code == 200
    assert c.get(reverse("places-facility-detail", args=[spread["g2"].pk])).status_code == 404
    assert c.get(reverse("places-facility-detail", args=[spread["g3"].pk])).status_code == 404
    assert c.get(reverse("places-facility-edit", args=[spread["g1"].pk])).status_code == 403
    assert c.get(CREATE).status_code == 403
    # Their grid filter offers the grids their facilities lie in.
    assert _codes(c.get(LIST, {"grid": world.g1.code})) == {spread["g1"].code}


@pytest.mark.parametrize("persona", ["resident", "outsider"])
def test_residents_and_outsiders_are_refused(client, world, spread, persona):
    c = _as(client, getattr(world, persona))
    for url in (LIST, CREATE, reverse("places-facility-detail", args=[spread["g1"].pk])):
        assert c.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    response = client.get(LIST)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_another_grids_administrator_gets_404(client, world, spread):
    c = _as(client, world.other_gridadmin)
    assert c.get(reverse("places-facility-detail", args=[spread["g1"].pk])).status_code == 404
    assert (
        c.post(reverse("places-facility-edit", args=[spread["g1"].pk]), form_data(world.g3)).status_code
        == 404
    )
    assert c.get(LIST, {"grid": world.g1.code}).status_code == 404


# --- the list's filters --------------------------------------------------------------------------------


def test_the_list_filters_by_grid_class_state_department_and_text(client, world, spread):
    services.facility_case_opened(facility_id=spread["g2"].pk, state="missing")
    c = _as(client, world.dispatcher)
    assert _codes(c.get(LIST, {"grid": world.g2.code})) == {spread["g2"].code}
    assert _codes(c.get(LIST, {"major": "03"})) == {spread["g2"].code}
    assert _codes(c.get(LIST, {"state": "missing"})) == {spread["g2"].code}
    assert _codes(c.get(LIST, {"department": "sanitation"})) == {spread["g1"].code}
    assert _codes(c.get(LIST, {"q": spread["g3"].code})) == {spread["g3"].code}
    assert _codes(c.get(LIST, {"q": spread["g2"].code[:10]})) == {spread["g2"].code}  # a code prefix


@pytest.mark.parametrize(
    ("query", "named"),
    [({"major": "99"}, "99"), ({"state": "lost"}, "lost"), ({"department": "nope"}, "nope")],
)
def test_an_unknown_filter_value_is_a_400_that_names_it(client, world, spread, query, named):
    response = _as(client, world.dispatcher).get(LIST, query, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert f"{named} is not one of the choices" in response.content.decode()


def test_the_list_costs_the_same_queries_for_3_and_30_rows(client, world, django_assert_max_num_queries):
    c = _as(client, world.gridadmin)
    for _ in range(3):
        factories.facility(world.g1, department=world.sanitation)
    c.get(LIST)
    with django_assert_max_num_queries(12) as three:
        assert len(c.get(LIST).context["page"]) == 3
    for n in range(27):
        factories.facility(world.g2, code="0301" if n % 2 else "0101", department=world.roads)
    with django_assert_max_num_queries(len(three.captured_queries)):
        assert len(c.get(LIST).context["page"]) == 30


# --- one facility ----------------------------------------------------------------------------------------


def test_the_facility_page_lists_its_cases_newest_first(client, world, spread):
    facility = spread["g1"]
    old = case_on(facility, world, number="C-OLD", state=CaseState.CLOSED, days_ago=9)
    new = case_on(facility, world, number="C-NEW", days_ago=1)
    case_on(spread["g2"], world, number="C-ELSEWHERE")
    page = (
        _as(client, world.gridadmin)
        .get(reverse("places-facility-detail", args=[facility.pk]))
        .content.decode()
    )
    assert page.index("C-NEW") < page.index("C-OLD") and "C-ELSEWHERE" not in page
    assert f'href="{reverse("case-detail", args=[new.pk])}"' in page
    assert f'href="{reverse("case-detail", args=[old.pk])}"' in page
    assert f"{reverse('case-report')}?facility={facility.code}" in page


def test_the_facility_page_names_its_class_in_the_page_language(client, world, spread):
    c = _as(client, world.gridadmin)
    url = reverse("places-facility-detail", args=[spread["g1"].pk])
    english = c.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Water-supply manhole cover" in english and "上水井盖" not in english
    chinese = c.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "上水井盖" in chinese and "Water-supply manhole cover" not in chinese


def test_the_page_says_an_open_case_set_the_state(client, world, spread):
    facility = spread["g1"]
    services.facility_case_opened(facility_id=facility.pk, state="damaged")
    url = reverse("places-facility-detail", args=[facility.pk])
    page = _as(client, world.gridadmin).get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "An open case on this facility says so; the survey found it intact" in page


# --- registering and editing ---------------------------------------------------------------------------


def test_a_grid_administrator_registers_a_facility_with_a_generated_code(client, world):
    c = _as(client, world.gridadmin)
    response = c.post(CREATE, form_data(world.g2, department="roads"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    facility = Facility.objects.get()
    assert facility.code.startswith("3601020101") and len(facility.code) == 16
    assert (
        facility.grid == world.g2 and facility.department == world.roads and facility.owner == "南昌水业集团"
    )
    page = c.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Facility {facility.code} saved, in grid" in page and world.g2.name in page


def test_a_bad_class_and_a_missing_point_are_said_together_and_the_input_kept(client, world):
    data = form_data(facility_class="9999", department="nope")
    response = _as(client, world.gridadmin).post(CREATE, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and not Facility.objects.exists()
    page = response.content.decode()
    summary = _summary(page)
    assert "is not a minor facility class" in summary and 'href="#f-facility_class"' in summary
    assert "tap the facility&#x27;s place on the map" in summary and 'href="#f-location"' in summary
    assert "choose a department from the list" in summary
    for typed in ('value="八一大道东侧井盖"', 'value="八一大道 123 号旁"', 'value="南昌水业集团"'):
        assert typed in page, typed


def test_a_point_outside_every_grid_is_refused_and_kept(client, world):
    data = form_data(lat="30.5", lng="114.3")
    response = _as(client, world.gridadmin).post(CREATE, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and not Facility.objects.exists()
    page = response.content.decode()
    assert "no grid contains it" in _summary(page)
    assert 'value="30.5"' in page and 'value="114.3"' in page and 'value="0101" selected' in page


def test_a_point_in_another_administrators_grid_is_refused(client, world):
    response = _as(client, world.gridadmin).post(CREATE, form_data(world.g3), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403 and not Facility.objects.exists()
    assert "you may keep the base data of your own grids only" in response.content.decode()


def test_editing_keeps_the_class_and_sets_the_surveyed_state(client, world, spread):
    facility = spread["g1"]
    c = _as(client, world.gridadmin)
    url = reverse("places-facility-edit", args=[facility.pk])
    assert 'name="facility_class"' not in c.get(url).content.decode()
    data = form_data(world.g1, facility_class="0301", state="damaged", department="roads", name="新名")
    assert c.post(url, data).status_code == 302
    facility.refresh_from_db()
    assert facility.facility_class.code == "0101" and facility.code == spread["g1"].code
    assert (facility.state, facility.surveyed_state) == ("damaged", "damaged")
    assert facility.department == world.roads and facility.name == "新名"


def test_the_photo_is_shown_to_those_who_see_the_facility_only(client, world, spread):
    facility = spread["g1"]
    image = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(image, "PNG")
    facility.photo.save("cover.png", ContentFile(image.getvalue()))
    url = reverse("places-facility-photo", args=[facility.pk])
    page = (
        _as(client, world.staff).get(reverse("places-facility-detail", args=[facility.pk])).content.decode()
    )
    assert f'src="{url}"' in page
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == image.getvalue()
    assert _as(client, world.other_staff).get(url).status_code == 404
    assert (
        _as(client, world.gridadmin).get(reverse("places-facility-photo", args=[spread["g2"].pk])).status_code
        == 404
    )


@pytest.mark.parametrize(
    "odd",
    [
        {"facility_class": "01"},
        {"facility_class": "０１０１", "lat": "x", "lng": "y"},
        {"lat": "nan", "lng": "nan"},
        {"lat": "-1e999", "lng": "115.9"},
        {"name": "井盖\x00"},
        {"owner": "单位" * 60},
        {"state": "exploded"},
    ],
)
def test_odd_input_is_refused_with_400_never_500(client, world, odd):
    response = _as(client, world.gridadmin).post(CREATE, form_data(world.g1, **odd))
    assert response.status_code == 400 and not Facility.objects.exists()


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/png")


def _png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 60, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_facility_is_registered_with_its_photo(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    data = form_data(world.g1, photo=_upload("cover.png", _png_bytes()))
    response = _as(client, world.gridadmin).post(CREATE, data)
    assert response.status_code == 302
    facility = Facility.objects.get()
    assert facility.photo.name.endswith(".png")
    photo = client.get(reverse("places-facility-photo", args=[facility.pk]))
    assert photo.status_code == 200


def test_a_damaged_or_foreign_photo_is_refused_at_its_field_and_nothing_saved(
    client, world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    for upload in (_upload("cover.png", _png_bytes()[:60]), _upload("notes.png", b"%PDF-1.4 not an image")):
        data = form_data(world.g1, photo=upload)
        response = _as(client, world.gridadmin).post(CREATE, data, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400, upload.name
        summary = _summary(response.content.decode())
        assert "not a whole JPEG, PNG or WebP image" in summary and 'href="#f-photo"' in summary
    assert not Facility.objects.exists()
