"""Issue 19's story of a resident's report, in Chromium on a 390 px phone, in Chinese: an anonymous resident
reports with a photo and gets a case page; a second resident is shown it as a likely duplicate, says
"me too" and follows it by e-mail; the city carries it to closed; the reporter's closing e-mail holds a
rating link, and they rate it "dissatisfied"; the dispatch center reopens it from the review queue. No
public page shows the reporter's contact or name, the supporter's contact, or a staff member's username,
e-mail or name (a grid administrator's name is the one allowed, beside the grid's information). And a
resident signs in through the public sign-in form."""

import importlib
import re

import pytest
from django.core import mail
from django.urls import reverse

from cases import services
from cases.models import Case, CaseState
from notifications.services import notifications_send
from public import reporting
from public.models import NoticeRule

from .. import factories
from ..cases.helpers import evidence
from ..factories import centre
from .conftest import DESKTOP
from .public_helpers import (
    PASSWORD,
    Browsers,
    case_number_on,
    confirmed_resident,
    photo_file,
    private_data_shown,
    staff_identity,
)

S = CaseState

A_EMAIL = "liu.ruyan.a@example.net"
A_NAME = "柳如烟"
B_EMAIL = "shen.lang.b@example.net"
DESCRIPTION = "小区东门路边的垃圾三天没人清运了，气味很大"
COMMENT = "垃圾还在，只清了一半"
REOPEN_REASON = "居民反映只清运了一半，请返工"


@pytest.fixture
def browsers(browser, live_server):
    opened = Browsers(browser, live_server.url)
    yield opened
    opened.close()


@pytest.fixture
def town(world):
    """The test world with waste routed to sanitation, and staff whose usernames, e-mails and names no
    page text could hold by chance (so that finding one on a public page means it leaked)."""
    factories.rule(department=world.sanitation, category=world.cats.waste)
    _notice_rules()
    for user, username, first, last in (
        (world.dispatcher, "zhao_dispatch7", "调度", "赵"),
        (world.staff, "qian_sanitation7", "环卫", "钱"),
        (world.gridadmin, "sun_gridadmin7", "网格", "孙"),
        (world.supervisor, "li_supervisor7", "督查", "李"),
    ):
        user.username, user.first_name, user.last_name = username, first, last
        user.email = f"{username}@staff.example.org"
        user.save()
    return world


def _private(world) -> list[str]:
    """What no public page may show: both residents' contacts, the reporter's name, and every staff
    member's identity (a grid administrator's name alone may stand beside their grid)."""
    staff = [world.dispatcher, world.staff, world.supervisor, world.other_staff]
    hidden = [A_EMAIL, A_NAME, B_EMAIL, "@staff.example.org"]
    hidden += [value for user in staff for value in staff_identity(user)]
    hidden += [world.gridadmin.username, world.gridadmin.email]
    return hidden


def _assert_private(page, world, where: str) -> None:
    shown = private_data_shown(page, _private(world))
    assert not shown, f"{where} ({page.url}) shows personal data: {shown}"


# --- the report form, as a person fills it ------------------------------------------------------------------


def _coordinates(page, lat: float, lng: float) -> None:
    """The spot typed into the form's coordinate inputs (behind "Type the coordinates instead")."""
    page.locator("details.coords summary").click()
    page.locator("[name=lat]").fill(f"{lat:.6f}")
    page.locator("[name=lng]").fill(f"{lng:.6f}")
    page.locator("[name=lng]").dispatch_event("change")


def _category(page, typed: str, code: str) -> None:
    """The category found by typing part of its name into the category search, then chosen."""
    page.locator("#category-filter").fill(typed)
    shown = page.locator(".category-option:not([hidden])")
    assert shown.count() == 1, f"typing {typed!r} leaves {shown.count()} categories"
    shown.first.locator("input").check()
    assert page.locator("input[name=category]:checked").input_value() == code


def _notice_rules() -> None:
    """The default notice rules (a data migration; a transactional test before this one emptied them)."""
    seeding = importlib.import_module("public.migrations.0002_notice_rules")
    for row in seeding.default_rules():
        key = {name: row.pop(name) for name in ("action", "audience", "channel")}
        NoticeRule.objects.get_or_create(**key, defaults=row)


# --- the story ---------------------------------------------------------------------------------------------


