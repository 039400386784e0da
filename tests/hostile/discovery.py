"""What the harness attacks, found rather than listed: URL patterns from the resolver, API operations from
the OpenAPI schema, forms from the pages themselves, the query parameters each view reads, and real values
(ids, numbers, codes) from the links, forms and JSON the application serves."""

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

from django.core.handlers.wsgi import WSGIRequest, get_bytes_from_wsgi
from django.http import QueryDict
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils.functional import cached_property
from django.utils.regex_helper import normalize
from drf_spectacular.generators import SchemaGenerator

# --- URL patterns -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One way to spell a URL pattern: `template` is "/cases/%(pk)s/" with `params` to fill."""

    name: str  # the (namespaced) URL name, or the template when the pattern has none
    template: str
    params: tuple[str, ...]

    def fill(self, values: dict[str, str]) -> str:
        return self.template % values


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        regex = entry.pattern.regex.pattern
        regex = regex[1:] if regex.startswith("^") else regex
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + regex, inner)
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}{entry.name}" if entry.name else ""), prefix + regex


def url_routes() -> list[Route]:
    """Every URL pattern of the project's URLconf, each alternative spelling (an optional `.json`) apart."""
    routes = []
    for name, regex in _walk(get_resolver().url_patterns):
        for template, params in normalize(regex):
            routes.append(Route(name or "/" + template, "/" + template, tuple(params)))
    return routes


def route_name(path: str) -> str | None:
    """The route a concrete path resolves to (its URL name), or None."""
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name if match.url_name else match.route


# --- query parameters a view reads -------------------------------------------------------------------------


class _ReadQueryDict(QueryDict):
    """request.GET that notes each name a view asks for (whether or not the request carries it)."""

    reads: set[str]

    def _note(self, key) -> None:
        if isinstance(key, str):
            self.reads.add(key)

    def __getitem__(self, key):  # also .get()
        self._note(key)
        return super().__getitem__(key)

    def getlist(self, key, default=None):
        self._note(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)


@contextmanager
def query_reads() -> Iterator[set[str]]:
    """Collect the names the views look up in request.GET (and DRF's query_params, the same object) while
    inside: the parameters a page or endpoint reads without any form or schema declaring them."""
    reads: set[str] = set()
    original = WSGIRequest.__dict__["GET"]

    def recording_get(request):
        query = _ReadQueryDict(
            get_bytes_from_wsgi(request.environ, "QUERY_STRING", ""), encoding=request.encoding
        )
        query.reads = reads
        return query

    patched = cached_property(recording_get)
    patched.__set_name__(WSGIRequest, "GET")
    WSGIRequest.GET = patched
    try:
        yield reads
    finally:
        WSGIRequest.GET = original


# --- API operations -----------------------------------------------------------------------------------------


@dataclass
class Operation:
    method: str
    path: str  # "/api/v1/cases/{number}/file/"
    operation_id: str
    path_params: list[str]
    query_params: dict[str, dict]  # name → schema
    body: dict[str, dict]  # property → schema (resolved)
    required: set[str]
    content_types: list[str]
    example: dict

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def files(self) -> list[str]:
        """Properties that take uploaded files (format binary, or lists of them)."""
        return [name for name, schema in self.body.items() if _is_binary(schema)]


def _is_binary(schema: dict) -> bool:
    return schema.get("format") == "binary" or schema.get("items", {}).get("format") == "binary"


