"""A patrol walked in Chromium with an emulated position: started from the day's page, recorded by
static/js/patrol_record.js, a batch whose answer is lost on the way, the page reloaded mid-patrol, more
steps, the end; the patrol's page then shows the coverage of grid 1. Nothing is lost and nothing counted
twice: every point the page recorded is stored once.
And the three pages, looked at in both languages and widths."""

import datetime as dt
import time

from django.utils import timezone

from gridmgmt.figures import percent_text
from patrols import services
from patrols.models import Patrol, PatrolBatch, PatrolPoint

from ..factories import centre
from ..patrols.factories import patrol_walked, walk
from .conftest import DESKTOP, PHONE, Watcher, log_in, screenshot

STEP = 0.00002  # degrees of longitude per move: about 2 m, a walking pace at the test's tempo


def _number(page, selector: str) -> int:
    return int(page.locator(selector).inner_text().strip())


def _wait_for(page, condition, what: str, timeout: float = 15.0) -> None:
    # Waiting through the page lets Playwright run its handlers (the route below) meanwhile.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_patrol_walked_with_a_reload_keeps_every_point_once_and_shows_its_coverage(
    browser, live_server, world, settings
):
    settings.PATROL_SEND_EVERY_S = 1  # the page sends its batches every second instead of every ten
    lat, lng = centre(world.g1)
    lng -= 0.002
    context = browser.new_context(
        viewport=PHONE,
        locale="zh-CN",
        geolocation={"latitude": lat, "longitude": lng, "accuracy": 6},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    watcher = Watcher(page, live_server.url)
    log_in(page, live_server.url, world.gridadmin.username)
    moves = 0

    def move(n: int = 1) -> None:
        nonlocal moves
        for _ in range(n):
            moves += 1
            before = _number(page, "#patrol-recorded")
            context.set_geolocation({"latitude": lat, "longitude": lng + moves * STEP, "accuracy": 6})
            page.wait_for_function(
                "(n) => Number(document.getElementById('patrol-recorded').textContent) > n", arg=before
            )
            page.wait_for_timeout(400)

    def sent() -> None:
        page.wait_for_function("() => document.getElementById('patrol-waiting').textContent.trim() === '0'")

    page.goto(live_server.url + "/patrols/")
    page.locator("form.patrol-start button").click()
    page.wait_for_url("**/patrols/*/record/")
    patrol = Patrol.objects.get(patroller=world.gridadmin, state=Patrol.State.RUNNING)
    page.wait_for_function("() => Number(document.getElementById('patrol-recorded').textContent) >= 1")
    move(4)
    sent()
    assert PatrolPoint.objects.filter(patrol=patrol).count() == _number(page, "#patrol-recorded")
    screenshot(page, "patrol-record-phone")

    # The connection drops after the server took a batch and before its answer came back: the page keeps
    # the batch (with its key) and will send it again.
    lost = []

    def answer_lost(route):
        route.fetch()  # the server stores the batch ...
        lost.append(route.request.post_data_json["batch"])
        route.abort()  # ... and the phone never hears of it

    page.route("**/api/v1/patrols/*/points/", answer_lost)
    move(2)
    _wait_for(page, lambda: lost, "a batch whose answer was lost")
    assert _number(page, "#patrol-waiting") > 0
    stored_before = PatrolPoint.objects.filter(patrol=patrol).count()
    assert PatrolBatch.objects.filter(patrol=patrol, key=lost[0]).exists()

    page.unroute("**/api/v1/patrols/*/points/")
    page.reload()
    sent()  # the kept batches go out on load, with their keys: the server adds nothing for the one it has
    assert PatrolBatch.objects.filter(patrol=patrol, key=lost[0]).count() == 1
    assert PatrolPoint.objects.filter(patrol=patrol).count() >= stored_before
    move(3)
    sent()
    recorded = _number(page, "#patrol-recorded")

    page.locator("#patrol-end").click()
    page.wait_for_url(f"**/patrols/{patrol.pk}/")
    patrol.refresh_from_db()
    assert patrol.state == Patrol.State.COMPUTED  # the compute task ran inline (conftest)
    points = PatrolPoint.objects.filter(patrol=patrol)
    assert points.count() == patrol.point_count == recorded
    # Not one point twice: every recorded instant once (a resent batch would repeat them).
    assert points.values("recorded_at").distinct().count() == recorded
    assert recorded >= 1 + moves  # the first fix, every move (and the fix after the reload)

    share = patrol.coverage[str(world.g1.pk)]
    assert share > 0
    cell = page.locator(f'td[data-grid="{world.g1.pk}"]')
    assert cell.inner_text().strip() == percent_text(share)
    page.locator("[data-patrol-map=detail] path.leaflet-interactive").first.wait_for()
    screenshot(page, "patrol-detail-walked-phone")
    problems = [p for p in watcher.problems if "/points/" not in p and "ERR_FAILED" not in p]
    assert problems == []
    context.close()


def test_geolocation_denied_says_so_and_records_nothing(browser, live_server, world):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")  # no permission granted
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, world.gridadmin.username)
    patrol, _ = services.patrol_start(actor=world.gridadmin)
    page.goto(live_server.url + f"/patrols/{patrol.pk}/record/")
    page.locator("#patrol-status.hint-warn").wait_for()
    status = page.locator("#patrol-status").inner_text()
    assert status and status != page.locator("#patrol-recorder").get_attribute("data-msg-locating")
    assert _number(page, "#patrol-recorded") == 0
    context.close()


