"""Login lands each role on its own console, and the navigation shows only what the role may use."""

import pytest
from django.urls import reverse

from .console import html, login


@pytest.mark.parametrize(
    ("persona", "template"),
    [
        ("gridadmin", "cases/home_gridadmin.html"),
        ("dispatcher", "dispatch/queue.html"),
        ("staff", "cases/home_staff.html"),
        ("supervisor", "cases/home_supervisor.html"),
        ("resident", "cases/my_reports.html"),
        ("outsider", "cases/home_norole.html"),
    ],
)
def test_each_role_lands_on_its_own_home(client, world, persona, template):
    response = client.post("/login/", {"username": getattr(world, persona).username, "password": "pw"})
    assert response.status_code == 302 and response.url == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert template in [t.name for t in home.templates]


NAV = {
    "gridadmin": {"case-report", "my-reports", "verification-queue"},
    "dispatcher": {"dispatch-queue", "dispatch-map", "case-search"},
    "staff": {"department-queue", "case-search"},
    "supervisor": {"supervisor-overview", "dispatch-map", "case-search"},
    "resident": {"case-report", "my-reports"},
}
CONSOLES = {
    "case-report",
    "my-reports",
    "verification-queue",
    "dispatch-queue",
    "dispatch-map",
    "department-queue",
    "supervisor-overview",
    "case-search",
}


@pytest.mark.parametrize("persona", sorted(NAV))
def test_the_navigation_offers_only_the_roles_consoles(client, world, persona):
    login(client, getattr(world, persona))
    page = html(client.get(reverse("home")))
    nav = page[page.index('class="mainnav"') : page.index("</nav>")]
    shown = {name for name in CONSOLES if f'href="{reverse(name)}"' in nav}
    assert shown == NAV[persona]


@pytest.mark.parametrize(
    ("persona", "forbidden"),
    [
        (
            "staff",
            ["case-report", "verification-queue", "dispatch-queue", "dispatch-map", "supervisor-overview"],
        ),
        ("gridadmin", ["dispatch-queue", "dispatch-map", "department-queue", "supervisor-overview"]),
        ("resident", ["dispatch-queue", "department-queue", "verification-queue", "supervisor-overview"]),
        ("supervisor", ["dispatch-queue", "department-queue", "case-report"]),
    ],
)
def test_consoles_outside_the_role_answer_403(client, world, persona, forbidden):
    login(client, getattr(world, persona))
    for name in forbidden:
        assert client.get(reverse(name)).status_code == 403, name


def test_consoles_send_anonymous_visitors_to_login(client, world):
    for name in sorted(CONSOLES):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url.startswith("/login/?next="), name


def test_the_login_page_shows_an_error_next_to_the_fields_on_a_wrong_password(client, world):
    response = client.post(
        "/login/", {"username": "dispatcher", "password": "nope"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    page = html(response)
    assert 'role="alert"' in page and 'aria-invalid="true"' in page


def test_every_page_offers_the_language_switcher(client, world):
    page = html(client.get("/login/"))
    assert f'action="{reverse("set_language")}"' in page
    assert 'value="zh-hans"' in page and 'value="en"' in page
