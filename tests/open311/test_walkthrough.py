"""A third-party GeoReport v2 client's walk through the server, in JSON and in XML."""

import datetime as dt
import io

import pytest
from PIL import Image

from cases.models import Case, CaseState
from open311.models import ServiceRequest

from ..factories import centre
from .conftest import json_of, parse_xml, post_form, url


def test_discovery_points_clients_at_this_endpoint(client, world):
    doc = json_of(client.get(url("discovery.json")))
    assert set(doc) == {"changeset", "contact", "key_service", "endpoints"}
    (endpoint,) = doc["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert endpoint["type"] in ("production", "test")
    assert endpoint["formats"] == ["text/xml", "application/json"]

    root = parse_xml(client.get(url("discovery.xml")))
    assert root.tag == "discovery"
    assert root.findtext("endpoints/endpoint/url") == "http://testserver/open311/v2/"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]


def test_it_lists_the_minor_categories_as_services(client, world, questions):
    services = json_of(client.get(url("services.json")))
    by_code = {s["service_code"]: s for s in services}
    assert set(by_code) == {"0101", "0102", "0201"}  # minor classes only, never the major classes
    waste = by_code["0101"]
    assert waste == {
        "service_code": "0101",
        "service_name": "暴露垃圾",
        "description": "暴露垃圾",
        "metadata": True,
        "type": "realtime",
        "keywords": "暴露垃圾, 市容环境",
        "group": "市容环境",
    }
    assert by_code["0102"]["metadata"] is False
    assert all(isinstance(s["service_code"], str) for s in services)


def test_it_lists_services_as_xml(client, world, questions):
    root = parse_xml(client.get(url("services.xml")))
    assert root.tag == "services"
    services = root.findall("service")
    assert [s.findtext("service_code") for s in services] == ["0101", "0102", "0201"]
    waste = services[0]
    assert [child.tag for child in waste] == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert waste.findtext("metadata") == "true" and services[1].findtext("metadata") == "false"
    assert waste.findtext("group") == "市容环境"


def test_it_hides_inactive_categories(client, world):
    world.cats.ads.is_active = False
    world.cats.ads.save(update_fields=["is_active"])
    codes = [s["service_code"] for s in json_of(client.get(url("services.json")))]
    assert codes == ["0101", "0201"]
    assert client.get(url("services/0102.json")).status_code == 404


def test_it_reads_a_service_definition(client, world, questions):
    definition = json_of(client.get(url("services/0101.json")))
    assert definition["service_code"] == "0101"
    attributes = definition["attributes"]
    assert [a["code"] for a in attributes] == ["WASTE_KIND", "VOLUME", "SEEN_AT", "SMELL", "NOTE"]
    kind = attributes[0]
    assert kind == {
        "variable": True,
        "code": "WASTE_KIND",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": None,
        "order": 1,
        "description": "What kind of waste is it?",
        "values": [{"key": "household", "name": "生活垃圾"}, {"key": "construction", "name": "建筑垃圾"}],
    }
    assert attributes[4]["variable"] is False

    root = parse_xml(client.get(url("services/0101.xml")))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "0101"
    first = root.find("attributes/attribute")
    assert [child.tag for child in first] == [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    ]
    assert [(v.findtext("key"), v.findtext("name")) for v in first.findall("values/value")] == [
        ("household", "生活垃圾"),
        ("construction", "建筑垃圾"),
    ]


