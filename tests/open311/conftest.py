"""Open311 fixtures: the demo key, a service that asks questions, and a client speaking GeoReport v2."""

import xml.etree.ElementTree as ET
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest

from open311.models import AttributeValue, ServiceAttribute
from open311.services import api_key_ensure_demo

BASE = "/open311/v2/"
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'


@pytest.fixture
def demo_key(world):
    return api_key_ensure_demo()


@pytest.fixture
def questions(world):
    """The waste service (0101) asks for the kind of waste (required list), a volume and when it was seen;
    plus one informational attribute that takes no input."""
    waste = world.cats.waste
    kind = ServiceAttribute.objects.create(
        category=waste,
        code="WASTE_KIND",
        description="What kind of waste is it?",
        datatype=ServiceAttribute.Datatype.SINGLEVALUELIST,
        required=True,
        order=1,
    )
    AttributeValue.objects.create(attribute=kind, key="household", name="生活垃圾", order=1)
    AttributeValue.objects.create(attribute=kind, key="construction", name="建筑垃圾", order=2)
    volume = ServiceAttribute.objects.create(
        category=waste,
        code="VOLUME",
        description="About how many cubic metres?",
        datatype=ServiceAttribute.Datatype.NUMBER,
        datatype_description="a number, e.g. 1.5",
        order=2,
    )
    seen = ServiceAttribute.objects.create(
        category=waste, code="SEEN_AT", description="When did you see it?", datatype="datetime", order=3
    )
    smell = ServiceAttribute.objects.create(
        category=waste, code="SMELL", description="Which smells?", datatype="multivaluelist", order=4
    )
    AttributeValue.objects.create(attribute=smell, key="rotten", name="腐烂")
    AttributeValue.objects.create(attribute=smell, key="chemical", name="化学")
    note = ServiceAttribute.objects.create(
        category=waste,
        code="NOTE",
        description="Do not touch the waste.",
        datatype="string",
        variable=False,
        order=5,
    )
    return SimpleNamespace(kind=kind, volume=volume, seen=seen, smell=smell, note=note)


def url(path: str) -> str:
    return BASE + path


def parse_xml(response) -> ET.Element:
    """The body must be UTF-8 XML with the declaration and the spec's content type."""
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    body = response.content.decode("utf-8")
    assert body.startswith(XML_DECLARATION)
    return ET.fromstring(response.content)


def json_of(response):
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return response.json()


def errors_of(response, fmt: str = "json") -> list[dict]:
    """The spec's error list, read from either format as [{code, description}]."""
    if fmt == "xml":
        root = parse_xml(response)
        assert root.tag == "errors"
        found = [
            {"code": int(error.findtext("code")), "description": error.findtext("description")}
            for error in root.findall("error")
        ]
    else:
        found = json_of(response)
        assert isinstance(found, list)
    assert found, "an error body lists at least one error"
    for error in found:
        assert set(error) == {"code", "description"}
        assert error["code"] == response.status_code
        assert error["description"]
    return found


def descriptions(response, fmt: str = "json") -> str:
    return " | ".join(error["description"] for error in errors_of(response, fmt))


def post_form(client, path: str, data: dict | list):
    """POST as the spec sends it: application/x-www-form-urlencoded, UTF-8."""
    return client.post(
        url(path), data=urlencode(data, doseq=True), content_type="application/x-www-form-urlencoded"
    )