PAGES = ("today", "record", "detail")


def test_the_patrol_pages_fit_phones_and_wide_screens_in_both_languages(browser, live_server, world):
    lat, lng = centre(world.g1)
    start = timezone.now() - dt.timedelta(minutes=50)
    d = 0.003
    # A flagged patrol (a stretch by car) so the detail page shows flags on its map.
    walked = walk([(lat - d, lng - d), (lat - d, lng + d)], start=start)
    walked += walk(
        [(lat - d, lng + d), (lat + d, lng + d)],
        start=dt.datetime.fromisoformat(walked[-1]["recorded_at"]) + dt.timedelta(seconds=5),
        speed_kmh=40,
    )
    done = patrol_walked(world.gridadmin, walked)
    running, _ = services.patrol_start(actor=world.gridadmin)
    paths = {
        "today": "/patrols/",
        "record": f"/patrols/{running.pk}/record/",
        "detail": f"/patrols/{done.pk}/",
    }
    for locale, language in (("zh-CN", "zh-hans"), ("en-US", "en")):
        for viewport, width in ((PHONE, 390), (DESKTOP, 1280)):
            context = browser.new_context(
                viewport=viewport,
                locale=locale,
                geolocation={"latitude": lat, "longitude": lng, "accuracy": 8},
                permissions=["geolocation"],
            )
            page = context.new_page()
            page.set_default_timeout(15_000)
            watcher = Watcher(page, live_server.url)
            log_in(page, live_server.url, world.gridadmin.username)
            for name in PAGES:
                page.goto(live_server.url + paths[name])
                page.locator("[data-patrol-map] path.leaflet-interactive").first.wait_for()
                page.wait_for_timeout(300)
                overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{name} {language} {width}: {overflow}px too wide"
                # Every mark in the legend is drawn.
                for swatch in page.locator(".map-legend [data-mark]").all():
                    assert swatch.locator("svg").count() == 1, swatch.get_attribute("data-mark")
                screenshot(page, f"patrol-{name}-{language}-{width}")
            assert watcher.problems == []
            context.close()
    # The supervisor's list, once.
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server.url, world.supervisor.username)
    page.goto(live_server.url + "/patrols/")
    assert page.locator(".patrol-card").count() == 2
    screenshot(page, "patrol-list-zh-hans-390")
    context.close()
