"""The Content-Security-Policy in Chromium: every console's pages, the case detail, the report form, the
dispatch map, the evaluation dashboard, the API docs and the admin run under the policy without a single
violation, and still work: maps draw, htmx checks and polls (and pauses while the user works), forms submit.

A violation is caught twice: the page's `securitypolicyviolation` events, recorded by an init script into
window.__cspViolations, and Chromium's console messages ("Refused to …", "Content Security Policy")."""

import re

import pytest
from django.contrib.auth import get_user_model

from cases.models import CaseState

from ..cases.helpers import drive, report
from ..grids.resident_factories import resident
from .conftest import DESKTOP, PHONE

S = CaseState

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(
    e.violatedDirective + " refused " + (e.blockedURI || "inline")
    + " at " + e.sourceFile + ":" + e.lineNumber + (e.sample ? " (" + e.sample + ")" : "")
  );
});
"""


class CspWatch:
    """A page's CSP violations: its console messages about the policy, and the recorded violation events."""

    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        page.context.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._on_console)

    def _on_console(self, message) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.console.append(f"{self.page.url}: {message.text}")

    def visit(self, url: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.status == 200, url
        assert "'nonce-" in response.headers.get("content-security-policy", ""), url
        self.page.wait_for_load_state("networkidle")

    def violations(self) -> list[str]:
        return (self.page.evaluate("window.__cspViolations || []") or []) + self.console

    def assert_clean(self) -> None:
        assert self.violations() == [], self.page.url


@pytest.fixture
def csp_world(world):
    world.cases = {state: drive(world, state) for state in (S.REPORTED, S.DISPATCHED, S.RESOLVED)}
    world.resident_row = resident(world.g1)
    world.superuser = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    return world


def _open(open_page, user, viewport=DESKTOP):
    page, watcher = open_page(user, viewport=viewport)
    page.wait_for_load_state("networkidle")  # the home page after the login finishes loading (its favicon)
    return page, watcher, CspWatch(page)


def test_the_watch_sees_a_violation_so_a_clean_page_means_something(open_page, live_server, db):
    page, _watcher = open_page(None)
    csp = CspWatch(page)
    csp.visit(live_server.url + "/")
    csp.assert_clean()
    page.evaluate(
        """() => document.body.insertAdjacentHTML('beforeend',
             '<p style="color: red">x</p><img src="/static/img/favicon.svg" onload="window.__ran = true">')"""
    )
    page.wait_for_function("() => window.__cspViolations.length >= 2")
    found = " ".join(csp.violations())
    assert "style-src" in found and "script-src" in found
    assert page.evaluate("window.__ran === undefined")  # the inline handler did not run


PERSONAS = ("gridadmin", "dispatcher", "staff", "supervisor", "resident", "outsider")


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_in_a_roles_navigation_runs_under_the_policy(open_page, live_server, csp_world, persona):
    page, watcher, csp = _open(open_page, getattr(csp_world, persona), viewport=PHONE)
    csp.visit(live_server.url + "/home/")
    csp.assert_clean()
    targets = {a.get_attribute("href") for a in page.locator(".mainnav a").all()}
    targets |= {a.get_attribute("href") for a in page.locator("a.case-number").all()[:1]}  # a case detail
    for href in sorted(t for t in targets if t and t.startswith("/") and not t.startswith("/admin/")):
        csp.visit(live_server.url + href)
        if page.locator("[data-map]").count():
            page.locator("[data-map] .leaflet-interactive").first.wait_for()  # Leaflet drew the grid polygons
        csp.assert_clean()
    assert watcher.problems == []


def test_the_report_form_maps_checks_and_submits_under_the_policy(open_page, live_server, csp_world):
    page, watcher, csp = _open(open_page, csp_world.gridadmin, viewport=PHONE)
    csp.visit(live_server.url + "/report/")
    page.locator("[data-map=report] .leaflet-interactive").first.wait_for()
    page.locator("[data-map=report]").click()  # the grid fills the map: a tap lands inside it
    page.wait_for_function("() => document.getElementById('id_lat').value !== ''")
    page.locator("#report-check .hint-ok").wait_for()  # htmx asked the server about the spot
    page.fill("#category-filter", "暴露垃圾")  # app.js filters the category list
    page.fill("#id_description", "路边暴露垃圾")
    page.locator("form.report-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/cases/\d+/receipt/$"))
    csp.assert_clean()

    case_url = page.get_by_role("link", name="查看案件").get_attribute("href")
    csp.visit(live_server.url + case_url)
    page.locator("[data-map=case] .leaflet-marker-icon").wait_for()  # the case pin on the case map
    csp.assert_clean()
    assert watcher.problems == []


