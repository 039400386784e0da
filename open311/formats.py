"""Rendering GeoReport documents as JSON and as XML.

Both come from the same plain data (dicts, lists, strings, numbers, booleans, None). The XML follows the
spec's mapping: a list under a plural element holds one singular element per item (`services/service`,
`attributes/attribute`, `values/value`, ...); None is an empty element; booleans are `true`/`false`.
"""

import json
import re
import xml.etree.ElementTree as ET

from django.http import HttpResponse

JSON = "json"
XML = "xml"
FORMATS = (JSON, XML)
CONTENT_TYPES = {JSON: "application/json; charset=utf-8", XML: "text/xml; charset=utf-8"}
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'

SINGULAR = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}

# Characters XML 1.0 cannot carry at all, not even escaped (most C0 controls, lone surrogates, U+FFFE/F).
# Text from other channels (patrol phones, the hotline) may hold them; they are dropped, never sent raw.
_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_ILLEGAL.sub("", str(value))


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for name, child in value.items():
            _fill(ET.SubElement(element, name), child)
    elif isinstance(value, list | tuple):
        item_name = SINGULAR[element.tag]
        for item in value:
            _fill(ET.SubElement(element, item_name), item)
    else:
        element.text = xml_text(value)


def to_xml(payload, root: str) -> str:
    element = ET.Element(root)
    _fill(element, payload)
    body = ET.tostring(element, encoding="unicode")
    # ElementTree leaves carriage returns raw, and XML parsers turn raw CR LF into LF; a character reference
    # survives parsing, so a description comes back exactly as it was sent. Only text holds a CR here.
    return XML_DECLARATION + body.replace("\r", "&#13;")


def to_json(payload) -> str:
    return json.dumps(payload, ensure_ascii=False)


def render(fmt: str, payload, *, root: str, status: int = 200) -> HttpResponse:
    body = to_json(payload) if fmt == JSON else to_xml(payload, root)
    return HttpResponse(body.encode("utf-8"), status=status, content_type=CONTENT_TYPES[fmt])
