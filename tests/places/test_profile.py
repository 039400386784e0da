"""The grid profile (网格画像) and its index: who may see which grid, counts equal to the rows, every count a
link to a list showing exactly that many rows, the map's layers, the administrators and their other grids."""

import itertools
import json
import re
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from places import codes, services
from places.models import Facility, House, Occupancy, Organisation, UnmatchedAddress
from tests.factories import centre
from tests.grids.resident_factories import resident

from . import factories as f

pytestmark = pytest.mark.django_db

_serial = itertools.count(1)


def _as(client, user):
    client.force_login(user)
    return client


def organisation(grid, *, kind: str = "shop", risk_tags=(), **extra) -> Organisation:
    lat, lng = centre(grid)
    return services.organisation_save(
        actor=None,
        name=extra.pop("name", f"单位{next(_serial)}"),
        credit_code=codes.credit_code_complete(f"91360102MA{next(_serial):07d}"),
        kind=kind,
        lat=lat,
        lng=lng,
        address=extra.pop("address", "八一大道1号"),
        risk_tags=risk_tags,
        **extra,
    )


@pytest.fixture
def g1_data(world):
    """Grid 1's base data: rows of every kind the profile counts, and a few in grid 3 that must not count."""
    building = f.building(world.g1, road="八一大道", number="123", units=2, floors=10)
    f.building(world.g1, road="八一大道", number="125")
    owner = f.house(building, unit=1, room="301")
    f.house(building, unit=1, room="302")
    rented = f.house(building, unit=2, room="401", use=House.Use.RENTED)
    f.house(building, unit=2, room="402", use=House.Use.VACANT)
    for house, population in ((owner, "registered"), (owner, "registered"), (rented, "floating")):
        person = resident(world.g1, name="赵钱孙")
        services.occupancy_start(
            actor=None, resident=person, house=house, since="2020-01-01", population=population
        )
    resident(world.g1, name="未入户", address="无此路1号")
    services.residents_link_addresses(grid_ids=[world.g1.pk])
    organisation(world.g1, kind="shop", risk_tags=["fire_safety"])
    organisation(world.g1, kind="shop")
    organisation(world.g1, kind="school", risk_tags=["crowded", "fire_safety"])
    f.facility(world.g1, code="0101")
    f.facility(world.g1, code="0101", state="damaged")
    f.facility(world.g1, code="0303")
    # Grid 3's rows: counted in its own profile only.
    other = f.building(world.g3, road="阳明路", number="8")
    f.house(other, room="101")
    organisation(world.g3, kind="shop")
    f.facility(world.g3, code="0101")
    return building


# --- who sees which profile -----------------------------------------------------------------------------


def test_the_index_lists_an_administrators_grids_in_natural_order(client, world):
    response = _as(client, world.gridadmin).get(reverse("places-index"))
    assert [row["grid"].code for row in response.context["rows"]] == [world.g1.code, world.g2.code]
    assert reverse("places-grid-profile", args=[world.g1.code]) in response.content.decode()


@pytest.mark.parametrize("persona", ["dispatcher", "supervisor"])
def test_readers_see_every_grid_and_profile(client, world, persona):
    c = _as(client, getattr(world, persona))
    assert len(c.get(reverse("places-index")).context["rows"]) == 4
    assert c.get(reverse("places-grid-profile", args=[world.g3.code])).status_code == 200


def test_an_administrator_does_not_see_another_grids_profile(client, world):
    c = _as(client, world.gridadmin)
    assert c.get(reverse("places-grid-profile", args=[world.g1.code])).status_code == 200
    assert c.get(reverse("places-grid-profile", args=[world.g3.code])).status_code == 404
    assert c.get(reverse("places-grid-profile", args=["99999999999999"])).status_code == 404
    assert c.get(reverse("places-grid-profile", args=["第一网格"])).status_code == 404


