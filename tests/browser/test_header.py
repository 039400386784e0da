"""The header, in Chromium: on a phone one row (the brand and a menu button) whose menu holds the navigation,
the language and log-out, opens and closes by keyboard and by touch, and works without JavaScript; on a
desktop the navigation stays in the bar, in one row. The grid administrator's home shows one "report"
button, and log-out names the user."""

from .conftest import DESKTOP, PHONE, log_in

MENU = "summary.menu-button"


def _one_row(page, selector: str) -> bool:
    """The elements share a line: every one spans the height where they all overlap."""
    boxes = page.locator(selector).evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.top, r.bottom]; })"
    )
    return len(boxes) > 1 and max(top for top, _ in boxes) < min(bottom for _, bottom in boxes)


def _expanded(page, value: str) -> None:
    page.wait_for_function(
        "v => document.querySelector('summary.menu-button').getAttribute('aria-expanded') === v", arg=value
    )


def test_the_phone_header_is_one_row_with_a_menu(open_page, live_server, world):
    world.gridadmin.first_name = "王伟"
    world.gridadmin.save(update_fields=["first_name"])
    page, watcher = open_page(world.gridadmin, viewport=PHONE)
    header = page.locator("header.topbar").bounding_box()
    assert header["height"] < 64  # one row: brand and menu button
    assert _one_row(page, "header.topbar > .brand, header.topbar " + MENU)
    menu = page.locator(MENU)
    assert menu.get_attribute("aria-expanded") == "false"
    assert not page.locator(".mainnav").is_visible()
    assert not page.locator("header .logout").is_visible()

    menu.click()
    _expanded(page, "true")  # set when the <details> reports its toggle
    assert page.locator(".mainnav").get_by_role("link", name="我的上报").is_visible()
    assert page.locator("#lang-select").is_visible()
    assert page.get_by_role("button", name="退出登录（王伟）").is_visible()  # the name, not "gridadmin"

    page.keyboard.press("Escape")
    assert not page.locator(".mainnav").is_visible()
    _expanded(page, "false")
    assert page.evaluate("document.activeElement.matches('summary.menu-button')")  # focus back on the button

    menu.click()
    page.mouse.click(200, 700)  # a tap outside the menu closes it
    assert not page.locator(".mainnav").is_visible()

    menu.focus()
    page.keyboard.press("Enter")  # the keyboard opens it too
    assert page.locator(".mainnav").is_visible()
    page.locator(".mainnav").get_by_role("link", name="我的上报").click()
    page.wait_for_url(live_server.url + "/mine/")
    assert watcher.problems == []


def test_the_phone_menu_works_without_javascript(browser, live_server, world):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, live_server.url, world.dispatcher.username)
        assert not page.locator(".mainnav").is_visible()
        page.locator(MENU).click()
        page.locator(".mainnav").get_by_role("link", name="查询").click()
        page.wait_for_url(live_server.url + "/search/")
    finally:
        context.close()


def test_the_desktop_bar_keeps_the_navigation_in_one_row(open_page, live_server, world):
    page, watcher = open_page(world.supervisor, viewport=DESKTOP)
    assert not page.locator(MENU).is_visible()
    links = page.locator(".mainnav a")
    assert links.count() >= 5
    assert all(links.nth(i).is_visible() for i in range(links.count()))
    assert _one_row(page, "header.topbar > .brand, .mainnav a, header .lang select, header .logout button")
    assert page.locator("header.topbar").bounding_box()["height"] < 64
    assert page.locator("header .logout button").is_visible()
    page.keyboard.press("Escape")  # nothing to close on a desktop: the navigation stays
    assert page.locator(".mainnav").is_visible()
    assert watcher.problems == []


def test_the_grid_administrators_home_shows_one_report_button(open_page, live_server, world):
    for viewport in (PHONE, DESKTOP):
        page, watcher = open_page(world.gridadmin, viewport=viewport)
        visible = [
            a
            for a in page.locator("a[href='/report/']").all()
            if a.is_visible() and a.inner_text() == "上报案件"
        ]
        assert len(visible) == 1, viewport
        assert watcher.problems == []
