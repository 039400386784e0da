"""The whole life of a case across the four consoles, in Chinese, in Chromium: reported with a photo on a
phone, seen arriving in the dispatcher's live queue without a reload, dispatched, accepted and resolved by
the department, verified and closed on site; then a return with re-dispatch and a failed verification.
Every page must load without console errors and without asking anything of a host other than ours."""

import io
import re

import pytest
from PIL import Image

from cases import services
from cases.models import Case, CaseState
from gridmgmt import tasking

from .. import factories
from ..factories import centre
from .conftest import DESKTOP, PHONE, screenshot

S = CaseState


def _stand_at(page, case) -> None:
    """The phone shares its position, 8 m accurate, standing at the case."""
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": case.lat, "longitude": case.lng, "accuracy": 8})


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "scene.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (120, 160, 90)).save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


@pytest.fixture
def routed_world(world):
    # Routing suggests sanitation for waste, so the dispatcher's one-step dispatch has it preselected.
    factories.rule(department=world.sanitation, category=world.cats.waste)
    return world


def _chinese(page) -> None:
    assert page.locator("html").get_attribute("lang") == "zh-hans", page.url


def _case_pk(page) -> int:
    href = page.get_by_role("link", name="查看案件").get_attribute("href")
    return int(re.search(r"/cases/(\d+)/", href).group(1))


def _report(page, live_server, photo: str, *, description: str) -> tuple[int, str]:
    """Report on the phone: a tap on the map, the category found by typing, a photo; returns (pk, number)."""
    page.goto(live_server.url + "/report/")
    _chinese(page)
    page.locator("[data-map=report]").click()  # the map opens on the administrator's grids
    page.wait_for_function("() => document.getElementById('id_lat').value !== ''")
    assert "位于网格" in page.locator("#location-hint").inner_text()
    page.locator("#report-check .hint-ok").wait_for()  # the server agrees: one of the administrator's grids
    page.fill("#category-filter", "暴露垃圾")
    assert page.locator("#id_category").input_value() != ""
    page.fill("#id_description", description)
    page.set_input_files("#id_photos", photo)
    page.get_by_role("button", name="提交上报").click()
    page.wait_for_url(re.compile(r"/cases/\d+/receipt/$"))
    _chinese(page)
    number = page.locator("#case-number").inner_text().strip()
    return _case_pk(page), number


def test_a_case_lives_from_the_phone_report_to_closure(open_page, live_server, routed_world, photo):
    world = routed_world
    dispatcher, d_watch = open_page(world.dispatcher, viewport=DESKTOP)
    dispatcher.evaluate("window.__stayed = true")  # survives only if the page is never reloaded

    admin, a_watch = open_page(world.gridadmin, viewport=PHONE)
    screenshot(admin, "gridadmin-home-phone")
    pk, number = _report(admin, live_server, photo, description="路边暴露垃圾，约两立方米")
    screenshot(admin, "gridadmin-receipt-phone")
    case = Case.objects.get(pk=pk)
    assert (
        case.number == number and case.photos.count() == 1 and case.suggested_department == world.sanitation
    )

    # The dispatcher's queue refreshes itself (htmx polling): the new report appears without a reload.
    row = dispatcher.locator(f'li[data-case="{pk}"]')
    row.wait_for(timeout=20_000)
    assert dispatcher.evaluate("window.__stayed === true")
    assert "is-new" in row.get_attribute("class")
    assert dispatcher.locator(f"#dept-{pk}").input_value() == str(world.sanitation.pk)
    screenshot(dispatcher, "dispatcher-queue-desktop")
    row.get_by_role("button", name="立案并派遣").click()
    dispatcher.locator(".messages li").filter(has_text=number).wait_for()
    case.refresh_from_db()
    assert (case.state, case.department) == (S.DISPATCHED, world.sanitation)

    # The department accepts it from its queue (bulk selection) and reports the fix with a photo.
    staff, s_watch = open_page(world.staff, viewport=DESKTOP)
    _chinese(staff)
    staff.locator(f"#pick-{pk}").check()
    assert staff.locator("[data-selected-count]").inner_text() == "1"
    screenshot(staff, "staff-queue-desktop")
    staff.get_by_role("button", name=re.compile("受理所选")).click()
    staff.locator(".messages li").filter(has_text=number).wait_for()
    staff.goto(f"{live_server.url}/cases/{pk}/")
    staff.fill("#f-resolve-notes", "已清运，地面已冲洗")
    staff.set_input_files("#f-resolve-photos", photo)
    staff.locator("#form-resolve button[type=submit]").click()
    staff.locator(".state-resolved").wait_for()
    case.refresh_from_db()
    assert case.state == S.RESOLVED

    # The administrator verifies on site from the verification queue and closes it: the phone's position
    # (standing at the case) goes with the verification.
    _stand_at(admin, case)
    admin.goto(live_server.url + "/verify/")
    _chinese(admin)
    card = admin.locator(f'li[data-case="{pk}"]')
    assert "已清运" in card.inner_text()
    card.locator(f"#pass-{pk}-photos").set_input_files(photo)
    screenshot(admin, "gridadmin-verify-phone")
    card.get_by_role("button", name="核查通过并结案").click()
    admin.locator(".messages li").filter(has_text=number).wait_for()
    case.refresh_from_db()
    assert case.state == S.CLOSED

    # The timeline tells the whole story, and the photos are the EXIF-free copies.
    admin.goto(f"{live_server.url}/cases/{pk}/")
    timeline = admin.locator(".timeline").inner_text()
    for step in ("上报", "立案", "派遣", "受理", "反馈处置完成", "核查通过，结案"):
        assert step in timeline, step
    images = admin.locator(".photos img")
    assert images.count() == 3
    assert all("/photos/" in images.nth(i).get_attribute("src") for i in range(images.count()))
    # A function, not an expression: Playwright polls an expression with eval(), which our CSP forbids.
    admin.wait_for_function(
        "() => Array.from(document.querySelectorAll('.photos img')).every(i => i.complete && i.naturalWidth)"
    )
    screenshot(admin, "case-detail-phone")

    for watcher in (d_watch, a_watch, s_watch):
        assert watcher.problems == []


