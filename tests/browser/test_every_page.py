"""Every page of every role, in Chromium, at 390 px and 1,280 px, in Chinese and in English, over the seeded
demo district: no page wider than its window, no department, grid or area code standing where its name
belongs, no English on a Chinese page outside data, no rate cut off instead of rounded, no debug page, no
console error and nothing fetched from another host. Pages are found from the URLconf and their parameters
filled from the district (tests/browser/pages.py); all problems are reported together at the end.

The markers that let a page show data as it is stored are described in pages.py's docstring
(`translate="no"`, <code>, <kbd>, <samp>, an element's own `lang`).

With SCREENSHOTS=<directory> (`make screenshots`), test_readme_screenshots writes the README's pictures;
with EVERY_PAGE_SHOTS=1 the page test keeps a picture of every page it measured, for a person to look at.
"""

import os
import re
import time
from collections import defaultdict
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from ..hostile.discovery import Route
from . import pages
from .conftest import ARTIFACTS, DESKTOP, PHONE, Watcher

LANGUAGES = {"zh-hans": "zh-CN", "en": "en-US"}
VIEWPORTS = {"390 px": PHONE, "1280 px": DESKTOP}
NOT_FOUND = "/no-such-page/"
# EVERY_PAGE_SHOTS=1: a full-page picture of every page at each width in test-artifacts/every-page/.
PAGE_SHOTS = ARTIFACTS.parent / "every-page" if os.environ.get("EVERY_PAGE_SHOTS") else None


class InFlight:
    """Counts the page's requests still running, so a page is measured once its scripts have drawn."""

    def __init__(self, page):
        self.running = 0
        page.on("request", self._start)
        page.on("requestfinished", self._end)
        page.on("requestfailed", self._end)

    def _start(self, _request) -> None:
        self.running += 1

    def _end(self, _request) -> None:
        self.running = max(0, self.running - 1)

    def settle(self, page, timeout: float = 3.0) -> None:
        deadline = time.monotonic() + timeout
        while self.running and time.monotonic() < deadline:
            page.wait_for_timeout(25)
        # Two animation frames: what the scripts changed has been laid out.
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def _context(browser, base_url: str, client, lang: str):
    context = browser.new_context(viewport=PHONE, locale=LANGUAGES[lang])
    cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": base_url}]
    session = client.cookies.get(settings.SESSION_COOKIE_NAME)
    if session is not None:
        cookies.append({"name": settings.SESSION_COOKIE_NAME, "value": session.value, "url": base_url})
    context.add_cookies(cookies)
    page = context.new_page()
    page.set_default_timeout(20_000)
    return context, page


def _visit(page, watcher, inflight, base_url: str, visit, *, check, place: dict) -> None:
    """Load at 390 px, measure; widen to 1,280 px, measure again (a resize, not a reload)."""
    watcher.problems = []
    page.set_viewport_size(PHONE)
    response = page.goto(base_url + visit.path)
    expected = visit.status
    if response is None or response.status != expected:
        status = response.status if response else "no response"
        check.add("status", f"{status}, expected {expected}", viewport="-", **place)
    for label, viewport in VIEWPORTS.items():
        if viewport != PHONE:
            page.set_viewport_size(viewport)
        inflight.settle(page)
        check.measured(page.evaluate(pages.MEASURE_JS, check.codes), visit, viewport=label, **place)
        if PAGE_SHOTS:
            slug = re.sub(r"[^\w]+", "-", visit.path).strip("-") or "root"
            name = f"{place['persona']}-{place['lang']}-{slug}-{viewport['width']}".replace(" ", "-")
            page.screenshot(path=str(PAGE_SHOTS / f"{name}.png"), full_page=True)
    # Chromium logs every document that is not a 2xx; on an error page that refusal is what was asked for.
    refusal = f"the server responded with a status of {expected}"
    for problem in watcher.problems:
        if expected == 200 or refusal not in problem:
            check.add("console, failed or external request", problem, viewport="-", **place)