def test_the_dispatch_queue_polls_pauses_while_in_use_and_the_map_draws(open_page, live_server, csp_world):
    page, watcher, csp = _open(open_page, csp_world.dispatcher)
    polls: list[str] = []
    page.on("request", lambda r: "/dispatch/rows/" in r.url and polls.append(r.url))
    csp.visit(live_server.url + "/dispatch/?queue=triage")
    existing = csp_world.cases[S.REPORTED]
    page.locator(f'li[data-case="{existing.pk}"]').wait_for()

    # While a field of the queue has focus the poll skips its turn (app.js, htmx:beforeRequest).
    page.focus(f"#dept-{existing.pk}")
    before = len(polls)
    page.wait_for_timeout(6_500)
    assert len(polls) == before

    # Out of the queue again, the next poll brings a new report without a reload.
    page.evaluate("window.__stayed = true")
    page.locator("h1").click()
    fresh = report(csp_world, grid=csp_world.g2, description="新上报")
    page.locator(f'li[data-case="{fresh.pk}"]').wait_for(timeout=15_000)
    assert page.evaluate("window.__stayed === true") and len(polls) > before
    csp.assert_clean()

    csp.visit(live_server.url + "/dispatch/map/")
    page.locator("[data-map=cases] .leaflet-interactive").first.wait_for()
    csp.assert_clean()
    assert watcher.problems == []


def test_the_evaluation_dashboard_draws_under_the_policy(open_page, live_server, csp_world):
    page, watcher, csp = _open(open_page, csp_world.supervisor)
    csp.visit(live_server.url + "/evaluation/")
    for chart in ("states", "flow"):  # (too few closed cases here for the on-time chart)
        page.locator(f"[data-chart={chart}] svg").wait_for()
    page.locator(".chart-legend .key").first.wait_for()  # colours set from JS (CSSOM): allowed
    csp.assert_clean()
    csp.visit(live_server.url + "/evaluation/formulas/")
    csp.assert_clean()
    assert watcher.problems == []


def test_the_api_docs_render_under_the_policy(open_page, live_server, db):
    page, watcher = open_page(None)
    csp = CspWatch(page)
    csp.visit(live_server.url + "/api/docs/")
    page.locator(".swagger-ui .opblock").first.wait_for()  # the init script ran and fetched the schema
    page.locator(".swagger-ui .opblock-summary").first.click()
    page.locator(".swagger-ui .opblock-body").first.wait_for()
    csp.assert_clean()
    assert watcher.problems == []


def test_the_login_page_and_the_admin_run_under_the_policy(open_page, live_server, csp_world):
    anonymous, _ = open_page(None)
    csp = CspWatch(anonymous)
    csp.visit(live_server.url + "/")
    csp.visit(live_server.url + "/admin/login/")
    csp.assert_clean()

    page, watcher, csp = _open(open_page, csp_world.superuser)
    case = csp_world.cases[S.DISPATCHED]
    for url in (
        "/admin/",
        "/admin/cases/case/",
        f"/admin/cases/case/{case.pk}/change/",
        "/admin/cases/category/add/",
        "/admin/auth/user/",
        f"/admin/grids/resident/{csp_world.resident_row.pk}/change/",
    ):
        csp.visit(live_server.url + url)
        csp.assert_clean()
    # The admin's own scripts still work: the changelist's select-all box (admin/js/actions.js).
    csp.visit(live_server.url + "/admin/auth/user/")
    page.locator("#action-toggle").check()
    assert page.locator("#result_list tr.selected").count() == get_user_model().objects.count()
    csp.assert_clean()
    assert watcher.problems == []
