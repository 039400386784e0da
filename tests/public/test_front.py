"""The front page (`/`) and a grid's public page (/public/grids/<code>/): the public site for anonymous
visitors and residents, staff sent home; a grid's page names its administrators and their work phones and
nothing else about them."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from grids.models import GridAssignment

from ..cases.helpers import drive, report
from .test_map import hidden

FRONT = "/"


def test_an_anonymous_visitor_gets_the_public_front_page(client, world):
    response = client.get(FRONT)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{reverse("public-report")}"' in html
    assert reverse("public-map-data") in html and reverse("public-place-search") in html
    assert reverse("public-report-where") in html
    assert 'id="public-map"' in html and "public_map.js" in html
    assert reverse("public-my-reports") + '"' not in html.split("<main", 1)[1]


@pytest.mark.parametrize("persona", ["gridadmin", "dispatcher", "staff", "supervisor"])
def test_staff_at_the_front_page_are_sent_to_their_home(client, world, persona):
    client.force_login(getattr(world, persona))
    response = client.get(FRONT)
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_staff_log_in_at_login(client, world):
    response = client.get("/login/")
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


def test_a_resident_sees_the_front_page_with_their_reports(client, world):
    client.force_login(world.resident)
    response = client.get(FRONT)
    assert response.status_code == 200
    main = response.content.decode().split("<main", 1)[1]
    assert reverse("public-my-reports") in main


def test_the_front_page_lists_recent_public_cases_only(client, world, django_assert_max_num_queries):
    shown = [report(world) for _ in range(3)]
    secret = hidden(world, report(world))
    rejected = drive(world, "rejected")
    with django_assert_max_num_queries(6):
        response = client.get(FRONT)
    html = response.content.decode()
    for case in shown:
        assert reverse("public-case", kwargs={"number": case.number}) in html
    assert secret.number not in html and rejected.number not in html
    assert "渊明第一网格" in html  # the rough place


def test_the_category_filter_offers_public_classes(client, world):
    world.cats.manhole.publicity = "never"
    world.cats.manhole.save()
    html = client.get(FRONT).content.decode()
    assert f'value="{world.cats.waste.code}"' in html and f'value="{world.cats.major.code}"' in html
    assert f'value="{world.cats.manhole.code}"' not in html


# --- a grid's page ----------------------------------------------------------------------------------------


def grid_url(grid) -> str:
    return reverse("public-grid", kwargs={"code": grid.code})


@pytest.fixture
def named(world):
    """Grid 1's administrator with a name, a work phone, and an e-mail address the public must not see."""
    User = get_user_model()
    User.objects.filter(pk=world.gridadmin.pk).update(
        first_name="伟", last_name="王", email="wangwei.private@example.org"
    )
    GridAssignment.objects.filter(grid=world.g1, user=world.gridadmin).update(work_phone="0791-86661234")
    return world


def test_a_grid_page_names_its_administrators_and_their_work_phones_only(client, named):
    world = named
    response = client.get(grid_url(world.g1))
    assert response.status_code == 200
    html = response.content.decode()
    assert "王伟" in html and "0791-86661234" in html
    assert world.g1.name in html and world.g1.code in html
    assert "渊明社区" in html and "公园街道" in html
    for private in ("wangwei.private@example.org", world.gridadmin.username, "example.org"):
        assert private not in html


def test_an_administrator_without_a_name_is_named_by_the_role_not_the_account(client, world):
    html = client.get(grid_url(world.g3)).content.decode()
    assert world.other_gridadmin.username not in html
    assert world.other_gridadmin.email not in html


def test_a_grid_page_lists_its_public_cases_and_counts(client, world, django_assert_max_num_queries):
    shown = report(world, grid=world.g1)
    other = report(world, grid=world.g2)
    secret = hidden(world, report(world, grid=world.g1))
    closed = drive(world, "closed", report(world, grid=world.g1))
    with django_assert_max_num_queries(6):
        response = client.get(grid_url(world.g1))
    html = response.content.decode()
    assert reverse("public-case", kwargs={"number": shown.number}) in html
    assert reverse("public-case", kwargs={"number": closed.number}) in html
    assert other.number not in html and secret.number not in html
    page = response.context["page"]
    assert (page.open_count, page.fixed_count) == (1, 1)
    assert f"{reverse('public-report')}?grid={world.g1.code}" in html


def test_the_query_count_does_not_grow_with_the_cases(client, world, django_assert_max_num_queries):
    for _ in range(8):
        report(world, grid=world.g1)
    with django_assert_max_num_queries(6):
        client.get(grid_url(world.g1))


@pytest.mark.parametrize("code", ["36010200100199", "abc", "3601020010010１", "1" * 40])
def test_an_unknown_grid_is_not_found(client, world, code):
    assert client.get(reverse("public-grid", kwargs={"code": code})).status_code == 404


def test_the_poster_link_is_shown_to_the_grids_administrators_only(client, world):
    poster = reverse("public-grid-poster", kwargs={"code": world.g1.code})
    assert poster not in client.get(grid_url(world.g1)).content.decode()
    client.force_login(world.other_gridadmin)
    assert poster not in client.get(grid_url(world.g1)).content.decode()
    client.force_login(world.gridadmin)
    assert poster in client.get(grid_url(world.g1)).content.decode()


def test_the_grid_page_has_the_subscription_slot(client, world):
    response = client.get(grid_url(world.g1))
    assert "public/_grid_subscribe.html" in [t.name for t in response.templates]