def _resolve(schema: dict, components: dict) -> dict:
    """A schema with $ref and single-element allOf replaced by what they point to (enough for inputs)."""
    if "$ref" in schema:
        return _resolve(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    if "allOf" in schema:
        merged: dict = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            merged = {**_resolve(part, components), **merged}
        return merged
    if schema.get("type") == "array" and "items" in schema:
        return {**schema, "items": _resolve(schema["items"], components)}
    return schema


def api_operations() -> list[Operation]:
    """Every operation of the OpenAPI schema, generated in process as /api/schema/ serves it."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema.get("components", {}).get("schemas", {})
    operations = []
    for path, item in schema["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            params = op.get("parameters", [])
            content = op.get("requestBody", {}).get("content", {})
            body_schema: dict = {}
            example: dict = {}
            for media in content.values():
                body_schema = _resolve(media.get("schema", {}), components) or body_schema
                for sample in media.get("examples", {}).values():
                    if isinstance(sample.get("value"), dict) and not example:
                        example = sample["value"]
            properties = {
                name: _resolve(prop, components)
                for name, prop in body_schema.get("properties", {}).items()
                if not prop.get("readOnly")
            }
            operations.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    operation_id=op.get("operationId", f"{method} {path}"),
                    path_params=[p["name"] for p in params if p["in"] == "path"],
                    query_params={
                        p["name"]: _resolve(p.get("schema", {}), components)
                        for p in params
                        if p["in"] == "query"
                    },
                    body=properties,
                    required=set(body_schema.get("required", [])),
                    content_types=list(content),
                    example=example,
                )
            )
    return operations


# --- forms and links in pages -------------------------------------------------------------------------------


@dataclass
class Control:
    name: str
    kind: str  # an input's type, "select", "textarea" or "button"
    value: str = ""
    options: list[str] = field(default_factory=list)
    checked: bool = False
    attrs: dict = field(default_factory=dict)


@dataclass
class Form:
    page: str  # where it was found
    action: str  # absolute path with query
    method: str
    enctype: str
    controls: list[Control] = field(default_factory=list)

    @property
    def csrf_token(self) -> str:
        return next((c.value for c in self.controls if c.name == "csrfmiddlewaretoken"), "")

    @property
    def fields(self) -> list[Control]:
        """The controls a person fills in or picks (not the CSRF token, not the submit buttons)."""
        return [
            c
            for c in self.controls
            if c.name and c.name != "csrfmiddlewaretoken" and c.kind not in ("button", "submit", "image")
        ]

    @property
    def multipart(self) -> bool:
        return self.enctype == "multipart/form-data" or any(c.kind == "file" for c in self.fields)

    def signature(self) -> tuple:
        """Forms with the same route, method and fields are one form (shown for several cases or roles)."""
        names = tuple(sorted({c.name for c in self.controls if c.name}))
        return (route_name(self.action) or self.action, self.method, names, _action_word(self.action))


def _action_word(action: str) -> str:
    """The non-numeric path segments: case-action forms of different actions are different forms."""
    return "/".join(s for s in urlsplit(action).path.split("/") if s and not s.isdigit())


class PageParser(HTMLParser):
    """The forms (with their controls and default values) and the local links of an HTML page."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: Control | None = None
        self._textarea: Control | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        for attr in ("href", "src", "action", "hx-get", "hx-post", "data-url"):
            if a.get(attr):
                self.links.append(urljoin(self.page, a[attr]))
        if tag == "form":
            self._form = Form(
                page=self.page,
                action=urljoin(self.page, a.get("action") or self.page),
                method=(a.get("method") or "get").upper(),
                enctype=a.get("enctype", "application/x-www-form-urlencoded"),
            )
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            self._form.controls.append(
                Control(a.get("name", ""), kind, a.get("value", ""), checked="checked" in a, attrs=a)
            )
        elif tag == "button":
            kind = "submit" if a.get("type", "submit").lower() == "submit" else "button"
            self._form.controls.append(Control(a.get("name", ""), kind, a.get("value", ""), attrs=a))
        elif tag == "select":
            self._select = Control(a.get("name", ""), "select", attrs=a)
            self._form.controls.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
            if "selected" in a:
                self._select.value = a.get("value", "")
        elif tag == "textarea":
            self._textarea = Control(a.get("name", ""), "textarea", attrs=a)
            self._form.controls.append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            if self._select is not None and not self._select.value and self._select.options:
                self._select.value = next((o for o in self._select.options if o), "")
            self._select = None
        elif tag == "textarea":
            if self._textarea is not None:  # HTML drops the newline that follows <textarea>
                self._textarea.value = self._textarea.value.removeprefix("\r").removeprefix("\n")
            self._textarea = None


def parse_page(page: str, html: str) -> PageParser:
    parser = PageParser(page)
    parser.feed(html)
    parser.close()
    return parser


# --- real values --------------------------------------------------------------------------------------------


class Pool:
    """Real values seen by name: "pk", "number", "code" … and, more precisely, per route ("case-detail:pk")
    and per collection ("residents:id"). Insertion order is kept, so sampling stays deterministic."""

    CAP = 16

    def __init__(self):
        self._values: dict[str, list[str]] = defaultdict(list)

    def add(self, key: str, value) -> None:
        if isinstance(value, bool) or value is None or isinstance(value, dict | list):
            return
        text = str(value)
        values = self._values[key]
        if text and len(text) <= 80 and text not in values and len(values) < self.CAP:
            values.append(text)

    def get(self, *keys: str) -> list[str]:
        for key in keys:
            if self._values.get(key):
                return self._values[key]
        return []

    def names(self) -> list[str]:
        """Plain names (no route or collection prefix): the query parameters and fields seen anywhere."""
        return [key for key in self._values if ":" not in key]

    def add_link(self, url: str) -> None:
        """A local link: its path parameters under its route, its query parameters by name."""
        parts = urlsplit(url)
        if parts.netloc not in ("", "testserver") or not parts.path.startswith("/"):
            return
        try:
            match = resolve(parts.path)
        except Resolver404:
            return
        name = match.view_name if match.url_name else match.route
        for key, value in match.kwargs.items():
            self.add(f"{name}:{key}", value)
            self.add(key, value)
        for key, value in parse_qsl(parts.query):
            self.add(key, value)

    def add_json(self, data, collection: str = "") -> None:
        """Every scalar by its key (and `collection:key`); a nested {"code"}/{"id"} object by its key;
        strings that are local paths as links."""
        if isinstance(data, list):
            for item in data:
                self.add_json(item, collection)
        elif isinstance(data, dict):
            for key, value in data.items():
                if isinstance(value, dict):
                    for ref in ("code", "id", "number"):
                        if ref in value:
                            self.add(key, value[ref])
                    self.add_json(value, key)
                elif isinstance(value, list):
                    self.add_json(value, key)
                else:
                    self.add(key, value)
                    if collection:
                        self.add(f"{collection}:{key}", value)
                    if isinstance(value, str) and re.match(r"^(https?://testserver)?/[^\s]*$", value):
                        self.add_link(value)

    def add_response(self, path: str, response) -> None:
        content_type = response.get("Content-Type", "")
        if response.status_code in (301, 302, 303, 307, 308) and response.get("Location"):
            self.add_link(urljoin(path, response["Location"]))
        elif "json" in content_type and response.status_code < 300:
            try:
                data = json.loads(response.content)
            except ValueError:
                return
            segments = [s for s in urlsplit(path).path.split("/") if s]
            self.add_json(data, segments[-1] if segments else "")
