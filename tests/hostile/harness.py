"""Sending probes and judging the answers: one request per probe, as a persona, rolled back afterwards.

A probe is one request: who sends it, what, and which endpoint and payload class it exercises (for the
report). The Sender sends it through Django's test client inside a savepoint that is rolled back, so the
world stays as built whatever the request did (a case filed, a session ended, a lockout counted), and a
database error inside one request cannot poison the next. The verdict: never a 5xx, and a refusal (4xx)
says what was wrong in its channel's shape.
"""

import json
import random
import time
import traceback
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import Client

from .payloads import CORE

ANON = "anonymous"
PROJECT = Path(settings.BASE_DIR)


@dataclass(eq=False)
class Probe:
    channel: str  # "crawl", "url", "api", "form", "open311": the test that sends it
    role: str
    method: str
    path: str  # path and query string, percent-encoded
    endpoint: str  # the pattern it exercises: "POST /api/v1/cases/{number}/file/", "case-action", …
    payload: str  # the payload class: "baseline", "field:lat=nan", "body:deep_json_arrays", …
    body: bytes | Callable[[], bytes] = b""  # built when sent when it is a function (most are never sent)
    content_type: str = ""
    stratum: tuple = ()  # probes of one stratum test the same thing; sampling takes every stratum first
    auth: str = "session"  # "session" (web pages) or "token" (the REST API)
    csrf_cookie: str | None = None  # set: the CSRF check is enforced, with this cookie

    @property
    def cls(self) -> str:
        """The payload class alone: "nan" of "field:lat=nan", "deep_json_arrays" of "body:deep_json_…"."""
        return self.payload.rsplit("=", 1)[-1] if "=" in self.payload else self.payload.split(":")[-1]

    def describe(self, status: int | None = None) -> str:
        path = self.path if len(self.path) <= 150 else self.path[:150] + f"…({len(self.path)} chars)"
        answer = f" → {status}" if status is not None else ""
        return f"{self.method} {path} as {self.role} [{self.payload}]{answer}"


@dataclass
class Failure:
    verdict: str
    probe: Probe
    status: int
    exception: str  # "RecursionError", or "" when none was raised
    where: str  # the innermost project frame, and the innermost frame when that is elsewhere
    excerpt: str  # the exception's message, or the first lines of the body
    trace: list[str] = field(default_factory=list)  # the traceback's last frames


@dataclass
class Tally:
    """Requests per channel and status class, for the terminal summary."""

    counts: dict = field(default_factory=lambda: defaultdict(Counter))
    seconds: Counter = field(default_factory=Counter)
    throttled: int = 0

    @property
    def total(self) -> int:
        return sum(sum(c.values()) for c in self.counts.values())

    def by_class(self) -> Counter:
        merged: Counter = Counter()
        for counter in self.counts.values():
            merged.update(counter)
        return merged

    def summary(self) -> list[str]:
        if not self.total:
            return []
        classes = self.by_class()
        lines = [
            f"{self.total:,} requests in {sum(self.seconds.values()):.0f} s on "
            f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}: "
            + ", ".join(f"{k}: {classes[k]:,}" for k in sorted(classes))
            + f" (429 throttled: {self.throttled:,})"
        ]
        for channel, counter in self.counts.items():
            lines.append(
                f"  {channel:8} {sum(counter.values()):6,} in {self.seconds[channel]:5.1f} s  "
                + ", ".join(f"{k}: {counter[k]:,}" for k in sorted(counter))
            )
        return lines


# The terminal summary (conftest.py) prints this after the run.
TALLY = Tally()


def _safe(text: str, limit: int = 300) -> str:
    """Printable in any terminal: no lone surrogates, no control characters, not too long."""
    text = text if len(text) <= limit else text[:limit] + "…"
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return "".join(ch if ch.isprintable() or ch == " " else f"\\x{ord(ch):02x}" for ch in text)


def _frame(frame: traceback.FrameSummary) -> str:
    path = Path(frame.filename)
    shown = path.relative_to(PROJECT) if path.is_relative_to(PROJECT) else path
    text = str(shown)
    for marker in ("site-packages/", "/lib/python3"):
        if marker in text:  # a library's or the standard library's module, by its import path
            text = text.split(marker, 1)[1]
            text = text.split("/", 1)[1] if marker == "/lib/python3" else text
    return f"{text}:{frame.lineno} in {frame.name}"


