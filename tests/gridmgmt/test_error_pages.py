"""Error pages are ours, styled and translated, with a way back: with DEBUG on (`make run`) as with it off;
Django's technical pages only when DEBUG_ERROR_PAGES asks for them; API callers keep their own format."""

import logging

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

TECHNICAL_404 = "Using the URLconf"
TECHNICAL_500 = "Traceback"


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True
    settings.DEBUG_ERROR_PAGES = False
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    return settings


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "title", "way_back"),
    [("zh-hans", "找不到此页面", "登录"), ("en", "Page not found", "Log in")],
)
def test_it_shows_our_404_for_an_unknown_address_with_debug_on(debug_on, client, language, title, way_back):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 404
    page = response.content.decode()
    assert TECHNICAL_404 not in page
    assert "cases/<int:pk>/" not in page  # no URL pattern listed
    assert title in page
    # A visitor who is not logged in is offered the residents' front page, and the staff login.
    assert 'href="/">' in page and f'href="/login/">{way_back}</a>' in page
    assert 'class="topbar"' in page  # the site's own header, styles and language switch
    assert "/static/css/app.css" in page


def test_it_shows_our_404_when_a_view_finds_nothing_with_debug_on(debug_on, client, world):
    client.force_login(world.gridadmin)
    response = client.get("/cases/987654/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 404
    page = response.content.decode()
    assert TECHNICAL_404 not in page and "No Case matches" not in page
    assert "找不到此页面" in page
    assert 'href="/home/">返回我的首页</a>' in page  # a logged-in user goes back to their home page


@pytest.mark.django_db
def test_it_shows_our_404_with_debug_off(settings, client):
    settings.DEBUG = False
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.django_db
def test_debug_error_pages_brings_back_djangos_technical_404(debug_on, client):
    debug_on.DEBUG_ERROR_PAGES = True
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert TECHNICAL_404 in response.content.decode()


@pytest.mark.django_db
def test_an_append_slash_redirect_still_happens_with_debug_on(debug_on, client):
    assert client.get("/home").status_code == 301


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [True, False])
def test_an_api_404_stays_json(settings, client, debug):
    settings.DEBUG = debug
    settings.DEBUG_ERROR_PAGES = False
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "title"),
    [("zh-hans", "系统出错了"), ("en", "Something went wrong on our side")],
)
def test_a_failing_view_shows_our_500_and_logs_its_traceback_with_debug_on(debug_on, language, title, caplog):
    debug_on.ROOT_URLCONF = "tests.gridmgmt.error_urls"
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/boom/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 500
    page = response.content.decode()
    assert TECHNICAL_500 not in page and "a bug in a view" not in page and "SECRET_KEY" not in page
    assert title in page
    assert 'href="/home/"' in page
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info and isinstance(record.exc_info[1], RuntimeError)  # the traceback is logged


@pytest.mark.django_db
def test_a_failing_view_shows_our_500_with_debug_off(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.gridmgmt.error_urls"
    response = Client(raise_request_exception=False).get("/boom/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


def test_the_500_page_renders_without_a_request_or_a_database():
    # No django_db mark: any query here fails the test. Django renders 500.html with no context at all.
    with translation.override("zh-hans"):
        page = render_to_string("500.html")
    assert "系统出错了" in page and 'lang="zh-hans"' in page
    assert "/static/css/app.css" in page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_page_outside_the_role_is_our_403(client, world, language):
    client.force_login(world.gridadmin)
    response = client.get("/dispatch/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 403
    page = response.content.decode()
    assert ("您无权访问此页面" if language == "zh-hans" else "Not available to you") in page
    assert 'href="/home/"' in page and 'class="topbar"' in page


@pytest.mark.django_db
def test_a_form_refused_by_the_csrf_check_gets_our_page_saying_what_to_do():
    from django.test import Client

    response = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en").post("/login/", {"username": "x"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "reload its page and send it again" in page and 'class="topbar"' in page
