"""GET /api/v1/grids/: the grid layer as GeoJSON, in the caller's scope, in a constant number of queries."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grids import services as grid_services

from ..factories import ORIGIN_LAT, ORIGIN_LNG, STEP, square

URL = "/api/v1/grids/"


def codes(response) -> list[str]:
    return [f["properties"]["code"] for f in response.json()["features"]]


def test_it_serves_a_feature_collection_with_the_grid_properties(world, client):
    g1 = grid_services.grid_save(
        code=world.g1.code, name=world.g1.name, boundary=world.g1.boundary, properties={"tier": "A"}
    )
    client.force_login(world.supervisor)
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    data = response.json()
    assert data["type"] == "FeatureCollection"
    assert codes(response) == [g.code for g in (world.g1, world.g2, world.g3, world.g4)]
    first = data["features"][0]
    assert first["type"] == "Feature" and first["geometry"] == g1.boundary
    assert first["properties"] == {
        "code": g1.code,
        "name": g1.name,
        "community_code": world.communities[0].code,
        "area_m2": round(g1.area_m2, 1),
        "tier": "A",
    }


def test_it_answers_plain_json_to_a_client_that_asks_for_it(world, client):
    client.force_login(world.dispatcher)
    response = client.get(URL, HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"


def test_it_filters_by_community_and_street(world, client):
    client.force_login(world.supervisor)
    b = world.communities[1].code
    assert codes(client.get(URL, {"community": b})) == [world.g3.code, world.g4.code]
    assert len(codes(client.get(URL, {"street": world.street.code}))) == 4
    assert codes(client.get(URL, {"street": "360102002"})) == []
    assert codes(client.get(URL, {"street": world.street.code, "community": b})) == [
        world.g3.code,
        world.g4.code,
    ]
    assert codes(client.get(URL, {"street": "360102002", "community": b})) == []


@pytest.mark.parametrize("query", [{"community": "36010200100"}, {"street": "abc"}, {"community": ""}])
def test_it_refuses_a_malformed_filter(world, client, query):
    client.force_login(world.supervisor)
    response = client.get(URL, query)
    assert response.status_code == 400
    assert next(iter(query)) in response.content.decode()


def test_a_grid_administrator_gets_their_own_grids_only(world, client):
    client.force_login(world.gridadmin)
    assert codes(client.get(URL)) == [world.g1.code, world.g2.code]


def test_someone_without_a_role_gets_no_grids(world, client):
    client.force_login(world.outsider)
    assert codes(client.get(URL)) == []


def test_anonymous_callers_are_refused(world, client):
    assert client.get(URL).status_code in (401, 403)


def test_the_number_of_queries_does_not_grow_with_the_layer(world, client):
    client.force_login(world.supervisor)
    client.get(URL)  # warm the session and the user's roles
    with CaptureQueriesContext(connection) as small:
        assert len(codes(client.get(URL))) == 4
    for n in range(3, 9):
        grid_services.grid_save(
            code=f"{world.communities[1].code}{n:02d}",
            name=f"网格{n}",
            boundary=square(ORIGIN_LAT + 2 * STEP, ORIGIN_LNG + n * STEP),
        )
    with CaptureQueriesContext(connection) as large:
        assert len(codes(client.get(URL))) == 10
    assert len(large) == len(small)


def test_its_output_imports_back_unchanged(world, client, tmp_path):
    client.force_login(world.supervisor)
    path = tmp_path / "api.geojson"
    path.write_bytes(client.get(URL).content)
    out = io.StringIO()
    call_command("import_grids", str(path), "--replace", stdout=out, stderr=io.StringIO())
    assert "0 grids created, 0 updated, 4 unchanged, 0 deleted" in out.getvalue()