class Checks(pages.Findings):
    def __init__(self, district):
        super().__init__()
        self.district = district
        self.exempt = district.usernames | set(district.names)
        self.codes = sorted(district.names)

    def measured(self, measure: dict, visit, **where) -> None:
        found = {
            "page wider than its window": pages.overflow_problems(measure),
            "debug page": pages.debug_problems(measure),
            "code without its name": pages.code_problems(measure, self.district.names),
            "English on a Chinese page": pages.english_problems(measure, exempt=self.exempt),
            "percentage": pages.percentage_problems(measure, visit),
            "language": [] if measure["lang"] == where["lang"] else [f"<html lang={measure['lang']!r}>"],
        }
        for kind, problems in found.items():
            for detail in problems:
                self.add(kind, detail, **where)


@pytest.mark.demo  # the district is the demo's
def test_every_page_of_every_role_fits_its_screen_and_speaks_the_users_language(browser, live_server):
    started = time.monotonic()
    if PAGE_SHOTS:
        PAGE_SHOTS.mkdir(parents=True, exist_ok=True)
    district = pages.district_seed()
    routes = pages.page_routes()
    clients = {persona: pages.persona_client(user) for persona, user in district.personas.items()}
    try:
        plans = {persona: pages.plan_for(client, routes, district) for persona, client in clients.items()}
    except pages.UnfillableParameter as exc:
        pytest.fail(str(exc))
    planned = time.monotonic()

    checks = Checks(district)
    timings = []
    for persona, client in clients.items():
        plan = plans[persona]
        # The styled error pages, in the persona's language: a page that is not there, one it may not see.
        errors = [pages.Visit(NOT_FOUND, "not found", [], [], status=404)]
        refused = [path for path, why in plan.refused.items() if why == "403"]
        errors += [pages.Visit(path, "forbidden", [], [], status=403) for path in refused[:1]]
        for lang in LANGUAGES:
            context, page = _context(browser, live_server.url, client, lang)
            watcher, inflight = Watcher(page, live_server.url), InFlight(page)
            for visit in plan.visits + errors:
                begun = time.monotonic()
                place = {"persona": persona, "lang": lang, "page": visit.path}
                _visit(page, watcher, inflight, live_server.url, visit, check=checks, place=place)
                timings.append((time.monotonic() - begun, f"{persona}/{lang} {visit.path}"))
            context.close()

    summary = _summary(plans, timings, seeding=planned - started, total=time.monotonic() - started)
    ARTIFACTS.parent.mkdir(parents=True, exist_ok=True)
    report = checks.report() if checks else "no problems"
    (ARTIFACTS.parent / "every-page.txt").write_text(f"{summary}\n{report}\n", encoding="utf-8")
    print(summary)
    assert not checks, f"{checks.count()} problems on the pages of every role:\n{report}"


def _summary(plans: dict, timings: list, *, seeding: float, total: float) -> str:
    """What was visited and what not (and why), and how long it took: test-artifacts/every-page.txt."""
    lines = [
        f"{len(timings)} page loads, each measured at {' and '.join(VIEWPORTS)}, in {total:.0f} s "
        f"(seeding the district and asking every page as every persona: {seeding:.0f} s)"
    ]
    for persona, plan in plans.items():
        lines.append(f"{persona}: {len(plan.visits)} pages: {' '.join(v.path for v in plan.visits)}")
        refused = defaultdict(list)
        for path, why in plan.refused.items():
            refused[why.split(" ")[0] if why.startswith("30") else why].append(path)
        lines.extend(f"    not opened, {why}: {' '.join(paths)}" for why, paths in refused.items())
    lines.append(
        "slowest: " + ", ".join(f"{where} {t:.1f} s" for t, where in sorted(timings, reverse=True)[:8])
    )
    return "\n".join(lines)


# --- the checks can fail ----------------------------------------------------------------------------------


def _measure(*texts, lang="zh-hans", scroll=390, **entry) -> dict:
    base = {"kind": "text", "data": False, "foreign": False, "context": "", "where": "td"}
    return {
        "scrollWidth": scroll,
        "width": 390,
        "widest": "table.wide",
        "lang": lang,
        "body": "",
        "texts": [base | {"text": t, "context": t} | entry for t in texts],
    }


