"""Every public page is accessible (issue 19, WCAG 2.1 AA): axe-core (the axe-playwright-python package, its
script bundled, nothing fetched) finds no serious or critical violation on any public page, at 390 px and
1,280 px, in Chinese and in English; and a report can be made with the keyboard alone."""

import re

import pytest
from django.urls import reverse

from cases.models import Case
from public import follow, ratings
from public.models import Channel, Follower

from .. import factories
from ..cases.helpers import drive, png_upload, report
from ..factories import centre
from .conftest import DESKTOP, PHONE
from .public_helpers import Browsers, axe_problems, case_number_on, photo_file, settle

VIEWPORTS = {"390 px": PHONE, "1280 px": DESKTOP}
LANGUAGES = ("zh-hans", "en")


@pytest.fixture
def browsers(browser, live_server):
    opened = Browsers(browser, live_server.url)
    yield opened
    opened.close()


def _public_pages(world) -> dict[str, list[tuple[str, str]]]:
    """The public pages by who opens them (anonymous, a logged-in resident) → [(what, path)], over a
    public case reported by a resident with a photo and carried to closed, its reporter following it."""
    factories.rule(department=world.sanitation, category=world.cats.waste)
    case = report(world, source=Case.Source.PUBLIC, actor=None, photos=[png_upload()])
    case = drive(world, "closed", case)
    reporter = follow.follower_add(
        case=case, kind=Follower.Kind.REPORTER, channel=Channel.EMAIL, address="reporter@example.net"
    )
    grid = world.g1.code
    anonymous = [
        ("front page", reverse("public-home")),
        ("report form", reverse("public-report")),
        ("case page", reverse("public-case", args=[case.number])),
        ("grid page", reverse("public-grid", args=[grid])),
        ("grid poster", reverse("public-grid-poster", args=[grid])),
        ("rating page", ratings.rating_link_for(case, reporter)),
        ("unsubscribe", reverse("public-unsubscribe", args=[reporter.token])),
        ("sign-up", reverse("public-signup")),
        ("log-in", reverse("public-login")),
        ("password reset", reverse("public-password-reset")),
    ]
    resident = [("my reports", reverse("public-my-reports"))]
    return {"anonymous": anonymous, "resident": resident}


def test_every_public_page_has_no_serious_accessibility_violation(browsers, live_server, world):
    pages = _public_pages(world)
    users = {"anonymous": None, "resident": world.resident}
    problems, not_opened = [], []
    for lang in LANGUAGES:
        for persona, visits in pages.items():
            page, watcher = browsers.open(lang=lang, user=users[persona])
            for what, path in visits:
                page.set_viewport_size(PHONE)
                response = page.goto(live_server.url + path)
                if response is None or response.status != 200:
                    not_opened.append(f"{what} {path}: {response.status if response else 'no response'}")
                    continue
                for label, viewport in VIEWPORTS.items():
                    page.set_viewport_size(viewport)
                    settle(page)
                    problems += axe_problems(page, f"{what} ({persona}, {lang}, {label}, {path})")
            problems += [f"{persona}/{lang}: {p}" for p in watcher.problems]
    assert not (not_opened or problems), "\n".join(
        [f"{len(not_opened)} public pages did not open:", *not_opened]
        + [f"{len(problems)} accessibility problems:", *problems]
    )


def test_axe_finds_what_it_looks_for(browser):
    """The check can fail: an image without a text alternative and grey-on-white text are found."""
    page = browser.new_page()
    try:
        page.set_content(
            '<html lang="en"><head><title>t</title></head><body><main><img src="data:,">'
            '<p style="color:#eee;background:#fff">faint</p></main></body></html>'
        )
        found = " ".join(axe_problems(page, "sample"))
        assert "image-alt (critical)" in found and "color-contrast (serious)" in found, found
    finally:
        page.close()


# --- the keyboard alone ------------------------------------------------------------------------------------


def _tab_to(page, selector: str, *, limit: int = 80) -> None:
    """Press Tab until the focus is on the element `selector` finds (it must be reachable in order)."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} was not reached with {limit} presses of Tab on {page.url}")


def test_a_report_can_be_made_with_the_keyboard_alone(browsers, live_server, world, tmp_path):
    factories.rule(department=world.sanitation, category=world.cats.waste)
    lat, lng = centre(world.g1)
    page, watcher = browsers.open()
    page.goto(live_server.url + reverse("public-report"))

    _tab_to(page, "[name=lat]")
    page.keyboard.type(f"{lat:.6f}")
    _tab_to(page, "[name=lng]")
    page.keyboard.type(f"{lng:.6f}")
    _tab_to(page, "[data-filters]")
    page.keyboard.type("暴露垃圾")
    _tab_to(page, "[name=category]")
    assert page.locator("[name=category]").input_value() == str(world.cats.waste.pk)
    _tab_to(page, "[name=description]")
    page.keyboard.type("路灯下的垃圾袋堆了一周")
    _tab_to(page, "[name=photos]")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(photo_file(tmp_path))
    _tab_to(page, "[name=contact]")
    page.keyboard.type("keyboard.user@example.net")
    _tab_to(page, "[name=follow]")
    page.keyboard.press("Space")
    assert page.locator("[name=follow]").is_checked()
    _tab_to(page, "form[data-pow] button[type=submit]")
    page.keyboard.press("Enter")

    page.wait_for_url(re.compile(r"/public/report/sent/[^/]+/$"))
    case = Case.objects.get(number=case_number_on(page))
    assert (case.category, case.photos.count(), case.description) == (
        world.cats.waste,
        1,
        "路灯下的垃圾袋堆了一周",
    )
    assert case.followers.filter(kind=Follower.Kind.REPORTER).count() == 1
    assert watcher.problems == []
