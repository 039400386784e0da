"""Every public page is accessible (issue 19, WCAG 2.1 AA): axe-core (the axe-playwright-python package, its
script bundled, nothing fetched) finds no serious or critical violation on any public page, at 390 px and
1,280 px, in Chinese and in English; and a report can be made with the keyboard alone."""

import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from cases.models import Case
from gridmgmt import tasking
from public import accounts, follow, ratings, reporting
from public.models import Follower

from .. import factories
from ..cases.helpers import drive, png_upload
from ..factories import centre
from .conftest import DESKTOP, PHONE
from .public_helpers import Browsers, axe_problems, case_number_on, confirmed_resident, photo_file, settle

VIEWPORTS = {"390 px": PHONE, "1280 px": DESKTOP}
LANGUAGES = ("zh-hans", "en")


@pytest.fixture
def browsers(browser, live_server):
    opened = Browsers(browser, live_server.url)
    yield opened
    opened.close()


def _public_pages(world) -> dict[str, list[tuple[str, str]]]:
    """The public pages by who opens them (anonymous, a signed-in resident) → [(what, path)], over two public
    reports made with a photo and a contact: one open, one carried to closed (its rating link)."""
    factories.rule(department=world.sanitation, category=world.cats.waste)
    lat, lng = centre(world.g1)

    def reported(contact: str) -> Case:
        return reporting.public_report(
            user=None,
            lat=lat,
            lng=lng,
            category=world.cats.waste,
            description="路边垃圾堆放，无人清运",
            photos=[png_upload()],
            name="匿名居民",
            contact=contact,
            wants_updates=True,
        )

    with tasking.suppressed():
        open_case = reported("open.reporter@example.net")
        closed_case = drive(world, "closed", reported("closed.reporter@example.net"))
    reporter = closed_case.followers.get(kind=Follower.Kind.REPORTER)
    # Another reporter of it already answered: their link shows the answer.
    answered = follow.follower_add(
        case=closed_case, kind=Follower.Kind.REPORTER, channel="email", address="answered@example.net"
    )
    ratings.rating_record(
        invitation=ratings.rating_invitation_issue(case=closed_case, follower=answered), rating="satisfied"
    )
    subscription = follow.grid_subscription_request(grid=world.g1, contact="grid.reader@example.net")
    resident = confirmed_resident("resident.reader@example.net")
    unconfirmed = accounts.account_signup_email(
        email="new.reader@example.net", password="a long pass phrase 7", base_url="http://testserver"
    ).account
    # Another resident asks for a new password (the signed-in one's log-in would spend its link).
    forgetful = confirmed_resident("forgetful.reader@example.net")
    uid = urlsafe_base64_encode(force_bytes(forgetful.pk))
    grid = world.g1.code
    anonymous = [
        ("front page", reverse("public-home")),
        ("report form", reverse("public-report")),
        ("report sent", reverse("public-report-sent", args=[reporting.sent_token(open_case)])),
        ("case page, open", reverse("public-case", args=[open_case.number])),
        ("case page, closed", reverse("public-case", args=[closed_case.number])),
        ("grid page", reverse("public-grid", args=[grid])),
        ("grid poster", reverse("public-grid-poster", args=[grid])),
        ("rating page", ratings.rating_link_for(closed_case, reporter)),
        ("rating page, answered", ratings.rating_link_for(closed_case, answered)),
        ("case follow form", reverse("public-case-follow", args=[open_case.number])),
        ("grid subscription form", reverse("public-grid-subscribe", args=[grid])),
        ("unsubscribe", reverse("public-unsubscribe", args=[reporter.token])),
        ("subscription confirmation", reverse("public-subscription-confirm", args=[subscription.token])),
        ("sign-up", reverse("public-signup")),
        (
            "e-mail confirmation",
            reverse("public-email-confirm", args=[accounts.email_confirm_token(unconfirmed)]),
        ),
        ("phone code", reverse("public-phone-code")),
        ("sign-in", reverse("public-login")),
        ("password reset", reverse("public-password-reset")),
        (
            "new password",
            reverse(
                "public-password-reset-confirm", args=[uid, default_token_generator.make_token(forgetful)]
            ),
        ),
        ("password reset code", reverse("public-password-reset-code")),
    ]
    mine = [
        ("my reports", reverse("public-my-reports")),
        ("registry link", reverse("public-registry-link")),
    ]
    return {"anonymous": (None, anonymous), "resident": (resident, mine)}


def _report_states(page, base_url: str, world):
    """The report form in the states a person brings it to, each prepared in `page` in turn → its name:
    refused (sent empty: the errors summary), and with a likely duplicate shown for the point and
    category chosen (the open public case the pages were built over)."""
    lat, lng = centre(world.g1)
    page.goto(base_url + reverse("public-report"))
    page.locator("#report-form button[type=submit]").click()
    page.locator("#form-errors").wait_for(timeout=30_000)
    yield "report form, refused"
    page.goto(base_url + reverse("public-report"))
    page.locator("details.coords > summary").click()
    page.locator("[name=lat]").fill(f"{lat:.6f}")
    page.locator("[name=lng]").fill(f"{lng:.6f}")
    page.locator("[name=lng]").dispatch_event("change")
    page.locator("#category-filter").fill(world.cats.waste.name)
    page.locator(".category-option:not([hidden]) input").first.check()
    page.locator("#nearby-list .nearby-case").first.wait_for()
    yield "report form, a likely duplicate shown"