def _where(tb) -> str:
    """The innermost frame of the project (else of a third-party app such as django-axes, else any), and the
    innermost frame of all when that is another."""
    frames = traceback.extract_tb(tb)
    if not frames:
        return "?"
    ours = [f for f in frames if Path(f.filename).is_relative_to(PROJECT) and ".venv" not in f.filename]
    apps = [f for f in frames if "site-packages/" in f.filename and "site-packages/django/" not in f.filename]
    culprit, innermost = _frame((ours or apps or frames)[-1]), _frame(frames[-1])
    return culprit if culprit == innermost else f"{culprit} → {innermost}"


def _api_error_ok(response) -> bool:
    """{"error": {"code", "message"}}, in JSON or (the schema endpoint's own format) in YAML."""
    try:
        if "yaml" in response.get("Content-Type", "") or "openapi" in response.get("Content-Type", ""):
            error = yaml.safe_load(response.content)["error"]
        else:
            error = json.loads(response.content)["error"]
        return bool(str(error["code"]).strip()) and bool(str(error["message"]).strip())
    except (ValueError, KeyError, TypeError, yaml.YAMLError):
        return False


def _georeport_error_ok(response) -> bool:
    """GeoReport v2's error list, JSON or XML: at least one error, each with a description."""
    try:
        if "json" in response.get("Content-Type", ""):
            errors = json.loads(response.content)
            return bool(errors) and all(str(e["description"]).strip() for e in errors)
        root = ET.fromstring(response.content)
        errors = root.findall("error")
        return root.tag == "errors" and bool(errors) and all(e.findtext("description") for e in errors)
    except (ValueError, KeyError, TypeError, ET.ParseError):
        return False


def verdict(probe: Probe, response) -> str | None:
    """None when the answer is acceptable; else what is wrong with it."""
    status = response.status_code
    if status >= 500:
        return "server error"
    if status < 400 or probe.method == "HEAD":
        return None
    path = urlsplit(probe.path).path
    if path.startswith("/api/"):
        return None if _api_error_ok(response) else "refusal without the API's error shape"
    if path.startswith("/open311/"):
        return None if _georeport_error_ok(response) else "refusal without a GeoReport error list"
    body = response.streamed if response.streaming else response.content
    return None if body.strip() else "refusal with an empty page"


class Sender:
    """Sends probes as the personas: web pages with the persona's session, the API with its token."""

    def __init__(self, *, sessions: dict[str, str], tokens: dict[str, str]):
        self.sessions, self.tokens = sessions, tokens
        self.client = Client(raise_request_exception=False)
        self.csrf_client = Client(raise_request_exception=False, enforce_csrf_checks=True)
        self.failures: dict[str, list[Failure]] = defaultdict(list)

    def send(self, probe: Probe):
        """Send one probe, judge the answer and return it.

        Never `response.close()` here: that fires request_finished again, whose close_old_connections
        would close the connection in the middle of the module's transaction (the test client closes a
        response itself with that handler disconnected). A streamed response is read to its end instead,
        which closes its file the same careful way."""
        client = self.csrf_client if probe.csrf_cookie is not None else self.client
        client.cookies.clear()  # nothing carries over: a logout, a language or a message cookie
        extra = {}
        if probe.role != ANON:
            if probe.auth == "token":
                extra["HTTP_AUTHORIZATION"] = f"Token {self.tokens[probe.role]}"
            else:
                client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[probe.role]
        if probe.csrf_cookie:
            client.cookies[settings.CSRF_COOKIE_NAME] = probe.csrf_cookie
        if probe.content_type:
            extra["CONTENT_TYPE"] = probe.content_type
        body = probe.body() if callable(probe.body) else probe.body
        cache.clear()  # throttle counters: every request is judged on its own, never throttled by the last
        started = time.perf_counter()
        with transaction.atomic():
            response = client.generic(probe.method, probe.path, data=body, **extra)
            if response.streaming:
                response.streamed = b"".join(response.streaming_content)
            transaction.set_rollback(True)
        TALLY.seconds[probe.channel] += time.perf_counter() - started
        TALLY.counts[probe.channel][f"{response.status_code // 100}xx"] += 1
        TALLY.throttled += response.status_code == 429
        found = verdict(probe, response)
        if found:
            self.failures[probe.channel].append(self._failure(found, probe, response))
        return response

    def send_all(self, probes: list[Probe]) -> None:
        for probe in probes:
            self.send(probe)

    @staticmethod
    def _failure(found: str, probe: Probe, response) -> Failure:
        exc_info = getattr(response, "exc_info", None)
        if exc_info:
            kind, value, tb = exc_info
            message = traceback.format_exception_only(kind, value)[-1].strip()
            trace = [_frame(f) for f in traceback.extract_tb(tb)[-4:]]
            return Failure(
                found, probe, response.status_code, kind.__name__, _where(tb), _safe(message), trace
            )
        body = response.streamed if response.streaming else response.content
        text = body.decode("utf-8", "replace").strip()
        excerpt = f"{response.get('Content-Type', '')}: " + " ".join(text.splitlines()[:3])
        return Failure(found, probe, response.status_code, "", "", _safe(excerpt, 200))


