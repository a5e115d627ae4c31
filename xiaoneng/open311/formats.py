"""The two GeoReport v2 formats. JSON is the records as they are; XML wraps them in the
specification's elements (``<services><service>``, ``<service_requests><request>``,
``<errors><error>``…), with ``true``/``false`` for booleans and an empty element for a
missing value. Both are UTF-8."""

from __future__ import annotations

import io
import json
import re
from xml.sax.saxutils import XMLGenerator

from django.http import HttpResponse

JSON, XML = "json", "xml"
CONTENT_TYPES = {JSON: "application/json; charset=utf-8", XML: "text/xml; charset=utf-8"}
#: The element of each item of a list, by the list's own element.
ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
# Characters XML 1.0 cannot carry at all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _element(xml: XMLGenerator, name: str, value) -> None:
    xml.startElement(name, {})
    if isinstance(value, dict):
        for key, item in value.items():
            _element(xml, key, item)
    elif isinstance(value, list | tuple):
        for item in value:
            _element(xml, ITEMS[name], item)
    else:
        xml.characters(_text(value))
    xml.endElement(name)


def to_xml(root: str, value) -> bytes:
    out = io.BytesIO()
    xml = XMLGenerator(out, encoding="utf-8", short_empty_elements=True)
    xml.startDocument()
    _element(xml, root, value)
    xml.endDocument()
    return out.getvalue()


def to_json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def render(fmt: str, root: str, value, *, status: int = 200) -> HttpResponse:
    """``value`` (a list for ``services``/``service_requests``/``errors``, a dict for the
    others) in ``fmt``; ``root`` names the XML document element."""
    body = to_xml(root, value) if fmt == XML else to_json(value)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])
