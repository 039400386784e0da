"""The photo viewer of case pages, in Chromium: a thumbnail opens its photo full size in a dialog with its
caption, the arrow keys and a sideways swipe step through the case's photos, Escape closes it and gives
the focus back to the thumbnail; without JavaScript the thumbnail link opens the photo itself."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cases import photos, services
from cases.models import CasePhoto
from gridmgmt import tasking

from ..cases.helpers import drive, report
from .conftest import DESKTOP, PHONE, log_in, screenshot

VIEWER = "dialog.photo-viewer"


def _jpeg(name: str, colour: tuple[int, int, int]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), colour).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def resolved(world):
    """A case reported with two photos and reported fixed with one, waiting for the grid administrator."""
    case = report(world, photos=[_jpeg("a.jpg", (200, 40, 40)), _jpeg("b.jpg", (40, 160, 40))])
    with tasking.suppressed():
        services.case_file(case=case, actor=world.dispatcher)
        case = services.case_dispatch(case=case, actor=world.dispatcher, department=world.sanitation)
        case = services.case_accept(case=case, actor=world.staff)
        case = services.case_resolve(
            case=case, actor=world.staff, notes="已清运", photos=[_jpeg("c.jpg", (40, 40, 200))]
        )
    for photo in CasePhoto.objects.filter(case=case):
        photos.photo_derivatives_make(photo_id=photo.pk)
    return case


def _display_urls(case) -> list[str]:
    return [f"/cases/{case.pk}/photos/{p.pk}/display/" for p in CasePhoto.objects.filter(case=case)]


def _shown(page) -> str:
    """The path of the photo the viewer shows, once it has loaded."""
    page.wait_for_function(
        "() => { const i = document.querySelector('dialog.photo-viewer img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    return page.evaluate("new URL(document.querySelector('dialog.photo-viewer img').src).pathname")


def test_a_thumbnail_opens_the_viewer_arrows_step_and_escape_closes(open_page, live_server, world, resolved):
    page, watcher = open_page(world.gridadmin, viewport=DESKTOP)
    page.goto(f"{live_server.url}/cases/{resolved.pk}/")
    urls = _display_urls(resolved)
    viewer = page.locator(VIEWER)
    assert not viewer.is_visible()

    first = page.locator("a[data-photo]").first
    first.click()
    viewer.wait_for(state="visible")
    assert _shown(page) == urls[0]
    assert "上报照片" in viewer.locator("figcaption").inner_text()  # its kind and when it was taken
    assert viewer.locator(".photo-viewer-count").inner_text() == "第 1 张，共 3 张"
    assert page.evaluate("document.activeElement.closest('dialog') !== null")  # focus moved into the dialog
    screenshot(page, "photo-viewer-desktop")

    page.keyboard.press("ArrowRight")
    assert _shown(page) == urls[1]
    page.keyboard.press("ArrowRight")
    assert _shown(page) == urls[2]
    assert "处置照片" in viewer.locator("figcaption").inner_text()  # the fix evidence follows the report's
    page.keyboard.press("ArrowRight")
    assert _shown(page) == urls[0]  # round to the first
    page.keyboard.press("ArrowLeft")
    assert _shown(page) == urls[2]

    page.keyboard.press("Escape")
    viewer.wait_for(state="hidden")
    assert page.evaluate("document.activeElement === document.querySelector('a[data-photo]')")
    assert watcher.problems == []


def test_a_swipe_steps_through_the_photos_on_a_phone(open_page, live_server, world, resolved):
    page, watcher = open_page(world.gridadmin, viewport=PHONE)
    page.goto(f"{live_server.url}/cases/{resolved.pk}/")
    urls = _display_urls(resolved)
    page.locator("a[data-photo]").first.click()
    page.locator(VIEWER).wait_for(state="visible")
    assert _shown(page) == urls[0]

    def swipe(from_x: int, to_x: int) -> None:
        for kind, x in (("pointerdown", from_x), ("pointerup", to_x)):
            page.dispatch_event(
                ".photo-viewer-stage",
                kind,
                {"clientX": x, "clientY": 400, "pointerType": "touch", "isPrimary": True, "bubbles": True},
            )

    swipe(320, 60)  # right to left: the next photo
    assert _shown(page) == urls[1]
    swipe(60, 320)  # left to right: back
    assert _shown(page) == urls[0]
    page.dispatch_event(
        ".photo-viewer-stage", "pointerdown", {"clientX": 200, "clientY": 200, "isPrimary": True}
    )
    page.dispatch_event(
        ".photo-viewer-stage", "pointerup", {"clientX": 220, "clientY": 600, "isPrimary": True}
    )
    assert _shown(page) == urls[0]  # a vertical drag is no swipe
    screenshot(page, "photo-viewer-phone")

    page.locator("[data-viewer-close]").click()
    page.locator(VIEWER).wait_for(state="hidden")
    assert watcher.problems == []


def test_the_verification_queue_shows_the_fix_evidence_in_the_viewer(open_page, live_server, world, resolved):
    page, watcher = open_page(world.gridadmin, viewport=PHONE)
    page.goto(f"{live_server.url}/verify/")
    page.locator(f"[data-case='{resolved.pk}'] a[data-photo]").click()
    viewer = page.locator(VIEWER)
    viewer.wait_for(state="visible")
    assert _shown(page) == _display_urls(resolved)[2]
    assert "处置照片" in viewer.locator("figcaption").inner_text()
    assert not viewer.locator("[data-viewer-step]").first.is_visible()  # one photo: nothing to step to
    page.keyboard.press("Escape")
    viewer.wait_for(state="hidden")
    assert watcher.problems == []


def test_without_javascript_the_thumbnail_opens_the_photo(browser, live_server, world, resolved):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, live_server.url, world.gridadmin.username)
        page.goto(f"{live_server.url}/cases/{resolved.pk}/")
        with page.expect_response(lambda r: "/display/" in r.url) as response:
            page.locator("a[data-photo]").first.click()
        assert response.value.status == 200
        assert response.value.headers["content-type"] == "image/jpeg"
    finally:
        context.close()


def test_a_case_without_photos_has_no_viewer(open_page, live_server, world):
    case = drive(world, "filed")
    page, _ = open_page(world.gridadmin, viewport=PHONE)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    assert page.locator(VIEWER).count() == 0