def test_a_residents_report_is_supported_closed_rated_and_reopened(
    browsers, live_server, town, tmp_path, settings
):
    world = town
    url = live_server.url
    settings.SITE_URL = url  # the notices' links are absolute, to this site
    lat, lng = centre(world.g1)
    photo = photo_file(tmp_path)

    # 1. Resident A, anonymous, on the phone: from the front page to the report form, and sent.
    a_page, a_watch = browsers.open(position=(lat, lng))
    a_page.goto(url + "/")
    _assert_private(a_page, world, "the front page")
    a_page.locator("#front-report").click()
    a_page.wait_for_url(re.compile(re.escape(url + reverse("public-report"))))
    a_page.locator("#report-gps").click()  # the phone's position: the centre of grid 1
    a_page.wait_for_function("() => document.getElementById('id_lat').value !== ''")
    a_page.locator("#report-grid").wait_for()  # the grid of the point, with its administrators
    assert abs(float(a_page.locator("[name=lat]").input_value()) - lat) < 1e-5
    _category(a_page, "暴露垃圾", world.cats.waste.code)
    _assert_private(a_page, world, "the report form, its grid and administrators shown")
    a_page.locator("[name=description]").fill(DESCRIPTION)
    a_page.locator("[name=photos]").set_input_files(photo)
    a_page.locator("[name=name]").fill(A_NAME)
    a_page.locator("[name=contact]").fill(A_EMAIL)
    a_page.locator("[name=wants_updates]").check()
    a_page.locator("#report-form button[type=submit]").click()
    a_page.wait_for_url(re.compile(r"/public/report/sent/[^/]+/$"), timeout=30_000)
    number = case_number_on(a_page)
    case = Case.objects.get(number=number)
    assert (case.source, case.is_public, case.photos.count()) == (Case.Source.PUBLIC, True, 1)
    assert (case.description, case.reporter_name, case.category) == (DESCRIPTION, A_NAME, world.cats.waste)
    assert case.followers.get().kind == "reporter"
    _assert_private(a_page, world, "the report-sent page")

    # The public case page, from the sent page: the words and the photo, not who sent them.
    a_page.locator(f"a[href='{reverse('public-case', args=[number])}']").first.click()
    a_page.wait_for_url(url + reverse("public-case", args=[number]))
    assert DESCRIPTION in a_page.locator("main").inner_text()
    a_page.wait_for_function(
        "() => { const i = document.querySelector('main .photos img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    _assert_private(a_page, world, "the public case page")

    # 2. Resident B, on another phone, at the same spot and category: shown the case, says "me too".
    b_page, b_watch = browsers.open(position=(lat, lng))
    b_page.goto(url + reverse("public-report"))
    _coordinates(b_page, lat, lng)
    _category(b_page, "垃圾", world.cats.waste.code)
    duplicate = b_page.locator("#nearby-list .nearby-case").filter(has_text=number)
    duplicate.wait_for()
    assert DESCRIPTION[:10] in duplicate.inner_text()
    _assert_private(b_page, world, "the report form with its likely duplicates")
    duplicate.locator(".nearby-support button").click()
    duplicate.locator(".nearby-support-status.hint-ok").wait_for(timeout=30_000)
    assert re.search(r"\b1\b", duplicate.locator(".nearby-count").inner_text())
    case.refresh_from_db()
    assert case.supporter_count == 1
    b_page.goto(url + reverse("public-case", args=[number]))
    assert re.search(r"\b1\b", b_page.locator("[data-supporters]").inner_text())
    # B also follows it by e-mail, from the case page.
    b_page.locator("#follow-contact").fill(B_EMAIL)
    with b_page.expect_response(lambda r: r.request.method == "POST") as sent:
        b_page.locator(".follow-form button[type=submit]").click()
    assert sent.value.status == 200, f"following was refused: {sent.value.status}"
    assert case.followers.filter(kind="follower").count() == 1
    b_page.goto(url + reverse("public-case", args=[number]))
    _assert_private(b_page, world, "the public case page after a me too and a follow")

    # 3. The city: filed, dispatched, accepted, fixed with evidence, checked on site and closed.
    case = services.case_file(case=case, actor=world.dispatcher)
    case = services.case_dispatch(case=case, actor=world.dispatcher, department=world.sanitation)
    case = services.case_accept(case=case, actor=world.staff)
    case = services.case_resolve(case=case, actor=world.staff, notes="已清运", **evidence(case))
    case = services.case_verify_pass(case=case, actor=world.gridadmin, **evidence(case))
    assert case.state == S.CLOSED

    # 4. The notices go out; the reporter's closing e-mail holds the rating link; rated "dissatisfied".
    notifications_send()
    to_a = [m for m in mail.outbox if A_EMAIL in m.to]
    rate_links = [
        link
        for m in to_a
        for link in re.findall(
            rf"{re.escape(url)}/public/rate/[^/\s]+/",
            m.body + "".join(str(alt[0]) for alt in getattr(m, "alternatives", [])),
        )
    ]
    assert rate_links, f"no rating link in the e-mails to the reporter: {[m.body for m in to_a]}"
    to_b = [m for m in mail.outbox if B_EMAIL in m.to]
    assert to_b, "the follower heard nothing of the case's steps"
    assert not any("/public/rate/" in m.body for m in to_b), "a follower was asked to rate"
    # The notices name no staff member, and neither resident's contact reaches the other.
    staff = [v for v in _private(world) if v not in (A_EMAIL, A_NAME, B_EMAIL)]
    for messages, hidden in ((to_a, [*staff, B_EMAIL]), (to_b, [*staff, A_EMAIL, A_NAME])):
        for m in messages:
            leaked = [v for v in hidden if v.lower() in (m.subject + m.body).lower()]
            assert not leaked, f"the notice {m.subject!r} shows {leaked}"
    a_page.goto(rate_links[-1])
    _assert_private(a_page, world, "the rating page")
    a_page.locator("[name=rating][value=dissatisfied]").check()
    a_page.locator("[name=comment]").fill(COMMENT)
    with a_page.expect_response(lambda r: r.request.method == "POST") as sent:
        a_page.locator("form[data-pow] button[type=submit]").click()
    assert sent.value.status == 302, f"the rating was refused: {sent.value.status} {sent.value.text()[:300]}"
    a_page.locator(".rate-done-thanks").wait_for()
    _assert_private(a_page, world, "the rating page's thanks")
    rating = case.ratings.get()
    assert (rating.rating, rating.comment, rating.review) == ("dissatisfied", COMMENT, "pending")

    # 5. The dispatcher, at a desk, reopens it from the review queue with a reason.
    d_page, d_watch = browsers.open(viewport=DESKTOP, user=world.dispatcher)
    d_page.goto(url + reverse("rating-reviews"))
    row = d_page.locator(f"[data-rating='{rating.pk}']")
    assert COMMENT in row.inner_text()
    row.locator("[name=decision][value=reopen]").check()
    row.locator("[name=reason]").fill(REOPEN_REASON)
    row.locator("button[type=submit]").click()
    d_page.locator(".messages li").filter(has_text=number).wait_for()
    case.refresh_from_db()
    rating.refresh_from_db()
    assert (case.state, case.rework_count, case.department) == (S.DISPATCHED, 1, world.sanitation)
    assert (rating.review, rating.reviewed_by) == ("reopened", world.dispatcher)

    # The public page tells the reopening, still without names or contacts, nor the rating's comment.
    a_page.goto(url + reverse("public-case", args=[number]))
    _assert_private(a_page, world, "the public case page after the reopening")
    assert COMMENT not in a_page.locator("body").inner_text()

    for who, watcher in (("A", a_watch), ("B", b_watch), ("dispatcher", d_watch)):
        assert watcher.problems == [], (who, watcher.problems)


def test_a_resident_signs_in_on_the_public_site_and_finds_their_report(browsers, live_server, world):
    """The sign-in form, sent from the phone (its proof of work solved by the page), opens the resident's
    own reports."""
    resident = confirmed_resident("signing.in@example.net")
    lat, lng = centre(world.g1)
    case = reporting.public_report(
        user=resident, lat=lat, lng=lng, category=world.cats.waste, description="楼下的垃圾桶满了"
    )
    page, watcher = browsers.open()
    page.goto(live_server.url + "/")
    page.locator(f"header a[href='{reverse('public-login')}']").click()
    page.locator("[name=identifier]").fill("signing.in@example.net")
    page.locator("[name=password]").fill(PASSWORD)
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        page.locator("form[data-pow] button[type=submit]").click()
    assert sent.value.status == 302, f"signing in was refused: {sent.value.status} {sent.value.text()[:300]}"
    page.wait_for_url(live_server.url + reverse("public-my-reports"))
    assert case.number in page.locator("main").inner_text()
    assert watcher.problems == []


def test_the_privacy_check_finds_a_contact_in_the_text_or_the_markup(browser):
    page = browser.new_page()
    try:
        page.set_content('<main><p>联系人 柳如烟</p><a href="mailto:Liu.Ruyan.A@example.net">x</a></main>')
        assert private_data_shown(page, [A_NAME, A_EMAIL, B_EMAIL]) == [A_NAME, A_EMAIL]
    finally:
        page.close()