@pytest.mark.parametrize("persona", ["staff", "resident", "outsider"])
def test_staff_residents_and_outsiders_get_403(client, world, persona):
    c = _as(client, getattr(world, persona))
    assert c.get(reverse("places-index")).status_code == 403
    assert c.get(reverse("places-grid-profile", args=[world.g1.code])).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    response = client.get(reverse("places-grid-profile", args=[world.g1.code]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


# --- counts and the lists behind them -------------------------------------------------------------------


def _figures(response) -> dict[str, list]:
    return response.context["figures"]


def test_the_counts_equal_the_rows(client, world, g1_data):
    response = _as(client, world.gridadmin).get(reverse("places-grid-profile", args=[world.g1.code]))
    figures = _figures(response)
    counts = {
        name: [figure.count for figure in figures[name]]
        for name in ("residents", "houses", "organisations", "risks", "majors", "states")
    }
    # registry; registered, permanent, floating population living in the grid's houses
    assert counts["residents"] == [4, 2, 0, 1]
    # buildings; owner-occupied, rented, vacant, commercial; unmatched addresses
    assert counts["houses"] == [2, 2, 1, 1, 0, 1]
    kinds = dict(zip(Organisation.Kind.values, counts["organisations"], strict=True))
    assert kinds["shop"] == 2 and kinds["school"] == 1 and sum(kinds.values()) == 3
    assert counts["risks"] == [2, 0, 1]  # fire safety, hazardous, crowded
    assert counts["majors"][0] == 2 and counts["majors"][2] == 1 and sum(counts["majors"]) == 3
    assert dict(zip(Facility.State.values, counts["states"], strict=True)) == {
        "intact": 2,
        "damaged": 1,
        "missing": 0,
        "occupied": 0,
    }
    assert UnmatchedAddress.objects.filter(grid=world.g1).count() == 1
    assert Occupancy.objects.filter(house__grid=world.g1).count() == 3


def _rows_listed(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    if "page" in response.context and response.context["page"] is not None:
        return response.context["page"].paginator.count
    raise AssertionError(f"{url} shows no paginated list")


def test_every_count_links_to_a_list_of_exactly_that_many_rows(client, world, g1_data):
    c = _as(client, world.gridadmin)
    response = c.get(reverse("places-grid-profile", args=[world.g1.code]))
    page = response.content.decode()
    figures = _figures(response)
    checked = 0
    for name in ("residents", "houses", "organisations", "risks", "majors", "states"):
        for figure in figures[name]:
            assert figure.url, f"{name}: {figure.label} has no link"
            assert figure.url.replace("&", "&amp;") in page
            assert _rows_listed(c, figure.url) == figure.count, f"{name}: {figure.label} → {figure.url}"
            checked += 1
    assert checked >= 30
    for figure in figures["others"]:  # the counts other apps add (open and overdue cases)
        assert figure.url and resolve(urlsplit(figure.url).path)


def test_the_lists_behind_the_counts_are_named_as_agreed(client, world):
    """The organisation and facility lists take the profile's filters under these names."""
    c = _as(client, world.gridadmin)
    for name, params in (
        ("places-organisation-list", {"grid": world.g1.code, "kind": "shop", "risk": "crowded"}),
        ("places-facility-list", {"grid": world.g1.code, "major": "01", "state": "damaged"}),
        ("places-building-list", {"grid": world.g1.code}),
        ("places-house-list", {"grid": world.g1.code, "use": "rented"}),
        ("places-occupant-list", {"grid": world.g1.code, "population": "floating"}),
        ("places-unmatched", {"grid": world.g1.code}),
    ):
        assert c.get(reverse(name), params).status_code == 200, name


# --- the map and the people -----------------------------------------------------------------------------


def test_the_map_carries_the_grid_and_its_layers_as_json(client, world, g1_data):
    response = _as(client, world.gridadmin).get(reverse("places-grid-profile", args=[world.g1.code]))
    layers = {layer["name"]: layer for layer in response.context["layers"]}
    assert {"buildings", "facilities", "organisations"} <= set(layers)
    assert len(layers["facilities"]["features"]) == 3 and len(layers["organisations"]["features"]) == 3
    titles = [feature["properties"]["title"] for feature in layers["buildings"]["features"]]
    assert sorted(titles) == ["八一大道123号1栋", "八一大道125号1栋"]
    page = response.content.decode()
    assert 'id="profile-layers"' in page and 'id="grid-geojson"' in page
    embedded = re.search(r'<script id="profile-layers"[^>]*>(.*?)</script>', page, re.S).group(1)
    assert [layer["name"] for layer in json.loads(embedded)] == [
        layer["name"] for layer in response.context["layers"]
    ]


def test_the_profile_names_its_administrators_and_their_other_grids(client, world):
    c = _as(client, world.supervisor)
    response = c.get(reverse("places-grid-profile", args=[world.g1.code]))
    (admin,) = response.context["administrators"]
    assert admin.name == "gridadmin"
    assert [(grid.code, url) for grid, url in admin.other_grids] == [
        (world.g2.code, reverse("places-grid-profile", args=[world.g2.code]))
    ]


def test_the_profile_costs_the_same_queries_for_3_and_30_rows(client, world, django_assert_max_num_queries):
    c = _as(client, world.gridadmin)
    url = reverse("places-grid-profile", args=[world.g1.code])

    def add(n: int) -> None:
        for _ in range(n):
            building = f.building(world.g1)
            f.house(building, room="101")
            organisation(world.g1)
            f.facility(world.g1)

    add(3)
    with CaptureQueriesContext(connection) as few:
        assert c.get(url).status_code == 200
    add(27)
    with django_assert_max_num_queries(len(few)):
        assert c.get(url).status_code == 200
    assert len(few) <= 40


def test_the_index_costs_the_same_queries_for_few_and_many_grids(
    client, world, django_assert_max_num_queries
):
    c = _as(client, world.dispatcher)
    with CaptureQueriesContext(connection) as few:
        assert c.get(reverse("places-index")).status_code == 200
    for grid in (world.g1, world.g2, world.g3, world.g4):
        f.building(grid)
    with django_assert_max_num_queries(len(few)):
        assert c.get(reverse("places-index")).status_code == 200