def test_the_checks_find_what_they_look_for():
    names = {"water": ("department", "区水务局"), "36010200100101": ("grid", "公园第一社区第1网格")}
    assert pages.code_problems(_measure("承办：water"), names)
    assert not pages.code_problems(_measure("区水务局 water"), names)
    assert not pages.code_problems(_measure("water", data=True), names)
    assert pages.code_problems(_measure("网格 36010200100101"), names)
    assert pages.english_problems(_measure("Due 明天"), exempt=set())
    assert not pages.english_problems(_measure("导出 CSV，gridadmin1 提交，3 km"), exempt={"gridadmin1"})
    assert not pages.english_problems(_measure("English", foreign=True), exempt=set())
    assert not pages.english_problems(_measure("Due tomorrow", lang="en"), exempt=set())
    two_thirds = pages.Visit("/evaluation/", "evaluation-dashboard", [2 / 3], [2 / 3])
    assert pages.percentage_problems(_measure("按期结案率 66.6%"), two_thirds)
    assert not pages.percentage_problems(_measure("按期结案率 66.7%"), two_thirds)
    assert pages.percentage_problems(_measure("12.34 %"), pages.Visit("/", "x", [], []))
    assert pages.overflow_problems(_measure(scroll=1457))
    assert not pages.overflow_problems(_measure(scroll=391))
    assert not pages.english_problems(_measure("导入 residents.csv，格式 YYYY-MM-DD"), exempt=set())
    assert pages.code_problems(_measure("water", lang="en"), names)
    assert not pages.code_problems(_measure("Water supply", lang="en"), names)


def test_a_page_with_a_parameter_nobody_fills_stops_the_test():
    district = pages.District({}, {"overdue": 7}, resident=3, import_job=1, area_code="360102", names={})
    assert pages.route_paths(Route("case-detail", "/cases/%(pk)s/", ("pk",)), district) == ["/cases/7/"]
    with pytest.raises(pages.UnfillableParameter, match="'slug'.*FILLERS"):
        pages.route_paths(Route("notice-detail", "/notices/%(slug)s/", ("slug",)), district)


def test_the_other_tabs_of_a_page_are_pages():
    html = (
        b'<nav class="tabs"><a href="?queue=triage" aria-current="page">New</a>'
        b'<a href="/dispatch/?queue=returned&amp;x=1">Returned</a></nav><a href="/elsewhere/">x</a>'
    )
    assert pages.tab_links("/dispatch/", html) == ["/dispatch/?queue=returned&x=1"]


# --- README pictures --------------------------------------------------------------------------------------

SHOTS = [
    # (file, persona, path, viewport)
    ("report-phone.png", "grid administrator", "/report/", PHONE),
    ("dispatch-queue.png", "dispatcher", "/dispatch/", DESKTOP),
    ("evaluation.png", "supervisor", "/evaluation/", DESKTOP),
    # {grid}: the grid administrator's first grid (the district's objects are filled in when it is seeded).
    ("grid-profile.png", "grid administrator", "/places/grids/{grid}/", DESKTOP),
]


def _compress(path: Path) -> None:
    """A 256-colour PNG: screens of flat colours lose nothing visible and shrink to a fraction."""
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    small.save(path, optimize=True)


@pytest.mark.demo
@pytest.mark.skipif(not os.environ.get("SCREENSHOTS"), reason="README pictures: set SCREENSHOTS=<directory>")
def test_readme_screenshots(browser, live_server):
    target = Path(os.environ["SCREENSHOTS"])
    target.mkdir(parents=True, exist_ok=True)
    district = pages.district_seed()
    for name, persona, path, viewport in SHOTS:
        client = pages.persona_client(district.personas[persona])
        context, page = _context(browser, live_server.url, client, "zh-hans")
        watcher, inflight = Watcher(page, live_server.url), InFlight(page)
        page.set_viewport_size(viewport)
        page.goto(live_server.url + path.format(grid=district.places["grid"][0]))
        inflight.settle(page)
        page.screenshot(path=str(target / name))
        context.close()
        _compress(target / name)
        assert watcher.problems == [], (name, watcher.problems)
