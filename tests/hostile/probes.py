"""Building the probes: the crawl that finds pages, forms and real values, then for each URL pattern, API
operation, form and Open311 resource, one probe per (field, hostile class), spread over the personas.

Nothing here names an endpoint, a field or a form of the project: they come from discovery.py. The only
names are the GeoReport v2 specification's own parameters (`OPEN311_*`), which no schema of ours lists.
"""

import datetime as dt
import functools
import itertools
import json
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings

from ..support.open311_spec import CREATE_PARAMETERS, SEARCH_PARAMETERS
from . import payloads
from .discovery import Control, Form, Operation, Pool, Route, parse_page, query_reads
from .harness import ANON, Probe, Sender

OTHER_METHODS = ("POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def auth_for(path: str) -> str:
    return "token" if path.startswith("/api/") else "session"


def _rotate(items: list[str]):
    """The personas in turn, so that consecutive probes of one endpoint come from different ones."""
    return itertools.cycle(items)


# --- the crawl ----------------------------------------------------------------------------------------------


@dataclass
class Seen:
    """What the crawl found: a form as each persona was shown it (with that page's CSRF cookie)."""

    forms: dict[tuple, list[tuple[str, Form, str]]] = field(default_factory=lambda: defaultdict(list))
    query_reads: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # route → names
    pages: int = 0


def real_fills(route: Route, pool: Pool, limit: int) -> list[dict[str, str]]:
    """Up to `limit` combinations of real values for the route's parameters; [] when one has none."""
    choices = []
    for param in route.params:
        values = pool.get(f"{route.name}:{param}", param)
        if not values:
            return []
        choices.append(values)
    combos = itertools.islice(itertools.product(*choices), limit)
    return [{p: payloads.url_quote(v) for p, v in zip(route.params, combo, strict=True)} for combo in combos]


# A persona turned away like this from one object of a route is turned away from all: the crawl stops there.
TURNED_AWAY = (401, 403, 405)


def crawl(sender: Sender, routes: list[Route], pool: Pool, roles: list[str], *, rounds: int = 3) -> Seen:
    """GET every route as every persona: routes without parameters first, then those whose parameters the
    pages and JSON seen so far gave values for, again until nothing new turns up. Every page's links,
    forms and JSON feed the pool; its forms are kept for the form test. A persona refused a route for
    what it is (401, 403, 405) is not shown the route's other objects."""
    seen = Seen()
    visited: set[str] = set()
    refused: set[tuple[str, str]] = set()
    for _ in range(rounds):
        paths = []
        for route in routes:
            for values in real_fills(route, pool, limit=16) if route.params else [{}]:
                path = route.fill(values)
                if path not in visited:
                    visited.add(path)
                    paths.append((route, path))
        if not paths:
            break
        for route, path in paths:
            for role in roles:
                if (route.name, role) in refused:
                    continue
                probe = Probe("crawl", role, "GET", path, route.name, "baseline", auth=auth_for(path))
                with query_reads() as reads:
                    response = sender.send(probe)
                seen.query_reads[route.name] |= reads
                if response.status_code in TURNED_AWAY:
                    refused.add((route.name, role))
                pool.add_response(path, response)
                if "text/html" in response.get("Content-Type", "") and not response.streaming:
                    seen.pages += 1
                    _read_page(seen, pool, role, path, response)
    return seen


def _read_page(seen: Seen, pool: Pool, role: str, path: str, response) -> None:
    page = parse_page(path, response.content.decode("utf-8", "replace"))
    for link in page.links:
        pool.add_link(link)
    csrf = response.cookies.get(settings.CSRF_COOKIE_NAME)
    for form in page.forms:
        for control in form.fields:
            for option in control.options:
                pool.add(control.name, option)
        instances = seen.forms[form.signature()]
        if sum(1 for r, _, _ in instances if r == role) < 3:  # a few of each (cases in several states)
            instances.append((role, form, csrf.value if csrf else ""))


# --- URL patterns -------------------------------------------------------------------------------------------


def url_probes(routes: list[Route], pool: Pool, roles: list[str], seen: Seen) -> list[Probe]:
    """Each URL pattern with real values and every other method, as every persona; each path parameter
    with each hostile path value; each query parameter the view reads (and no form of its declares) with
    each hostile class; and every name seen anywhere at once. Persona by persona in turn."""
    probes = []
    names = [n for n in pool.names() if len(n) < 40][:40]
    declared = defaultdict(set)  # route → the fields of its own GET forms (the form test sends those)
    for (form_route, method, fields, _), _instances in seen.forms.items():
        if method == "GET":
            declared[form_route] |= set(fields)
    # A name many routes read (DRF's `format`, Open311's `jurisdiction_id`) is read by code they share:
    # three of those routes are attacked with it, not all.
    readers = defaultdict(list)
    for route in routes:
        for name in sorted(seen.query_reads[route.name] - declared[route.name]):
            if route.name not in readers[name]:
                readers[name].append(route.name)
    reads = defaultdict(set)
    for name, route_names in readers.items():
        for route_name in route_names[:3]:
            reads[route_name].add(name)
    for route in routes:
        fills = real_fills(route, pool, limit=2) or [{p: "1" for p in route.params}]
        turn = _rotate(roles)

        def probe(method, path, payload, stratum_payload=None, role=None, _route=route, _turn=turn):
            return Probe(
                "url",
                role or next(_turn),
                method,
                path,
                _route.name,
                payload,
                stratum=(_route.name, stratum_payload or payload),
                auth=auth_for(path),
            )

        for values in fills:
            path = route.fill(values)
            for method in OTHER_METHODS:
                for role in roles:
                    probes.append(probe(method, path, f"method:{method}", role=role))
        base = fills[0]
        for param in route.params:
            for name, value in payloads.PATH.items():
                path = route.fill({**base, param: payloads.url_quote(value) or "%20"})
                for method in ("GET", "POST"):
                    probes.append(probe(method, path, f"path:{param}={name}"))
        path = route.fill(base)
        for cls, value in payloads.field_classes().items():
            probes.append(probe("GET", f"{path}?{_query_everything(names, value)}", f"query:*={cls}"))
            for name in sorted(reads[route.name]):
                query = payloads.urlencode_pairs([(name, value)])
                probes.append(probe("GET", f"{path}?{query}", f"query:{name}={cls}"))
    return probes


# --- API operations -----------------------------------------------------------------------------------------


def _typed(value: str, schema: dict):
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return None
    return value


def synthesize(name: str, schema: dict, pool: Pool):
    """A valid-looking value for one input: the pool's real value by name, an enum's first value, or one
    built from the type and bounds."""
    for value in pool.get(name):
        typed = _typed(value, schema)
        if typed is not None:
            return typed
    if schema.get("enum"):
        return next((e for e in schema["enum"] if e not in ("", None)), schema["enum"][0])
    kind, fmt = schema.get("type"), schema.get("format")
    low, high = schema.get("minimum"), schema.get("maximum")
    if kind == "integer":
        return max(int(low) if low is not None else 1, 1) if high is None or high >= 1 else int(high)
    if kind == "number":
        return (low + high) / 2 if low is not None and high is not None else 1.0
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        return {}
    if fmt == "date":
        return (dt.date.today() - dt.timedelta(days=30)).isoformat()
    if fmt == "date-time":
        return (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    if fmt == "email":
        return "someone@example.org"
    return "测试内容"


def baseline_body(op: Operation, pool: Pool) -> dict:
    """The required fields and those of the schema's example, with real values where the pool has them."""
    body = {}
    for name, schema in op.body.items():
        if name in op.files:
            continue
        if name in op.example:
            body[name] = op.example[name]
        elif name in op.required:
            body[name] = synthesize(name, schema, pool)
    # Real codes beat the example's (the example speaks of the demo district, not the test world).
    for name in body:
        real = pool.get(name)
        if real and isinstance(body[name], str):
            body[name] = real[0]
    return body


def _collection(path: str, param: str) -> str:
    segments = [s for s in path.split("/") if s]
    index = segments.index("{" + param + "}")
    return segments[index - 1] if index else ""


def path_candidates(op: Operation, pool: Pool, limit: int = 8) -> list[dict[str, str]]:
    """Real values for the operation's path: by the collection the parameter sits in (residents:id),
    by name, and for `photo_id` the ids listed under `photos`."""
    choices = []
    for param in op.path_params:
        collection = _collection(op.path, param)
        stem = param.removesuffix("_id")
        values = pool.get(f"{collection}:{param}", param, f"{stem}s:id", f"{collection}:id") or ["1"]
        choices.append(values)
    combos = itertools.islice(itertools.product(*choices), limit)
    return [dict(zip(op.path_params, combo, strict=True)) for combo in combos]


def op_path(op: Operation, values: dict[str, str], query: str = "") -> str:
    path = op.path
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return f"{path}?{query}" if query else path


def _rank(status: int) -> int:
    """How far a valid request got: done, refused for its state, refused for its input, or turned away."""
    if status < 300:
        return 5
    if status < 400:
        return 4
    if status == 409:
        return 3
    if status in (400, 413, 415, 422) or status >= 500:
        return 2
    return 0


@dataclass
class Reach:
    """Per operation: the personas that got past authentication and permissions with a valid request,
    and for each the path values that got furthest."""

    roles: list[str]
    fills: dict[str, dict[str, str]]


def _encoded(op: Operation, values: dict) -> tuple[str, bytes]:
    """The body in the operation's preferred form encoding (for text classes sent as a browser would)."""
    pairs = []
    for name, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append(
                (name, item if isinstance(item, str | bytes | payloads.Upload) else json.dumps(item))
            )
    if "application/x-www-form-urlencoded" in op.content_types and not any(
        isinstance(v, payloads.Upload) for _, v in pairs
    ):
        return "application/x-www-form-urlencoded", payloads.urlencode_pairs(pairs).encode()
    return payloads.MULTIPART, payloads.multipart_body(pairs)


def api_reach(sender: Sender, ops: list[Operation], pool: Pool, roles: list[str]) -> dict[str, Reach]:
    """Each operation with a valid request, as every persona, on the objects the pool offers: who gets in,
    and with which object it gets furthest. A persona stops at the first object it gets done, or at a
    refusal for what it is (401, 403); a 404 (an object it may not see) tries the next."""
    reach = {}
    for op in ops:
        body = json.dumps(baseline_body(op, pool)).encode() if op.content_types else b""
        inside, fills = [], {}
        for role in roles:
            best = (-1, {})
            for values in path_candidates(op, pool):
                probe = Probe(
                    "api",
                    role,
                    op.method,
                    op_path(op, values),
                    op.label,
                    "baseline",
                    body=body,
                    content_type="application/json" if body else "",
                    auth="token",
                )
                status = sender.send(probe).status_code
                if _rank(status) > best[0]:
                    best = (_rank(status), values)
                if _rank(status) == 5 or status in (401, 403):
                    break
            fills[role] = best[1]
            if best[0] >= 2:
                inside.append(role)
        reach[op.label] = Reach(inside or list(roles), fills)
    return reach


def _query_everything(names: list[str], value: str | bytes) -> str:
    """Every parameter name seen anywhere at once, with one hostile value (long values in the first only)."""
    return payloads.urlencode_pairs([(n, value) for n in (names if len(value) <= 200 else names[:1])])


class _OperationProbes:
    """Probes of one operation: each from the next persona that gets in, on the objects it got furthest
    with (or from a persona that does not, when told)."""

    def __init__(self, op: Operation, reach: Reach):
        self.op, self.reach = op, reach
        self.inside = _rotate(reach.roles)
        self.outside = _rotate([r for r in reach.fills if r not in reach.roles] or [ANON])
        self.probes: list[Probe] = []

    def add(self, payload, stratum, *, body=b"", content_type="", path_values=None, query="", outside=False):
        role = next(self.outside if outside else self.inside)
        values = {**self.reach.fills[role], **(path_values or {})}
        self.probes.append(
            Probe(
                "api",
                role,
                self.op.method,
                op_path(self.op, values, query),
                self.op.label,
                payload,
                body=body,
                content_type=content_type,
                stratum=(self.op.label, *stratum),
                auth="token",
            )
        )


def api_probes(ops: list[Operation], pool: Pool, reach: dict[str, Reach]) -> list[Probe]:
    """Every input of every operation with every hostile class, sent by the personas that get in; every
    body class also by one that does not (the refusal must come before the parsing fails); and every
    parameter name seen anywhere in the query string, for what a view reads without documenting it."""
    probes = []
    names = [n for n in pool.names() if len(n) < 40][:40]
    uploads = payloads.uploads()
    for op in ops:
        out = _OperationProbes(op, reach[op.label])
        base = baseline_body(op, pool)
        text_base = {k: v for k, v in base.items() if not isinstance(v, dict | list)}
        form_encoded = bool(set(op.content_types) - {"application/json"})
        for name in op.body if op.content_types else ():
            if name in op.files:
                for cls, upload in uploads.items():
                    content_type, body = _encoded(op, {**text_base, name: upload})
                    out.add(f"file:{name}={cls}", (name, cls), body=body, content_type=content_type)
                continue
            # Every class as JSON; the text classes also form-encoded, as a browser would send them.
            for cls, value in {**payloads.TEXT, **payloads.BYTES, **payloads.JSON_ONLY}.items():
                body = functools.partial(payloads.json_body, {**base, name: value})
                out.add(f"field:{name}={cls}", (name, cls), body=body, content_type="application/json")
            if form_encoded:
                hostile = {**payloads.field_classes(), "file_for_text": uploads["valid_jpeg"]}
                for cls, value in hostile.items():
                    content_type, body = _encoded(op, {**text_base, name: value})
                    out.add(
                        f"form-field:{name}={cls}", (name, "form", cls), body=body, content_type=content_type
                    )
        if op.content_types:
            for cls, (content_type, body) in payloads.bodies(json.dumps(base).encode()).items():
                out.add(f"body:{cls}", ("body", cls), body=body, content_type=content_type)
                out.add(
                    f"body:{cls}", ("body-outside", cls), body=body, content_type=content_type, outside=True
                )
        for name in op.query_params:
            for cls, value in payloads.field_classes().items():
                out.add(f"query:{name}={cls}", (name, cls), query=payloads.urlencode_pairs([(name, value)]))
        for cls, value in payloads.field_classes().items():
            out.add(f"query:*={cls}", ("query-everything", cls), query=_query_everything(names, value))
        for name in op.path_params:
            for cls, value in payloads.PATH.items():
                values = {name: payloads.url_quote(value) or "%20"}
                out.add(f"path:{name}={cls}", (name, cls), path_values=values)
        probes += out.probes
    return probes


def api_method_probes(ops: list[Operation], reach: dict[str, Reach]) -> list[Probe]:
    """The methods a path does not offer: refused in the API's shape."""
    offered: dict[str, set[str]] = defaultdict(set)
    by_path: dict[str, Operation] = {}
    for op in ops:
        offered[op.path].add(op.method)
        by_path.setdefault(op.path, op)
    probes = []
    for path, op in by_path.items():
        role = reach[op.label].roles[0]
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            if method not in offered[path]:
                probes.append(
                    Probe(
                        "api",
                        role,
                        method,
                        op_path(op, reach[op.label].fills[role]),
                        f"{method} {path}",
                        f"method:{method}",
                        body=b"{}",
                        content_type="application/json",
                        stratum=(path, method),
                        auth="token",
                    )
                )
    return probes


# --- web forms ----------------------------------------------------------------------------------------------


def _default(control: Control, pool: Pool) -> str:
    """What a person would send: the control's value, else a real value by its name, else (when required)
    one of its type."""
    if control.value:
        return control.value
    real = pool.get(control.name)
    if real:
        return real[0]
    if "required" not in control.attrs:
        return ""  # an optional field a person leaves empty
    kind = control.kind
    if kind == "number" or control.attrs.get("inputmode") == "numeric":
        return control.attrs.get("min") or "1"
    if kind == "date":
        return (dt.date.today() - dt.timedelta(days=30)).isoformat()
    if kind == "datetime-local":
        return (dt.datetime.now() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    if kind == "email":
        return "someone@example.org"
    if kind == "tel":
        return "13812345678"
    if kind in ("hidden", "select"):
        return ""
    return "测试内容"


def form_pairs(form: Form, pool: Pool) -> list[tuple[str, object]]:
    """The form as submitted by a person: every field with its default (checked boxes only), the first
    named submit button, and a valid photo for each file input."""
    pairs: list[tuple[str, object]] = []
    radios: set[str] = set()
    for control in form.fields:
        if control.kind == "checkbox" and not control.checked:
            continue
        if control.kind == "radio":
            if control.name in radios:
                continue
            radios.add(control.name)
        if control.kind == "file":
            pairs.append((control.name, payloads.uploads()["valid_jpeg"]))
            continue
        pairs.append((control.name, _default(control, pool)))
    button = next((c for c in form.controls if c.kind == "submit" and c.name), None)
    if button is not None:
        pairs.append((button.name, button.value))
    return [("csrfmiddlewaretoken", form.csrf_token), *pairs] if form.csrf_token else pairs


def _form_request(form: Form, pairs: list[tuple[str, object]]) -> tuple[str, bytes | None, str]:
    """(path, body, content type): GET forms put the fields in the query string."""
    if form.method == "GET":
        text = [(n, v) for n, v in pairs if not isinstance(v, payloads.Upload) and n != "csrfmiddlewaretoken"]
        base = form.action.split("?", 1)[0]
        return f"{base}?{payloads.urlencode_pairs(text)}", None, ""
    if form.multipart or any(isinstance(v, payloads.Upload) for _, v in pairs):
        return form.action, functools.partial(payloads.multipart_body, pairs), payloads.MULTIPART
    return form.action, payloads.urlencode_pairs(pairs).encode(), "application/x-www-form-urlencoded"


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _form_probe(endpoint, form, role, csrf, pairs, payload, stratum, *, body=None, content_type=None):
    """`pairs` submitted through `form` (or `body` instead); with `csrf`, the CSRF check is enforced."""
    path, built, built_type = _form_request(form, pairs)
    return Probe(
        "form",
        role,
        form.method,
        _path_of(path),
        endpoint,
        payload,
        body=built if body is None else body,
        content_type=built_type if content_type is None else content_type,
        stratum=(endpoint, *stratum),
        csrf_cookie=csrf,
    )


def _replaced(pairs: list[tuple[str, object]], name: str, cls: str, value) -> list[tuple[str, object]]:
    """The submission with field `name` hostile: the value, sent twice ("repeated"), or a file."""
    out: list[tuple[str, object]] = []
    for current_name, current in pairs:
        if current_name != name:
            out.append((current_name, current))
        elif cls == "repeated":
            out += [(name, current), (name, payloads.TEXT["script"])]
        else:
            out.append((name, value))
    return out


def form_probes(seen: Seen, pool: Pool) -> list[Probe]:
    """Each form as its personas see it: submitted as is, then each field with each hostile class (and
    sent twice, and a file where text belongs), each file input with each upload class, the whole body
    with each body class, and without or with a wrong CSRF token."""
    probes = []
    uploads = payloads.uploads()
    for signature, instances in seen.forms.items():
        endpoint = f"{instances[0][1].method} {signature[0]} ({signature[3] or '/'})"
        turn = itertools.cycle(instances)
        for role, form, _ in instances:
            probes.append(
                _form_probe(endpoint, form, role, None, form_pairs(form, pool), "baseline", ("base",))
            )
        template = instances[0][1]
        for control in template.fields:
            if control.kind == "file":
                hostile: dict[str, object] = dict(uploads)
            else:
                hostile = {**payloads.field_classes(), "repeated": None}
                if template.method == "POST":
                    hostile["file_for_text"] = uploads["valid_jpeg"]
            for cls, value in hostile.items():
                role, form, _ = next(turn)
                pairs = _replaced(form_pairs(form, pool), control.name, cls, value)
                prefix = "file" if control.kind == "file" else "field"
                payload = f"{prefix}:{control.name}={cls}"
                probes.append(_form_probe(endpoint, form, role, None, pairs, payload, (control.name, cls)))
        if template.method != "POST":
            continue
        for cls, (content_type, body) in payloads.form_bodies(_urlencoded(template, pool)).items():
            role, form, _ = next(turn)
            probes.append(
                _form_probe(
                    endpoint,
                    form,
                    role,
                    None,
                    [],
                    f"body:{cls}",
                    ("body", cls),
                    body=body,
                    content_type=content_type,
                )
            )
        role, form, csrf = next(turn)
        without = [(n, v) for n, v in form_pairs(form, pool) if n != "csrfmiddlewaretoken"]
        garbage = [("csrfmiddlewaretoken", payloads.TEXT["nul"]), *without]
        for cls, pairs in (("missing", without), ("hostile", garbage)):
            probes.append(_form_probe(endpoint, form, role, csrf, pairs, f"csrf:{cls}", ("csrf", cls)))
    return probes


def _urlencoded(form: Form, pool: Pool) -> bytes:
    pairs = [(n, v) for n, v in form_pairs(form, pool) if not isinstance(v, payloads.Upload)]
    return payloads.urlencode_pairs(pairs).encode()


# --- Open311 ------------------------------------------------------------------------------------------------

OPEN311 = "/open311/v2/"


def open311_create_base(definitions: dict[str, dict], api_key: str, pool: Pool) -> list[tuple[str, str]]:
    """A valid request for the first service that asks questions (every question answered)."""
    code, definition = next(
        ((c, d) for c, d in definitions.items() if d.get("attributes")), next(iter(definitions.items()))
    )
    lat, lng = (pool.get("lat") or ["28.68"])[0], (pool.get("long", "lng") or ["115.89"])[0]
    pairs = [
        ("api_key", api_key),
        ("service_code", code),
        ("lat", lat),
        ("long", lng),
        ("description", "路边垃圾堆放"),
        ("email", "someone@example.org"),
    ]
    for attribute in definition.get("attributes", []):
        if not attribute.get("variable", True):
            continue
        values = [v["key"] for v in attribute.get("values", [])]
        if attribute.get("datatype") == "multivaluelist":
            pairs.append((f"attribute[{attribute['code']}][]", values[0] if values else "x"))
        elif attribute.get("datatype") == "number":
            pairs.append((f"attribute[{attribute['code']}]", "1.5"))
        elif attribute.get("datatype") == "datetime":
            pairs.append((f"attribute[{attribute['code']}]", dt.datetime.now(dt.UTC).isoformat()))
        else:
            pairs.append((f"attribute[{attribute['code']}]", values[0] if values else "x"))
    return pairs


def open311_probes(base: list[tuple[str, str]], roles: list[str]) -> list[Probe]:
    """Creating a request: every parameter (the spec's and each question) with every hostile class, as JSON
    and as XML; the body classes; `media` with each upload class. Searching: every search parameter."""
    probes = []
    turn = _rotate(roles)
    formats = itertools.cycle(("json", "xml"))
    names = list(dict.fromkeys([*CREATE_PARAMETERS, *(n for n, _ in base)]))

    def probe(method, path, payload, stratum, body=b"", content_type=""):
        return Probe(
            "open311",
            next(turn),
            method,
            path,
            f"{method} {path.split('?')[0]}",
            payload,
            body=body,
            content_type=content_type,
            stratum=stratum,
        )

    form = "application/x-www-form-urlencoded"
    probes.append(
        probe(
            "POST",
            f"{OPEN311}requests.json",
            "baseline",
            ("baseline",),
            payloads.urlencode_pairs(base).encode(),
            form,
        )
    )
    for name in names:
        for cls, value in payloads.field_classes().items():
            pairs = [(n, v) for n, v in base if n != name] + [(name, value)]
            body = payloads.urlencode_pairs(pairs).encode()
            for fmt in ("json", "xml"):
                path = f"{OPEN311}requests.{fmt}"
                probes.append(
                    probe("POST", path, f"field:{name}={cls}", ("create", name, cls, fmt), body, form)
                )
    valid = payloads.urlencode_pairs(base).encode()
    for cls, (content_type, body) in payloads.form_bodies(valid).items():
        probes.append(
            probe(
                "POST", f"{OPEN311}requests.{next(formats)}", f"body:{cls}", ("body", cls), body, content_type
            )
        )
    for cls, upload in payloads.uploads().items():
        body = functools.partial(payloads.multipart_body, [*base, ("media", upload)])
        probes.append(
            probe(
                "POST",
                f"{OPEN311}requests.json",
                f"file:media={cls}",
                ("media", cls),
                body,
                payloads.MULTIPART,
            )
        )
    for name in SEARCH_PARAMETERS:
        for cls, value in payloads.field_classes().items():
            query = payloads.urlencode_pairs([(name, value)])
            for fmt in ("json", "xml"):
                path = f"{OPEN311}requests.{fmt}?{query}"
                probes.append(probe("GET", path, f"query:{name}={cls}", ("search", name, cls, fmt)))
    return probes