# --- sampling -----------------------------------------------------------------------------------------------

SEED = 20261207


def sample(probes: list[Probe], budget: int, *, seed: int = SEED) -> list[Probe]:
    """At most `budget` probes, the same ones on every run: one probe of every endpoint; then one of every
    stratum, those of the issue's classes (payloads.CORE) first, in a seeded order; then a second of each,
    and so on. So every stratum is covered before any is repeated, and the named classes before the rest.
    The result keeps the probes' original order."""
    rng = random.Random(seed)
    strata: dict[tuple, list[int]] = defaultdict(list)
    for index, probe in enumerate(probes):
        strata[probe.stratum].append(index)
    core = [key for key in strata if probes[strata[key][0]].cls in CORE]
    rest = [key for key in strata if probes[strata[key][0]].cls not in CORE]
    rng.shuffle(core)
    rng.shuffle(rest)
    order = core + rest
    for key in order:
        rng.shuffle(strata[key])
    # First one probe of every endpoint (a stratum's first element), so none is left out on a small budget.
    chosen: list[int] = []
    endpoints: dict = {}
    for key in order:
        endpoints.setdefault(key[:1], key)
    firsts = {strata[key][0] for key in list(endpoints.values())[:budget]}
    chosen.extend(sorted(firsts))
    depth = 0
    while len(chosen) < budget and any(depth < len(strata[key]) for key in order):
        for key in order:
            if depth < len(strata[key]) and strata[key][depth] not in firsts:
                chosen.append(strata[key][depth])
                if len(chosen) == budget:
                    break
        depth += 1
    return [probes[i] for i in sorted(chosen)]


# --- the report ---------------------------------------------------------------------------------------------


def report(failures: list[Failure], sent: int) -> str:
    """Every failure, grouped: first the distinct causes (verdict, exception, where), then each failing
    request under its endpoint and payload class."""
    if not failures:
        return ""
    causes: dict[tuple, list[Failure]] = defaultdict(list)
    for failure in failures:
        causes[(failure.verdict, failure.status, failure.exception, failure.where)].append(failure)
    lines = [f"{len(failures)} of {sent} requests failed, {len(causes)} distinct causes:"]
    for (found, status, exception, where), group in sorted(causes.items(), key=lambda kv: -len(kv[1])):
        endpoints = sorted({f.probe.endpoint for f in group})
        payloads = sorted({f.probe.payload.split("=", 1)[-1] for f in group})
        lines.append(
            f"- {found} {status}{' ' + exception if exception else ''}{' at ' + where if where else ''}: "
            f"{len(group)} requests, {len(endpoints)} endpoints ({_safe(', '.join(endpoints), 160)}), "
            f"payloads: {_safe(', '.join(payloads), 200)}"
        )
        lines.append(f"    {group[0].excerpt}")
        lines.extend(f"      at {frame}" for frame in group[0].trace)
    lines.append("")
    lines.append("Each failing request, by endpoint and payload class:")
    by_class: dict[tuple, list[Failure]] = defaultdict(list)
    for failure in failures:
        by_class[(failure.probe.endpoint, failure.probe.payload, failure.verdict)].append(failure)
    for (endpoint, payload, found), group in by_class.items():
        first = group[0]
        cause = f"{first.exception} at {first.where}" if first.exception else first.excerpt
        lines.append(f"* {endpoint} [{_safe(payload, 80)}] {found}: {_safe(cause, 240)}")
        for failure in group:
            lines.append(f"    {_safe(failure.probe.describe(failure.status), 260)}")
    return "\n".join(lines)
