"""The public map's data (/public/map/cases/) and the place search (/public/places/): only public cases, only
what the public may read, never more features than one answer may carry, and a clear 400 for bad input."""

import datetime as dt
import json

import pytest
from django.urls import reverse

from cases import services
from cases.models import Case
from gridmgmt import clock, tasking
from public import mapdata

from ..cases.helpers import drive, report
from ..factories import ORIGIN_LAT, ORIGIN_LNG, STEP
from ..places.factories import building

# The test district (four 0.01° grids) with room around it.
BOX = f"{ORIGIN_LNG - 0.01},{ORIGIN_LAT - 0.01},{ORIGIN_LNG + 0.03},{ORIGIN_LAT + 0.03}"
SECRET = "隔壁王大爷家门口"


def get_map(client, *, zoom=17, bbox=BOX, **params):
    return client.get(reverse("public-map-data"), {"bbox": bbox, "zoom": zoom, **params})


def numbers(response) -> set[str]:
    return {f["properties"]["number"] for f in response.json()["features"]}


def hidden(world, case: Case) -> Case:
    with tasking.suppressed():
        return services.case_publicity_set(case=case, actor=world.dispatcher, public=False, reason="隐私")


@pytest.fixture
def cases(world):
    """Public cases in three states, a hidden one, a rejected one and one closed long ago; the open one
    in grid 1, the others in grid 2."""
    shown = report(world, description=SECRET, reporter_name="欧阳锋", reporter_contact="13912345678")
    ads = report(world, category=world.cats.ads, grid=world.g2)
    closed = drive(world, "closed", report(world, grid=world.g2))
    old = drive(world, "closed", report(world, grid=world.g2))
    Case.objects.filter(pk=old.pk).update(closed_at=clock.now() - dt.timedelta(days=90))
    rejected = drive(world, "rejected", report(world, grid=world.g2))
    secret = hidden(world, report(world))
    return {"open": shown, "ads": ads, "closed": closed, "old": old, "rejected": rejected, "hidden": secret}


def test_it_shows_open_and_recently_fixed_public_cases_and_nothing_else(client, cases):
    response = get_map(client)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "public" in response["Cache-Control"]
    body = response.json()
    assert body["type"] == "FeatureCollection" and body["clustered"] is False and body["truncated"] is False
    assert numbers(response) == {cases[k].number for k in ("open", "ads", "closed")}
    for key in ("hidden", "rejected", "old"):
        assert cases[key].number not in response.content.decode()


def test_a_feature_carries_only_what_the_public_page_shows(client, world, cases):
    response = get_map(client)
    feature = next(
        f for f in response.json()["features"] if f["properties"]["number"] == cases["open"].number
    )
    assert set(feature["properties"]) == {
        "number",
        "category",
        "category_name",
        "state",
        "state_label",
        "reported",
        "supporters",
        "url",
    }
    assert feature["properties"]["url"] == reverse("public-case", kwargs={"number": cases["open"].number})
    assert feature["properties"]["category"] == world.cats.waste.code
    lng, lat = feature["geometry"]["coordinates"]
    assert lat == round(lat, 4) and lng == round(lng, 4)  # roughly where: ~10 m
    text = response.content.decode()
    for secret in (SECRET, "欧阳锋", "13912345678", world.gridadmin.username, world.staff.username):
        assert secret not in text


def test_it_filters_by_category_major_or_minor_and_by_state(client, world, cases):
    assert numbers(get_map(client, category=world.cats.ads.code)) == {cases["ads"].number}
    assert numbers(get_map(client, category=world.cats.major.code)) == {
        cases[k].number for k in ("open", "ads", "closed")
    }
    assert numbers(get_map(client, category=world.cats.manhole.code)) == set()
    assert numbers(get_map(client, state="open")) == {cases["open"].number, cases["ads"].number}
    assert numbers(get_map(client, state="closed")) == {cases["closed"].number}


def test_it_keeps_to_the_box(client, world, cases):
    # Only grid 1's square: the cases of grid 2 lie outside it.
    g1 = world.g1
    box = f"{g1.min_lng},{g1.min_lat},{g1.max_lng - STEP / 4},{g1.max_lat - STEP / 4}"
    assert numbers(get_map(client, bbox=box)) == {cases["open"].number}


def test_clusters_at_low_zoom_count_every_visible_case_once(client, cases):
    for zoom in (9, 12, 14, 15):
        body = get_map(client, zoom=zoom).json()
        assert body["clustered"] is True
        assert all(f["properties"]["cluster"] for f in body["features"])
        assert sum(f["properties"]["count"] for f in body["features"]) == 3 == body["total"]
        assert "number" not in json.dumps(body)


