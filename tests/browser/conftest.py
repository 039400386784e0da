"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Locally they skip with a reason when Playwright or Chromium is missing; in CI (CI=1) they never skip.
Screenshots go to test-artifacts/screenshots/ (not committed).
"""

import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from gridmgmt import tasking

from ..conftest import IN_CI

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

_missing = (
    "playwright is not installed"
    if sync_playwright is None
    else (f"Chromium not found at {CHROMIUM}" if not shutil.which(CHROMIUM) else "")
)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            if _missing and not IN_CI:
                item.add_marker(pytest.mark.skip(reason=f"browser test: {_missing}"))


@pytest.fixture(scope="module")
def browser(django_db_setup, django_db_blocker):
    # Playwright's sync API keeps an event loop running in this thread, and Django refuses ORM calls from
    # a thread with a running loop. The tests' own ORM calls are plain synchronous code, so the check is
    # lifted while this module's browser is open, and restored after it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(autouse=True)
def _tasks_run_inline(monkeypatch):
    """What a worker would do after commit (routing, photo copies) runs at once, in the server thread."""

    def run(task, *args):
        if getattr(tasking._state, "suppressed", False):
            return False
        if isinstance(task, str):
            task = tasking.task_named(task)
        task.apply(args=args)
        return True

    monkeypatch.setattr(tasking, "enqueue", run)


class Watcher:
    """Collects console errors, failed requests and any request that leaves the test server."""

    def __init__(self, page, base_url: str):
        self.problems: list[str] = []
        host = urlparse(base_url).hostname
        local = {host, "127.0.0.1", "localhost"}
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", self._on_failed)

        def on_request(request):
            parsed = urlparse(request.url)
            if parsed.scheme in ("data", "blob", "about"):
                return
            if parsed.hostname not in local:
                self.problems.append(f"external request: {request.url}")

        page.on("request", on_request)

    def _on_failed(self, request) -> None:
        # A request the browser itself cancelled because the page navigated on (a click that submits a form
        # while the favicon or a poll is still loading) is not a failure of ours; anything else is.
        cancellable = ("other", "xhr", "fetch", "image")
        if request.failure == "net::ERR_ABORTED" and request.resource_type in cancellable:
            return
        self.problems.append(f"failed: {request.url} {request.failure}")


def log_in(page, base_url: str, username: str, password: str = "pw") -> None:
    """Log in through the login form (its last submit button: the header's language form comes first) and
    wait for the home page; works with JavaScript off as well."""
    page.goto(base_url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(base_url + "/home/")


@pytest.fixture
def open_page(browser, live_server):
    """open_page(user, viewport) → a logged-in Chromium page asking for Chinese, and its watcher."""
    contexts = []

    def _open(user=None, *, viewport=PHONE, password: str = "pw"):
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        watcher = Watcher(page, live_server.url)
        if user is not None:
            log_in(page, live_server.url, user.username, password)
        return page, watcher

    yield _open
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
