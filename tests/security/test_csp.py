"""Content-Security-Policy (gridmgmt/csp.py): every HTML page carries the policy with a fresh nonce, and no
page of any console relies on what the policy forbids: inline event handlers, style attributes, inline
<script>/<style> without the nonce, javascript: URLs, htmx attributes that htmx evaluates as code.
The pages are found by following links from each persona's home page; tests/browser/test_csp.py proves in
Chromium that the pages run under the policy without a single violation."""

import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from cases.models import CaseState
from gridmgmt.csp import PERMISSIONS_POLICY, content_security_policy
from gridmgmt.map_tiles import tile_layers

from ..cases.helpers import drive, report
from ..grids.resident_factories import resident

S = CaseState
NONCE = re.compile(r"'nonce-([A-Za-z0-9_-]+)'")
MAX_PAGES_PER_PERSONA = 120


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: sources for name, *sources in (d.split() for d in header.split(";") if d.strip())}


def _nonce(response) -> str:
    found = set(NONCE.findall(response["Content-Security-Policy"]))
    assert len(found) == 1, response["Content-Security-Policy"]
    return found.pop()


class _Scan(HTMLParser):
    """Everything in one page that the policy would refuse, or that would only work with 'unsafe-*'."""

    def __init__(self, nonce: str):
        super().__init__(convert_charrefs=True)
        self.nonce = nonce
        self.problems: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        where = self.get_starttag_text()[:160]
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"inline event handler {name}: {where}")
            elif name == "style":
                self.problems.append(f"style attribute: {where}")
            elif name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"hx-on handler (evaluated code): {where}")
            elif name in ("hx-trigger", "data-hx-trigger") and "[" in value:
                self.problems.append(f"hx-trigger condition (evaluated code): {where}")
            elif name in ("hx-vals", "hx-vars", "data-hx-vals", "data-hx-vars") and re.match(
                r"\s*(js|javascript):", value
            ):
                self.problems.append(f"{name} with code: {where}")
            elif name in ("href", "src", "action", "formaction") and value.strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"javascript: URL: {where}")
        if tag == "script":
            is_data = (values.get("type") or "").lower() == "application/json"
            if not values.get("src") and not is_data and values.get("nonce") != self.nonce:
                self.problems.append(f"inline script without this response's nonce: {where}")
        if tag == "style" and values.get("nonce") != self.nonce:
            self.problems.append(f"<style> without this response's nonce: {where}")
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])


def _scan(response) -> _Scan:
    scan = _Scan(_nonce(response))
    scan.feed(response.content.decode())
    scan.close()
    return scan


def _is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


def _key(url: str) -> str:
    """Pages that differ only in ids (or, in the admin, in sorting and filters) are scanned once."""
    parts = urlsplit(url)
    query = "" if parts.path.startswith("/admin/") else parts.query
    return re.sub(r"\d+", "N", parts.path + "?" + query)


def _crawl(client: Client, seeds: list[str]) -> dict[str, list[str]]:
    """GET every page reachable by links from `seeds` on our site; {url: problems} of the HTML pages."""
    queue, seen, results = deque(seeds), {_key(u) for u in seeds}, {}
    while queue and len(results) < MAX_PAGES_PER_PERSONA:
        url = queue.popleft()
        response = client.get(url)
        if response.status_code != 200 or not _is_html(response):
            continue
        scan = _scan(response)
        results[url] = scan.problems
        for href in scan.links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            if parts.path.startswith(("/static/", "/media/", "/i18n/")) or "logout" in parts.path:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if _key(target) not in seen:
                seen.add(_key(target))
                queue.append(target)
    return results


@pytest.fixture
def pages_world(world):
    """Cases in every state a console shows, a resident, and a superuser for the admin."""
    states = (S.REPORTED, S.DISPATCHED, S.IN_PROGRESS, S.RETURNED, S.RESOLVED)
    world.cases = {state: drive(world, state) for state in states}
    report(world, actor=world.resident, description="路灯不亮")
    world.resident_row = resident(world.g1)
    world.superuser = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    return world


PERSONAS = ("gridadmin", "dispatcher", "staff", "supervisor", "resident", "outsider", "superuser")


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_page_of_any_console_needs_what_the_policy_forbids(pages_world, persona):
    client = Client()
    client.force_login(getattr(pages_world, persona))
    seeds = [reverse("home")] + [
        reverse("case-detail", args=[case.pk]) for case in pages_world.cases.values()
    ]
    if persona == "superuser":
        seeds += ["/admin/", reverse("api-docs")]

    results = _crawl(client, seeds)

    assert reverse("home") in results
    if persona == "superuser":
        assert "/admin/" in results and any("/change/" in url for url in results), sorted(results)
    problems = {url: found for url, found in results.items() if found}
    assert problems == {}