def test_never_more_features_than_the_setting_allows(client, world, settings):
    settings.PUBLIC_MAP_MAX_FEATURES = 3
    made = [
        report(world, lat=ORIGIN_LAT + 0.001 * i, lng=ORIGIN_LNG + 0.0015 * i + 0.0005) for i in range(1, 7)
    ]
    body = get_map(client, zoom=18).json()
    assert len(body["features"]) == 3 and body["truncated"] is True
    # The most recent are kept.
    assert {f["properties"]["number"] for f in body["features"]} == {c.number for c in made[-3:]}
    for zoom in (10, 13, 15):
        body = get_map(client, zoom=zoom).json()
        assert len(body["features"]) <= 3
        assert sum(f["properties"]["count"] for f in body["features"]) == 6


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"bbox": "1,2,3"},
        {"bbox": "a,b,c,d"},
        {"bbox": "nan,1,2,3"},
        {"bbox": "inf,1,2,3"},
        {"bbox": "115.9,28.6,115.8,28.7"},  # west > east
        {"bbox": "115.8,28.7,115.9,28.6"},  # south > north
        {"bbox": "-181,0,0,1"},
        {"bbox": "0,-91,1,0"},
        {"bbox": "100,20,120,40"},  # a continent
        {"bbox": BOX, "zoom": "21"},
        {"bbox": BOX, "zoom": "-1"},
        {"bbox": BOX, "zoom": "x"},
        {"bbox": BOX, "zoom": "١٢"},  # Arabic-Indic digits
        {"bbox": BOX, "zoom": "12", "state": "rejected"},
        {"bbox": BOX, "zoom": "12", "category": "9999"},
    ],
)
def test_bad_input_is_a_400_that_says_what_is_wrong(client, world, params):
    response = client.get(reverse("public-map-data"), params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] and error["field"] in {"bbox", "zoom", "state", "category"}


def test_it_reads_the_map_in_a_bounded_number_of_queries(client, world, cases, django_assert_max_num_queries):
    mapdata.category_ids_by_code.get()  # the categories are cached per process
    with django_assert_max_num_queries(1):
        get_map(client, zoom=17, category=world.cats.waste.code)
    with django_assert_max_num_queries(2):  # clusters: the open cases, the recently fixed ones
        get_map(client, zoom=12)


def test_the_map_is_open_to_everyone_and_staff_alike(client, world, cases):
    client.force_login(world.dispatcher)
    assert numbers(get_map(client)) == {cases[k].number for k in ("open", "ads", "closed")}


# --- the place search ------------------------------------------------------------------------------------


def search(client, q):
    return client.get(reverse("public-place-search"), {"q": q})


def test_it_finds_a_road_a_standard_address_and_a_grid(client, world):
    found = building(world.g2, road="八一大道", number="123", name="1")
    building(world.g2, road="八一大道", number="125")
    results = search(client, "八一大道").json()["results"]
    road = next(r for r in results if r["kind"] == "road")
    assert road["label"] == "八一大道"
    assert abs(road["lat"] - found.lat) < 1e-6  # the middle of its buildings
    results = search(client, "八一大道123号1栋").json()["results"]
    assert results[0]["kind"] == "address" and results[0]["label"] == found.address
    assert (results[0]["lat"], results[0]["lng"]) == (round(found.lat, 6), round(found.lng, 6))
    results = search(client, "渊明第二").json()["results"]
    assert [r["kind"] for r in results] == ["grid"]
    assert results[0]["label"].startswith(world.g2.name)
    assert set(results[0]) == {"label", "lat", "lng", "kind"}


def test_a_house_address_finds_only_its_building(client, world):
    from ..places.factories import house

    found = house(building(world.g1, road="孺子路", number="8"), unit=2, room="301")
    results = search(client, "孺子路8号1栋2单元301").json()["results"]
    assert results[0]["label"] == found.building.address
    assert "301" not in json.dumps(results, ensure_ascii=False)


def test_the_place_search_answers_at_most_ten_and_nothing_for_little_text(client, world):
    for n in range(14):
        building(world.g1, road="青山路", number=str(n + 1))
    assert len(search(client, "青山路").json()["results"]) == 10
    assert search(client, "").json() == {"results": []}
    assert search(client, "青").json() == {"results": []}
    assert search(client, "没有这条路").json() == {"results": []}


@pytest.mark.parametrize("q", ["八一\x00大道", "八一\x07大道"])
def test_the_place_search_refuses_control_characters_with_a_400(client, world, q):
    assert search(client, q).status_code == 400


def test_the_map_refuses_a_nul_with_a_400(client, world):
    assert get_map(client, bbox=BOX + "\x00").status_code == 400


def test_the_place_search_reads_in_a_bounded_number_of_queries(client, world, django_assert_max_num_queries):
    for n in range(5):
        building(world.g1, road="青山路", number=str(n + 1))
    with django_assert_max_num_queries(5):
        search(client, "青山路3号")
