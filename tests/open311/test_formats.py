"""XML and JSON rendering: escaping, characters XML cannot carry, and exact round trips of what was sent."""

import xml.etree.ElementTree as ET

import pytest

from cases import services as case_services
from cases.models import Case
from open311.formats import to_json, to_xml

from ..factories import centre
from .conftest import json_of, parse_xml, post_form, url

TRICKY = "A <b>bold</b> & \"quoted\" 'text' ]]> <!-- x --> &amp; 垃圾\r\nsecond line\ttab"


def test_xml_maps_lists_none_and_booleans_like_the_spec():
    body = to_xml(
        {"service_code": "001", "attributes": [{"required": True, "values": [], "x": None}]}, "root"
    )
    root = ET.fromstring(body.encode())
    assert root.findtext("service_code") == "001"
    attribute = root.find("attributes/attribute")
    assert attribute.findtext("required") == "true"
    assert attribute.find("values") is not None and list(attribute.find("values")) == []
    assert attribute.find("x").text is None


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_special_characters_round_trip_exactly(client, world, demo_key, fmt):
    lat, lng = centre(world.g1)
    response = post_form(
        client,
        f"requests.{fmt}",
        {
            "api_key": demo_key.key,
            "service_code": "0101",
            "lat": lat,
            "long": lng,
            "description": TRICKY,
            "address_string": "<街> & 巷",
        },
    )
    assert response.status_code == 200
    number = Case.objects.get().number
    assert Case.objects.get().description == TRICKY.strip()
    detail = client.get(url(f"requests/{number}.{fmt}"))
    if fmt == "xml":
        assert b"<b>" not in detail.content  # escaped, never markup
        request = parse_xml(detail).find("request")
        assert request.findtext("description") == TRICKY.strip()
        assert request.findtext("address") == "<街> & 巷"
    else:
        (item,) = json_of(detail)
        assert item["description"] == TRICKY.strip()
        assert item["address"] == "<街> & 巷"


def test_characters_xml_cannot_carry_are_dropped_not_sent(client, world):
    """A description stored before the text policy refused control characters (gridmgmt.text) may hold
    them; the XML must still parse."""
    lat, lng = centre(world.g1)
    case = case_services.case_report(
        actor=world.gridadmin,
        source=Case.Source.PATROL,
        lat=lat,
        lng=lng,
        category=world.cats.waste,
        description="bell",
    )
    Case.objects.filter(pk=case.pk).update(description="bell\x07 form\x0c feed\x1b escape")
    root = parse_xml(client.get(url(f"requests/{case.number}.xml")))
    assert root.findtext("request/description") == "bell form feed escape"
    (item,) = json_of(client.get(url(f"requests/{case.number}.json")))
    assert item["description"] == "bell\x07 form\x0c feed\x1b escape"  # JSON escapes them losslessly


def test_json_is_utf8_not_ascii_escapes():
    assert to_json([{"name": "垃圾"}]) == '[{"name": "垃圾"}]'
