"""Open311 and the report rule: a category whose evidence rule asks for a report photo refuses a request
without `media` uploads, in GeoReport's error format, and accepts one that brings it."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cases.models import Case, EvidenceRule

from ..factories import centre
from .conftest import json_of, parse_xml, url


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    return SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png")


def _request(world, key, **extra) -> dict:
    lat, lng = centre(world.g1)
    return {
        "api_key": key.key,
        "service_code": "0101",
        "lat": lat,
        "long": lng,
        "description": "垃圾",
        **extra,
    }


def _photo_rule(world) -> None:
    EvidenceRule.objects.create(category=world.cats.waste, step=EvidenceRule.Step.REPORT, min_photos=1)


def test_a_category_asking_for_a_report_photo_refuses_a_request_without_media(client, world, demo_key):
    _photo_rule(world)
    response = client.post(url("requests.json"), _request(world, demo_key))
    assert response.status_code == 400
    (error,) = json_of(response)
    assert error["code"] == 400
    assert "needs at least 1 photo(s) of the problem" in error["description"]
    assert not Case.objects.exists()


def test_the_refusal_speaks_xml_when_xml_is_asked_for(client, world, demo_key):
    _photo_rule(world)
    response = client.post(url("requests.xml"), _request(world, demo_key))
    assert response.status_code == 400
    root = parse_xml(response)
    assert "photo(s) of the problem" in root.findtext("error/description")


def test_a_request_with_media_meets_the_rule(client, world, demo_key):
    _photo_rule(world)
    response = client.post(url("requests.json"), _request(world, demo_key, media=_photo()))
    assert response.status_code == 200, response.content
    assert Case.objects.get().photos.count() == 1


def test_the_default_rule_asks_no_report_photo(client, world, demo_key):
    response = client.post(url("requests.json"), _request(world, demo_key))
    assert response.status_code == 200, response.content