def test_the_anonymous_pages_need_nothing_the_policy_forbids(db):
    results = _crawl(Client(), [reverse("login"), reverse("api-docs"), "/admin/login/"])
    assert set(results) >= {reverse("login"), reverse("api-docs"), "/admin/login/"}
    assert {url: found for url, found in results.items() if found} == {}


def test_the_scan_catches_what_the_policy_forbids():
    page = (
        '<div onclick="go()"></div><p style="color:red"></p><div hx-on:click="x()"></div>'
        '<div hx-trigger="every 5s [ok()]"></div><a href="javascript:alert(1)"></a>'
        '<script>alert(1)</script><script nonce="other">x()</script><style>p{}</style>'
        '<script type="application/json">{}</script><script src="/static/x.js"></script>'
        '<script nonce="N">fine()</script><style nonce="N">p{}</style>'
    )
    scan = _Scan("N")
    scan.feed(page)
    kinds = [problem.split(":")[0] for problem in scan.problems]
    assert kinds == [
        "inline event handler onclick",
        "style attribute",
        "hx-on handler (evaluated code)",
        "hx-trigger condition (evaluated code)",
        "javascript",
        "inline script without this response's nonce",
        "inline script without this response's nonce",
        "<style> without this response's nonce",
    ]


def test_html_pages_carry_the_policy_with_a_fresh_nonce_that_the_page_uses(db):
    client = Client()
    first, second = client.get(reverse("login")), client.get(reverse("login"))

    assert _nonce(first) != _nonce(second)
    assert f'nonce="{_nonce(first)}"' in first.content.decode()  # {% htmx_script %} gets it from the context
    assert _policy(first) == {
        "default-src": ["'self'"],
        "script-src": ["'self'", f"'nonce-{_nonce(first)}'"],
        "style-src": ["'self'", f"'nonce-{_nonce(first)}'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    assert first["Referrer-Policy"] == "same-origin"
    assert first["Permissions-Policy"] == PERMISSIONS_POLICY
    assert "geolocation=(self)" in PERMISSIONS_POLICY and "camera=(self)" in PERMISSIONS_POLICY


def test_the_api_docs_and_the_admin_carry_the_policy_too(pages_world):
    client = Client()
    client.force_login(pages_world.superuser)
    for url in (reverse("api-docs"), "/admin/", "/admin/cases/case/"):
        response = client.get(url)
        assert response.status_code == 200 and "'nonce-" in response["Content-Security-Policy"], url
    docs = client.get(reverse("api-docs"))
    assert docs.content.decode().count(f'nonce="{_nonce(docs)}"') == 2  # its inline <style> and init script


def test_json_responses_have_no_page_policy_but_the_permissions_policy(pages_world):
    client = Client()
    client.force_login(pages_world.dispatcher)
    response = client.get("/api/v1/cases/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert "Content-Security-Policy" not in response
    assert response["Permissions-Policy"] == PERMISSIONS_POLICY


def test_error_pages_carry_it_when_debug_is_off(db, settings):
    settings.DEBUG = False
    response = Client().get("/no-such-page/")
    assert response.status_code == 404 and "Content-Security-Policy" in response


def test_django_debug_error_pages_keep_their_inline_styles_and_scripts(db, settings):
    settings.DEBUG = True
    response = Client().get("/no-such-page/")
    assert response.status_code == 404 and "Content-Security-Policy" not in response


def test_images_may_come_from_the_map_tile_host(settings):
    settings.MAP_TILES = "intranet"
    settings.MAP_TILES_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    assert "img-src 'self' data: blob: https://tiles.example.org;" in content_security_policy("n")
    settings.MAP_TILES_URL = "https://{s}.tile.example.net:8443/osm/{z}/{x}/{y}.png"
    assert "img-src 'self' data: blob: https://*.tile.example.net:8443;" in content_security_policy("n")
    settings.MAP_TILES_URL = "//tiles.example.org/{z}/{x}/{y}.png"  # the page's own scheme
    assert "img-src 'self' data: blob: tiles.example.org;" in content_security_policy("n")
    settings.MAP_TILES_URL = "/tiles/{z}/{x}/{y}.png"  # our own origin
    assert "img-src 'self' data: blob:;" in content_security_policy("n")


def test_without_a_base_map_images_come_from_our_own_origin_only(settings):
    settings.MAP_TILES = "none"
    assert "img-src 'self' data: blob:;" in content_security_policy("n")


@pytest.mark.parametrize("url", ["https://tiles.{s}.example/{z}/{x}/{y}.png", "ftp://tiles.example/{z}.png"])
def test_a_tile_host_the_policy_cannot_express_is_refused(url):
    with pytest.raises(ImproperlyConfigured):
        tile_layers(preset="intranet", url=url, key="")
