"""The grid administrator's report form: location checked against their grids, duplicates warned about,
photos checked, a receipt with the case number, and every refusal shown next to its field (never a 500)."""

from django.urls import reverse

from cases.models import Case, CasePhoto, CaseState

from ..factories import centre
from .console import HTMX, html, jpeg_with_exif, login
from .helpers import png_upload, report


def _post(client, world, **overrides):
    lat, lng = centre(world.g1)
    data = {
        "lat": lat,
        "lng": lng,
        "category": world.cats.waste.pk,
        "description": "路边垃圾堆放",
        "address": "",
    }
    data.update(overrides)
    return client.post(reverse("case-report"), data)


def test_the_form_offers_gps_a_map_of_the_own_grids_and_a_camera_input(client, world):
    login(client, world.gridadmin)
    response = client.get(reverse("case-report"))
    assert response.status_code == 200
    page = html(response)
    assert 'id="gps-button"' in page and 'data-map="report"' in page
    assert 'capture="environment"' in page and 'accept="image/*"' in page
    codes = {f["properties"]["code"] for f in response.context["grid_geojson"]["features"]}
    assert codes == {world.g1.code, world.g2.code}
    for field in ("id_lat", "id_lng", "id_category", "id_description", "id_photos"):
        assert f'for="{field}"' in page and f'id="{field}"' in page, field


def test_the_category_picker_groups_minor_classes_under_their_major_class(client, world):
    login(client, world.gridadmin)
    page = html(client.get(reverse("case-report")))
    assert '<optgroup label="01 市容环境">' in page
    assert f'value="{world.cats.waste.pk}"' in page
    assert f'value="{world.cats.major.pk}"' not in page  # a major class is not reportable


def test_a_report_with_a_photo_lands_on_its_receipt(client, world):
    login(client, world.gridadmin)
    response = _post(client, world, photos=[png_upload()])
    case = Case.objects.get()
    assert response.status_code == 302 and response.url == reverse("case-receipt", args=[case.pk])
    assert case.source == Case.Source.PATROL and case.grid == world.g1 and case.reporter == world.gridadmin
    assert case.photos.get().kind == CasePhoto.Kind.REPORT
    receipt = client.get(response.url)
    assert receipt.status_code == 200 and case.number in html(receipt)


def test_a_resident_reports_as_a_resident(client, world):
    login(client, world.resident)
    assert _post(client, world, lat=centre(world.g3)[0], lng=centre(world.g3)[1]).status_code == 302
    assert Case.objects.get().source == Case.Source.RESIDENT


def test_a_report_outside_the_own_grids_is_refused_next_to_the_location(client, world):
    login(client, world.gridadmin)
    lat, lng = centre(world.g3)  # other_gridadmin's grid
    response = _post(client, world, lat=lat, lng=lng)
    assert response.status_code == 403
    assert "you may not report this case: it is not in your grids" in html(response)
    assert response.context["form"].errors["lat"]
    assert not Case.objects.exists()


def test_a_report_outside_the_jurisdiction_is_refused(client, world):
    login(client, world.gridadmin)
    response = _post(client, world, lat=10.0, lng=10.0)
    assert response.status_code == 400
    assert "outside the jurisdiction" in html(response)


def test_a_fake_photo_is_refused_next_to_the_photo_input(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(client, world.gridadmin)
    fake = SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    response = _post(client, world, photos=[fake])
    assert response.status_code == 400
    assert "evil.jpg is not a readable image" in html(response)
    assert response.context["form"].errors["photos"]
    assert not Case.objects.exists()


def test_bad_input_answers_400_with_the_fields_marked(client, world):
    login(client, world.gridadmin)
    response = _post(client, world, lat="north", category="", description="")
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"lat", "category", "description"}
    assert 'aria-invalid="true"' in html(response)
    response = _post(client, world, category=world.cats.major.pk)  # a major class
    assert response.status_code == 400 and "category" in response.context["form"].errors
    response = _post(client, world, lat="nan", lng="inf")
    assert response.status_code == 400


def test_the_form_is_prefilled_from_a_tap_on_the_home_map(client, world):
    login(client, world.gridadmin)
    response = client.get(reverse("case-report"), {"lat": "28.68", "lng": "115.89"})
    assert response.context["form"]["lat"].value() == "28.68"


def test_the_check_confirms_a_spot_in_the_own_grid(client, world):
    login(client, world.gridadmin)
    lat, lng = centre(world.g2)
    response = client.get(reverse("case-report-check"), {"lat": lat, "lng": lng}, **HTMX)
    assert response.status_code == 200
    assert response.context["may_report"] is True and response.context["grid"] == world.g2
    assert "<html" not in html(response)  # a fragment for htmx


def test_the_check_warns_about_a_spot_in_someone_elses_grid(client, world):
    login(client, world.gridadmin)
    lat, lng = centre(world.g3)
    response = client.get(reverse("case-report-check"), {"lat": lat, "lng": lng}, **HTMX)
    assert response.context["may_report"] is False and "not one of yours" in html(response)


def test_the_check_lists_open_cases_of_the_category_nearby(client, world):
    existing = report(world, description="垃圾满溢")
    closed_far = report(world, grid=world.g2)
    login(client, world.gridadmin)
    lat, lng = centre(world.g1)
    response = client.get(
        reverse("case-report-check"),
        {"lat": lat + 0.0001, "lng": lng, "category": world.cats.waste.pk},
        **HTMX,
    )
    found = [d["case"] for d in response.context["duplicates"]]
    assert found == [existing] and closed_far not in found
    assert existing.number in html(response) and "m away" in html(response)
    other = client.get(
        reverse("case-report-check"), {"lat": lat, "lng": lng, "category": world.cats.ads.pk}, **HTMX
    )
    assert other.context["duplicates"] == []


def test_the_check_ignores_closed_cases(client, world):
    from .helpers import drive

    drive(world, CaseState.CLOSED)
    login(client, world.gridadmin)
    lat, lng = centre(world.g1)
    response = client.get(
        reverse("case-report-check"), {"lat": lat, "lng": lng, "category": world.cats.waste.pk}
    )
    assert response.context["duplicates"] == []


def test_the_check_survives_nonsense(client, world):
    login(client, world.gridadmin)
    for params in ({}, {"lat": "x", "lng": "y"}, {"lat": "91", "lng": "0"}, {"lat": "nan", "lng": "1"}):
        response = client.get(reverse("case-report-check"), params, **HTMX)
        assert response.status_code == 200 and response.context["located"] is False


def test_the_receipt_is_only_for_those_who_may_see_the_case(client, world):
    case = report(world)
    login(client, world.other_gridadmin)
    assert client.get(reverse("case-receipt", args=[case.pk])).status_code == 404


def test_a_jpeg_keeps_its_exif_only_in_the_stored_original(client, world):
    login(client, world.gridadmin)
    assert _post(client, world, photos=[jpeg_with_exif()]).status_code == 302
    photo = CasePhoto.objects.get()
    with photo.image.open("rb") as original:
        assert b"SpyCam" in original.read()