def test_a_return_is_redispatched_and_a_failed_verification_goes_back_for_rework(
    open_page, live_server, routed_world, photo
):
    world = routed_world
    lat, lng = centre(world.g1)
    with tasking.suppressed():
        case = services.case_report(
            actor=world.gridadmin,
            source="patrol",
            lat=lat,
            lng=lng,
            category=world.cats.waste,
            description="垃圾桶满溢",
        )
        case = services.case_file(case=case, actor=world.dispatcher)
        case = services.case_dispatch(case=case, actor=world.dispatcher, department=world.roads)

    # The roads department says it is not theirs.
    roads, r_watch = open_page(world.other_staff, viewport=PHONE)
    roads.goto(f"{live_server.url}/cases/{case.pk}/")
    _chinese(roads)
    roads.locator("summary", has_text="退回指挥中心").click()
    roads.fill("#f-return-reason", "垃圾清运属于环卫部门")
    roads.locator("#form-return button[type=submit]").click()
    roads.locator(".messages li").filter(has_text=case.number).wait_for()  # back in the queue: not theirs

    # The dispatcher finds it in the returned queue, with the reason, and sends it to sanitation.
    dispatcher, d_watch = open_page(world.dispatcher, viewport=DESKTOP)
    dispatcher.get_by_role("link", name=re.compile("退回")).click()
    row = dispatcher.locator(f'li[data-case="{case.pk}"]')
    assert "垃圾清运属于环卫部门" in row.inner_text()
    dispatcher.locator(f"#dept-{case.pk}").select_option(str(world.sanitation.pk))
    row.get_by_role("button", name="派遣").click()
    dispatcher.locator(".messages li").filter(has_text=case.number).wait_for()
    case.refresh_from_db()
    assert (case.state, case.department, case.return_count) == (S.DISPATCHED, world.sanitation, 1)

    # Sanitation accepts with the row's own button and reports a fix that will not hold.
    staff, s_watch = open_page(world.staff, viewport=PHONE)
    staff.locator(f'tr[data-case="{case.pk}"]').get_by_role("button", name="受理").click()
    staff.locator(".messages li").filter(has_text=case.number).wait_for()
    staff.goto(f"{live_server.url}/cases/{case.pk}/")
    staff.fill("#f-resolve-notes", "已清理")
    staff.set_input_files("#f-resolve-photos", photo)
    staff.locator("#form-resolve button[type=submit]").click()
    staff.locator(".state-resolved").wait_for()

    # On site the administrator finds it still dirty: fail with a reason and a photo.
    admin, a_watch = open_page(world.gridadmin, viewport=PHONE)
    _stand_at(admin, case)
    admin.goto(f"{live_server.url}/cases/{case.pk}/")
    admin.locator("summary", has_text="核查不通过").click()
    admin.fill("#f-verify_fail-reason", "垃圾仍在路边")
    admin.set_input_files("#f-verify_fail-photos", photo)
    admin.locator("#form-verify_fail button[type=submit]").click()
    admin.locator(".state").filter(has_text="已派遣").first.wait_for()
    case.refresh_from_db()
    assert (case.state, case.department, case.rework_count) == (S.DISPATCHED, world.sanitation, 1)
    assert "核查不通过，返工" in admin.locator(".timeline").inner_text()

    for watcher in (r_watch, d_watch, s_watch, a_watch):
        assert watcher.problems == []


def test_the_report_form_warns_about_a_likely_duplicate_before_sending(open_page, live_server, routed_world):
    world = routed_world
    lat, lng = centre(world.g1)
    with tasking.suppressed():
        existing = services.case_report(
            actor=world.gridadmin,
            source="patrol",
            lat=lat,
            lng=lng,
            category=world.cats.waste,
            description="x",
        )
    admin, watch = open_page(world.gridadmin, viewport=PHONE)
    admin.goto(f"{live_server.url}/report/?lat={lat:.6f}&lng={lng:.6f}")
    admin.fill("#category-filter", "暴露垃圾")
    warning = admin.locator("#report-check .duplicates")
    warning.wait_for()
    assert existing.number in warning.inner_text() and "可能已有人上报" in warning.inner_text()
    assert watch.problems == []


@pytest.mark.parametrize("persona", ["gridadmin", "dispatcher", "staff", "supervisor"])
def test_each_roles_main_page_at_phone_and_desktop_width(open_page, live_server, routed_world, persona):
    world = routed_world
    with tasking.suppressed():
        for grid in (world.g1, world.g2):
            lat, lng = centre(grid)
            case = services.case_report(
                actor=world.gridadmin,
                source="patrol",
                lat=lat,
                lng=lng,
                category=world.cats.waste,
                description="垃圾",
            )
        services.case_dispatch(
            case=services.case_file(case=case, actor=world.dispatcher),
            actor=world.dispatcher,
            department=world.sanitation,
        )
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page, watch = open_page(getattr(world, persona), viewport=viewport)
        _chinese(page)
        # Nothing is wider than the screen: the page never scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), name
        if page.locator("[data-map]").count():
            page.locator("[data-map] .leaflet-interactive").first.wait_for()  # the grid polygons are drawn
        screenshot(page, f"{persona}-home-{name}")
        assert watch.problems == []