def test_a_service_without_questions_has_an_empty_definition(client, world):
    assert json_of(client.get(url("services/0102.json"))) == {"service_code": "0102", "attributes": []}
    root = parse_xml(client.get(url("services/0102.xml")))
    assert root.find("attributes") is not None and list(root.find("attributes")) == []


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_client_creates_a_request_and_reads_it_back(client, world, questions, demo_key, fmt):
    lat, lng = centre(world.g1)
    response = post_form(
        client,
        f"requests.{fmt}",
        {
            "api_key": "demo-open311-key",
            "jurisdiction_id": "360102",
            "service_code": "0101",
            "lat": str(lat),
            "long": str(lng),
            "address_string": "八一大道 1 号",
            "description": "路边堆放了一堆垃圾",
            "email": "li@example.org",
            "first_name": "Li",
            "last_name": "Lei",
            "phone": "13800000000",
            "device_id": "device-1",
            "account_id": "acct-7",
            "attribute[WASTE_KIND]": "household",
            "attribute[VOLUME]": "1.5",
            "attribute[SMELL][]": ["rotten", "chemical"],
        },
    )
    assert response.status_code == 200
    if fmt == "json":
        (created,) = json_of(response)
        number = created["service_request_id"]
        assert created["account_id"] == "acct-7"
        notice = created["service_notice"]
    else:
        root = parse_xml(response)
        assert root.tag == "service_requests"
        (created,) = root.findall("request")
        number = created.findtext("service_request_id")
        assert created.find("token") is None  # realtime: the id, never both id and token
        notice = created.findtext("service_notice")
    assert isinstance(number, str) and number
    assert "Expected to be fixed by" in notice

    case = Case.objects.get(number=number)
    assert case.source == Case.Source.OPEN311 and case.state == CaseState.REPORTED
    assert case.grid == world.g1 and case.category == world.cats.waste
    assert case.reporter is None and case.reporter_name == "Li Lei"
    assert case.reporter_contact == "li@example.org; 13800000000"
    assert case.address == "八一大道 1 号" and case.description == "路边堆放了一堆垃圾"
    assert list(case.events.values_list("action", flat=True)) == ["report"]
    sent = ServiceRequest.objects.get(case=case)
    assert sent.api_key == demo_key and sent.device_id == "device-1"
    assert sent.attributes == {"WASTE_KIND": "household", "VOLUME": "1.5", "SMELL": ["rotten", "chemical"]}
    assert response["X-Open311-Token"] == sent.token

    # ... by id
    detail = client.get(url(f"requests/{number}.{fmt}"), {"jurisdiction_id": "360102"})
    assert detail.status_code == 200
    if fmt == "json":
        (item,) = json_of(detail)
        assert item["service_request_id"] == number
        assert item["status"] == "open"
        assert item["service_code"] == "0101" and item["service_name"] == "暴露垃圾"
        assert item["description"] == "路边堆放了一堆垃圾"
        assert item["address"] == "八一大道 1 号"
        assert item["lat"] == pytest.approx(lat) and item["long"] == pytest.approx(lng)
        assert item["requested_datetime"].endswith("+08:00")
        requested = dt.datetime.fromisoformat(item["requested_datetime"])
        assert abs(requested - case.reported_at) < dt.timedelta(seconds=1)
    else:
        item = parse_xml(detail).find("request")
        assert item.findtext("service_request_id") == number
        assert item.findtext("status") == "open"
        assert item.findtext("description") == "路边堆放了一堆垃圾"

    # ... and by search
    found = client.get(url(f"requests.{fmt}"), {"service_code": "0101", "status": "open"})
    if fmt == "json":
        assert [r["service_request_id"] for r in json_of(found)] == [number]
    else:
        assert [r.findtext("service_request_id") for r in parse_xml(found).findall("request")] == [number]

    # ... and by token
    token = client.get(url(f"tokens/{sent.token}.{fmt}"))
    if fmt == "json":
        assert json_of(token) == [{"service_request_id": number, "token": sent.token}]
    else:
        request = parse_xml(token).find("request")
        assert (request.findtext("service_request_id"), request.findtext("token")) == (number, sent.token)


def test_a_request_item_has_every_field_of_the_spec_in_order(client, world, demo_key):
    lat, lng = centre(world.g2)
    post_form(
        client,
        "requests.json",
        {"api_key": demo_key.key, "service_code": "0102", "lat": lat, "long": lng, "description": "小广告"},
    )
    root = parse_xml(client.get(url("requests.xml")))
    (request,) = root.findall("request")
    assert [child.tag for child in request] == [
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    ]
    # No street address was sent: the grid's name describes the place; unknown values are empty elements.
    assert request.findtext("address") == world.g2.name
    assert request.find("agency_responsible").text is None
    assert request.find("zipcode").text is None


def test_it_accepts_a_photo_as_multipart_media(client, world, demo_key, settings):

    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG")
    lat, lng = centre(world.g1)
    response = client.post(
        url("requests.json"),
        {
            "api_key": demo_key.key,
            "service_code": "0101",
            "lat": lat,
            "long": lng,
            "description": "垃圾",
            "media": SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png"),
        },
    )
    assert response.status_code == 200, response.content
    number = json_of(response)[0]["service_request_id"]
    (item,) = json_of(client.get(url(f"requests/{number}.json")))
    assert item["media_url"].startswith("http://testserver/open311/v2/media/")
    # The public copy is a JPEG without the original's EXIF, not the uploaded file.
    served = client.get(item["media_url"].removeprefix("http://testserver"))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(b"".join(served.streaming_content)))
    assert image.format == "JPEG" and not image.getexif()


def test_a_media_url_sent_by_the_client_is_returned(client, world, demo_key):
    lat, lng = centre(world.g1)
    response = post_form(
        client,
        "requests.json",
        {
            "api_key": demo_key.key,
            "service_code": "0101",
            "lat": lat,
            "long": lng,
            "description": "垃圾",
            "media_url": "https://img.example.org/a.jpg",
        },
    )
    number = json_of(response)[0]["service_request_id"]
    assert (
        json_of(client.get(url(f"requests/{number}.json")))[0]["media_url"] == "https://img.example.org/a.jpg"
    )


def test_without_an_extension_it_answers_xml_unless_json_is_asked_for(client, world):
    assert client.get(url("services"))["Content-Type"] == "text/xml; charset=utf-8"
    asked = client.get(url("services"), headers={"Accept": "application/json"})
    assert asked["Content-Type"] == "application/json; charset=utf-8"
    root = client.get(url(""))
    assert parse_xml(root).tag == "discovery"


def test_the_description_defaults_to_the_service_name(client, world, demo_key):
    lat, lng = centre(world.g1)
    response = post_form(
        client, "requests.json", {"api_key": demo_key.key, "service_code": "0102", "lat": lat, "long": lng}
    )
    assert response.status_code == 200
    assert Case.objects.get().description == "非法小广告"
