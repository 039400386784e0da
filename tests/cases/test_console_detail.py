"""The case detail page: map, photos (EXIF-free copies only), timeline, deadline clock, exactly the
actions the viewer may take, and errors shown next to the field they concern."""

import io

from django.urls import reverse
from PIL import Image

from cases import photos as case_photos
from cases.models import CasePhoto, CaseState

from .console import html, jpeg_with_exif, login
from .helpers import drive, report

S = CaseState


def test_the_detail_has_a_map_a_clock_and_the_timeline(client, world):
    case = drive(world, S.DISPATCHED)
    login(client, world.staff)
    response = client.get(reverse("case-detail", args=[case.pk]))
    page = html(response)
    assert 'data-map="case"' in page and 'id="case-map"' in page and 'id="grid-geojson"' in page
    assert "Deadline for handling" in page and "data-seconds-left=" in page and "clockbox-ontime" in page
    assert "from filed to dispatched" in page and "to 环卫局" in page


def test_the_dispatcher_gets_file_and_dispatch_with_the_suggested_department_preselected(client, world):
    case = report(world)
    case.suggested_department = world.roads
    case.save(update_fields=["suggested_department"])
    login(client, world.dispatcher)
    page = html(client.get(reverse("case-detail", args=[case.pk])))
    assert reverse("case-action", args=[case.pk, "file_dispatch"]) in page
    assert f'<option value="{world.roads.pk}" selected>' in page
    assert 'formaction="' + reverse("case-action", args=[case.pk, "file"]) + '"' in page


def test_the_page_offers_no_form_for_an_action_the_viewer_may_not_take(client, world):
    case = drive(world, S.DISPATCHED)
    login(client, world.gridadmin)
    page = html(client.get(reverse("case-detail", args=[case.pk])))
    assert "case-action" not in page and "/accept/" not in page and 'class="actions"' not in page


def test_a_conflict_is_shown_without_a_500_and_with_fresh_actions(client, world):
    case = drive(world, S.DISPATCHED)
    login(client, world.staff)
    client.post(reverse("case-action", args=[case.pk, "accept"]), {"version": case.version})
    response = client.post(reverse("case-action", args=[case.pk, "accept"]), {"version": case.version})
    assert response.status_code == 409
    assert "resolve" in response.context["actions"] and 'role="alert"' in html(response)


def _photo(world, upload) -> CasePhoto:
    case = report(world, photos=[upload])
    return case.photos.get()


def test_photos_are_served_as_exif_free_copies_and_never_as_the_original(client, world):
    photo = _photo(world, jpeg_with_exif())
    login(client, world.gridadmin)
    page = html(client.get(reverse("case-detail", args=[photo.case_id])))
    assert photo.image.url not in page
    assert reverse("case-photo", args=[photo.case_id, photo.pk, "thumb"]) in page
    for variant in ("thumb", "display"):
        response = client.get(reverse("case-photo", args=[photo.case_id, photo.pk, variant]))
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        body = b"".join(response.streaming_content)
        assert b"SpyCam" not in body
        with Image.open(io.BytesIO(body)) as served:
            assert not served.getexif()
    photo.refresh_from_db()
    assert photo.display and photo.thumbnail  # made on first view when no worker had run yet


def test_photos_follow_the_case_scope(client, world):
    photo = _photo(world, jpeg_with_exif())
    other = report(world, grid=world.g2)
    login(client, world.other_gridadmin)
    assert client.get(reverse("case-photo", args=[photo.case_id, photo.pk, "thumb"])).status_code == 404
    login(client, world.gridadmin)
    assert client.get(reverse("case-photo", args=[other.pk, photo.pk, "thumb"])).status_code == 404
    assert client.get(reverse("case-photo", args=[photo.case_id, photo.pk, "original"])).status_code == 404


def test_the_copies_apply_the_orientation_flatten_transparency_and_shrink(world):
    rotated = _photo(world, jpeg_with_exif(size=(80, 40), orientation=6))  # 90° clockwise
    made = case_photos.photo_derivatives_make(photo_id=rotated.pk)
    with made.display.open("rb") as f, Image.open(f) as display:
        assert display.size == (40, 80) and display.format == "JPEG"
    buffer = io.BytesIO()
    Image.new("RGBA", (2000, 1000), (0, 0, 0, 0)).save(buffer, format="PNG")
    from django.core.files.uploadedfile import SimpleUploadedFile

    big = _photo(world, SimpleUploadedFile("big.png", buffer.getvalue(), content_type="image/png"))
    made = case_photos.photo_derivatives_make(photo_id=big.pk)
    with made.thumbnail.open("rb") as f, Image.open(f) as thumb:
        assert max(thumb.size) == case_photos.THUMBNAIL_MAX_PX and thumb.mode == "RGB"
        assert thumb.getpixel((5, 5)) == (255, 255, 255)  # transparent became white, not black
    with made.display.open("rb") as f, Image.open(f) as display:
        assert max(display.size) == case_photos.DISPLAY_MAX_PX


def test_making_the_copies_twice_changes_nothing(world):
    photo = _photo(world, jpeg_with_exif())
    first = case_photos.photo_derivatives_make(photo_id=photo.pk)
    second = case_photos.photo_derivatives_make(photo_id=photo.pk)
    assert (first.display.name, first.thumbnail.name) == (second.display.name, second.thumbnail.name)
    assert case_photos.photo_derivatives_make(photo_id=999999) is None


def test_attaching_a_photo_enqueues_the_copies_after_commit(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    from cases import tasks

    sent = []
    monkeypatch.setattr(tasks.photo_derivatives_task, "apply_async", lambda args, **kw: sent.append(args))
    monkeypatch.setattr("dispatch.tasks.route_case_task.apply_async", lambda args, **kw: None)
    with django_capture_on_commit_callbacks(execute=True):
        photo = _photo(world, jpeg_with_exif())
    assert sent == [(photo.pk,)]
    tasks.photo_derivatives_task.run(photo.pk)  # what the worker does
    photo.refresh_from_db()
    assert photo.display.name.endswith(".jpg") and photo.thumbnail.name.endswith(".jpg")


def test_a_decompression_bomb_is_refused_as_input_not_a_500(client, world, settings):
    from PIL import Image as PILImage

    login(client, world.gridadmin)
    buffer = io.BytesIO()
    PILImage.new("1", (12000, 12000)).save(buffer, format="PNG")  # 144 MP: above Pillow's bomb limit
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ..factories import centre

    lat, lng = centre(world.g1)
    response = client.post(
        reverse("case-report"),
        {
            "lat": lat,
            "lng": lng,
            "category": world.cats.waste.pk,
            "description": "x",
            "photos": [SimpleUploadedFile("bomb.png", buffer.getvalue(), content_type="image/png")],
        },
    )
    assert response.status_code == 400 and "bomb.png is not a readable image" in html(response)
