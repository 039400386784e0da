"""What the public site's browser tests share: a browser of a resident or a staff member in a language and a
width, a photo to attach, a confirmed resident account, axe-core's serious findings on a page, and the check
that a page shows nobody's personal data."""

import io
from collections.abc import Iterable
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from PIL import Image

from public import accounts

from .conftest import PHONE, Watcher

LOCALES = {"zh-hans": "zh-CN", "en": "en-US"}

# WCAG 2.1 A and AA, the bar; of what axe-core finds, serious and critical fail a page.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = ("serious", "critical")
_axe = Axe()  # axe-core's script ships inside the package (axe.min.js): nothing is fetched


class Browsers:
    """Opens browser contexts (each a person: their language, width, position, log-in) and closes them."""

    def __init__(self, browser, base_url: str):
        self.browser = browser
        self.base_url = base_url
        self.contexts = []

    def open(self, *, lang: str = "zh-hans", viewport=PHONE, user=None, position=None):
        """A page of a new person → (page, watcher). `position` (lat, lng) is what the phone's geolocation
        says, granted to our site; `user` is logged in through a session made by Django's test client."""
        options = {"viewport": viewport, "locale": LOCALES[lang]}
        if position is not None:
            options["geolocation"] = {"latitude": position[0], "longitude": position[1], "accuracy": 8}
            options["permissions"] = ["geolocation"]
        context = self.browser.new_context(**options)
        self.contexts.append(context)
        cookies = [{"name": settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": self.base_url}]
        if user is not None:
            client = Client()
            client.force_login(user)
            session = client.cookies[settings.SESSION_COOKIE_NAME].value
            cookies.append({"name": settings.SESSION_COOKIE_NAME, "value": session, "url": self.base_url})
        context.add_cookies(cookies)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page, Watcher(page, self.base_url)

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts = []


def photo_file(directory: Path, name: str = "scene.jpg", colour=(120, 160, 90)) -> str:
    """A small real JPEG on disk, for set_input_files."""
    path = directory / name
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def settle(page) -> None:
    """Two animation frames: what the page's scripts changed has been laid out."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


PASSWORD = "a long pass phrase 7"


def confirmed_resident(email: str, password: str = PASSWORD):
    """A resident's account on the public site (public.accounts), its e-mail address confirmed through its
    link → the user."""
    signup = accounts.account_signup_email(email=email, password=password, base_url="http://testserver")
    accounts.email_confirm(token=accounts.email_confirm_token(signup.account))
    return signup.account.user


# --- accessibility -----------------------------------------------------------------------------------------


def axe_problems(page, where: str) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page as it is now, one line each:
    the page, the rule, its impact and the elements."""
    results = _axe.run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] not in FAILING_IMPACTS:
            continue
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
        more = f" (+{len(targets) - 4} more)" if len(targets) > 4 else ""
        found.append(
            f"{where}: {violation['id']} ({violation['impact']}) at {'; '.join(targets[:4])}{more}"
            f" — {violation['help']}"
        )
    return found


# --- personal data -----------------------------------------------------------------------------------------


def private_data_shown(page, private: Iterable[str]) -> list[str]:
    """Which of the `private` strings (contacts, names, usernames) the page shows: in its text, its markup
    (attributes, hidden inputs, scripts) or its title; compared without case."""
    markup = page.content().lower()
    text = page.locator("body").inner_text().lower()
    return [value for value in private if value and (value.lower() in markup or value.lower() in text)]


def staff_identity(user) -> list[str]:
    """What identifies a staff member: username, e-mail, full name and its parts as stored."""
    names = [user.get_full_name(), user.first_name + user.last_name, user.last_name + user.first_name]
    return [user.username, user.email, *[n for n in names if n.strip()]]


# --- the public report form --------------------------------------------------------------------------------


def case_number_on(page) -> str:
    """The case number the report-sent page shows."""
    number = page.locator(".report-sent-number [translate=no]").inner_text().strip()
    assert number.isdigit(), f"no case number on {page.url}: {number!r}"
    return number