def _axe_both_widths(page, where: str) -> list[str]:
    found = []
    for label, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        settle(page)
        found += axe_problems(page, f"{where}, {label}")
    page.set_viewport_size(PHONE)
    return found


def test_every_public_page_has_no_serious_accessibility_violation(browsers, live_server, world):
    pages = _public_pages(world)
    problems, not_opened = [], []
    for lang in LANGUAGES:
        for persona, (user, visits) in pages.items():
            page, watcher = browsers.open(lang=lang, user=user)
            for what, path in visits:
                page.set_viewport_size(PHONE)
                response = page.goto(live_server.url + path)
                if response is None or response.status != 200:
                    not_opened.append(f"{what} {path}: {response.status if response else 'no response'}")
                    continue
                problems += _axe_both_widths(page, f"{what} ({persona}, {lang}, {path})")
            if user is None:
                for state in _report_states(page, live_server.url, world):
                    problems += _axe_both_widths(page, f"{state} ({persona}, {lang})")
            # The refused report answers 400, which Chromium logs; anything else is a problem.
            refused = "the server responded with a status of 400"
            problems += [f"{persona}/{lang}: {p}" for p in watcher.problems if refused not in p]
    assert not (not_opened or problems), "\n".join(
        [f"{len(not_opened)} public pages did not open:", *not_opened]
        + [f"{len(problems)} accessibility problems:", *problems]
    )


def test_axe_finds_what_it_looks_for_under_our_content_security_policy(browsers, live_server, world):
    """The check can fail, on our own page with its CSP: an image without a text alternative and
    grey-on-white text put into the front page are found."""
    page, _watcher = browsers.open(lang="en")
    page.goto(live_server.url + reverse("public-home"))
    assert axe_problems(page, "front page") == []
    page.evaluate(
        """() => {
          const img = document.createElement('img');
          img.src = '/static/img/favicon.svg';
          const faint = document.createElement('p');
          faint.textContent = 'faint';
          faint.style.cssText = 'color:#eee;background:#fff';
          document.querySelector('main').append(img, faint);
        }"""
    )
    found = " ".join(axe_problems(page, "front page, spoilt"))
    assert "image-alt (critical)" in found and "color-contrast (serious)" in found, found


# --- the keyboard alone ------------------------------------------------------------------------------------


def _tab_to(page, selector: str, *, limit: int = 80) -> None:
    """Press Tab until the focus is on the element `selector` finds (it must be reachable in order)."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} was not reached with {limit} presses of Tab on {page.url}")


def test_a_report_can_be_made_with_the_keyboard_alone(browsers, live_server, world, tmp_path):
    """Tab, typing, Space and Enter only: the coordinates typed, the category found by typing and chosen,
    a photo picked through the file chooser the keyboard opens, a contact, updates asked for, sent."""
    factories.rule(department=world.sanitation, category=world.cats.waste)
    lat, lng = centre(world.g1)
    page, watcher = browsers.open()
    page.goto(live_server.url + reverse("public-report"))
    keys = page.keyboard

    _tab_to(page, "details.coords > summary")
    keys.press("Enter")  # opens "Type the coordinates instead"
    _tab_to(page, "[name=lat]")
    keys.type(f"{lat:.6f}")
    _tab_to(page, "[name=lng]")
    keys.type(f"{lng:.6f}")
    _tab_to(page, "#category-filter")  # leaving the coordinates sets the point
    page.locator("#report-grid").wait_for()  # the grid of the point is told
    keys.type("暴露垃圾")
    keys.press("Enter")  # to the first category that matches
    assert page.evaluate("() => document.activeElement.name") == "category"
    keys.press("Space")
    assert page.locator("input[name=category]:checked").input_value() == world.cats.waste.code
    _tab_to(page, "[name=description]")
    keys.type("路灯下的垃圾袋堆了一周")
    _tab_to(page, "[name=photos]")
    # A file chooser opens only for the page that has the window's focus: other tests' pages of the same
    # browser may still be open in their contexts (the flake CI met), so this one is brought to the front.
    page.bring_to_front()
    with page.expect_file_chooser(timeout=30_000) as chooser:
        keys.press("Space")
    chooser.value.set_files(photo_file(tmp_path))
    _tab_to(page, "[name=contact]")
    keys.type("keyboard.user@example.net")
    _tab_to(page, "[name=wants_updates]")
    keys.press("Space")
    assert page.locator("[name=wants_updates]").is_checked()
    _tab_to(page, "#report-form button[type=submit]")
    keys.press("Enter")

    page.wait_for_url(re.compile(r"/public/report/sent/[^/]+/$"), timeout=30_000)
    case = Case.objects.get(number=case_number_on(page))
    assert (case.category, case.photos.count(), case.description) == (
        world.cats.waste,
        1,
        "路灯下的垃圾袋堆了一周",
    )
    assert abs(case.lat - lat) < 1e-5 and abs(case.lng - lng) < 1e-5
    assert case.followers.filter(kind=Follower.Kind.REPORTER).count() == 1
    assert watcher.problems == []
