"""The base map's presets (settings.MAP_TILES, gridmgmt/map_tiles.py): the default by DEBUG, each preset's
tile URLs, attribution and CSP img-src hosts, refusals at start, and a test suite that never fetches tiles."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import translation

from gridmgmt.csp import content_security_policy
from gridmgmt.map_tiles import tile_layers
from grids.maps import map_config

ROOT = Path(__file__).resolve().parents[2]
TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
MAP_ENV = ("MAP_TILES", "MAP_TILES_URL", "MAP_TILES_ATTRIBUTION", "TIANDITU_KEY", "DEBUG")


def _settings_in_a_fresh_process(**env: str) -> subprocess.CompletedProcess:
    """Imports the settings module as a deployment would, with only `env` about maps and DEBUG."""
    clean = {k: v for k, v in os.environ.items() if k not in MAP_ENV}
    clean.update(
        SECRET_KEY="k" * 50,
        FIELD_ENCRYPTION_KEY="x",
        FIELD_HASH_KEY="h" * 40,
        AUDIT_CHAIN_KEY="c" * 40,
        AUDIT_SIGNING_KEY="5e" * 32,
        **env,
    )
    code = "import gridmgmt.settings as s; print(s.MAP_TILES)"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)


def _img_src(policy: str) -> list[str]:
    directive = next(d for d in policy.split(";") if d.strip().startswith("img-src"))
    return directive.split()[1:]


@pytest.mark.parametrize(
    ("env", "preset"),
    [
        ({"DEBUG": "1"}, "osm"),  # `make run`: streets out of the box
        ({"DEBUG": "0"}, "none"),  # a deployment chooses its tiles; none until it does
        ({"DEBUG": "0", "MAP_TILES_URL": TILE_URL}, "intranet"),
        ({"DEBUG": "1", "MAP_TILES_URL": TILE_URL}, "intranet"),
        ({"DEBUG": "0", "MAP_TILES": "osm"}, "osm"),
    ],
)
def test_the_default_preset_follows_debug_and_a_tile_url_alone_means_intranet(env, preset):
    result = _settings_in_a_fresh_process(**env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == preset


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"MAP_TILES": "tianditu"}, "TIANDITU_KEY"),
        ({"MAP_TILES": "intranet"}, "MAP_TILES_URL"),
        ({"MAP_TILES": "google"}, "choose one of osm, intranet, tianditu, amap, none"),
        ({"MAP_TILES": "osm", "MAP_TILES_URL": TILE_URL}, "leave it empty"),
    ],
)
def test_a_preset_that_cannot_work_refuses_to_start(env, says):
    result = _settings_in_a_fresh_process(DEBUG="0", **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and says in result.stderr


def test_osm_is_openstreetmaps_standard_tiles_credited_and_allowed(settings):
    settings.MAP_TILES = "osm"
    with translation.override("en"):
        config = map_config()
    assert config["preset"] == "osm"
    assert [layer["url"] for layer in config["layers"]] == ["https://tile.openstreetmap.org/{z}/{x}/{y}.png"]
    assert config["layers"][0]["referrerPolicy"] == "strict-origin"  # the origin only, as OSM's policy asks
    assert config["attribution"] == (
        '<a href="https://www.openstreetmap.org/copyright">© OpenStreetMap contributors</a>'
    )
    assert config["notice"] == ""
    assert _img_src(content_security_policy("n")) == [
        "'self'",
        "data:",
        "blob:",
        "https://tile.openstreetmap.org",
    ]


def test_osm_attribution_is_in_the_pages_language(settings):
    settings.MAP_TILES = "osm"
    with translation.override("zh-hans"):
        assert "© OpenStreetMap 贡献者" in map_config()["attribution"]


def test_intranet_is_the_deployments_own_server_with_its_attribution_as_text(settings):
    settings.MAP_TILES = "intranet"
    settings.MAP_TILES_URL = "https://gis.city.example/tiles/{z}/{x}/{y}.png"
    settings.MAP_TILES_ATTRIBUTION = "市规划和自然资源局 <b>2024</b>"
    config = map_config()
    assert [layer["url"] for layer in config["layers"]] == [settings.MAP_TILES_URL]
    assert "referrerPolicy" not in config["layers"][0]  # our own server: the site's referrer policy
    assert config["attribution"] == "市规划和自然资源局 &lt;b&gt;2024&lt;/b&gt;"  # plain text, never markup
    assert _img_src(content_security_policy("n")) == ["'self'", "data:", "blob:", "https://gis.city.example"]


def test_tianditu_draws_its_vector_map_under_the_annotation_of_the_pages_language(settings):
    settings.MAP_TILES = "tianditu"
    settings.TIANDITU_KEY = "0123456789abcdef0123456789abcdef"
    settings.MAP_TILES_ATTRIBUTION = "审图号：GS(2024)0650号"
    with translation.override("zh-hans"):
        zh = map_config()
    with translation.override("en"):
        en = map_config()
    for config, annotation in ((zh, "cva"), (en, "eva")):
        urls = [layer["url"] for layer in config["layers"]]
        assert [u.split(".tianditu.gov.cn/")[1].split("/")[0] for u in urls] == ["vec_w", f"{annotation}_w"]
        assert all(u.startswith("https://t{s}.tianditu.gov.cn/") for u in urls)
        assert all(u.endswith("&tk=0123456789abcdef0123456789abcdef") for u in urls)
        assert all(layer["subdomains"] == list("01234567") for layer in config["layers"])
    credit = '<a href="https://www.tianditu.gov.cn/">地图 © 天地图</a>'
    assert zh["attribution"] == f"{credit} · 审图号：GS(2024)0650号"
    assert zh["notice"] == ""  # CGCS2000 ≈ WGS-84: nothing shifted
    hosts = [f"https://t{n}.tianditu.gov.cn" for n in range(8)]
    assert _img_src(content_security_policy("n")) == ["'self'", "data:", "blob:", *hosts]


def test_amap_says_under_every_map_that_its_positions_are_shifted(settings, world):
    settings.MAP_TILES = "amap"
    with translation.override("en"):
        config = map_config()
    assert [layer["url"] for layer in config["layers"]] == [
        "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
    ]
    assert "AutoNavi" in config["attribution"]
    assert "GCJ-02" in config["notice"] and "500 m" in config["notice"]
    hosts = [f"https://webrd0{n}.is.autonavi.com" for n in range(1, 5)]
    assert _img_src(content_security_policy("n")) == ["'self'", "data:", "blob:", *hosts]

    client = Client()
    client.force_login(world.gridadmin)
    page = client.get("/report/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'class="map-notice"' in page and "GCJ-02" in page


def test_none_has_no_layer_and_no_tile_host(settings):
    settings.MAP_TILES = "none"
    config = map_config()
    assert config["layers"] == [] and config["attribution"] == "" and config["notice"] == ""
    assert _img_src(content_security_policy("n")) == ["'self'", "data:", "blob:"]


def test_the_test_suite_never_fetches_tiles(world):
    """tests/conftest.py sets MAP_TILES=none whatever DEBUG would choose: the pages carry no tile layer."""
    client = Client()
    client.force_login(world.gridadmin)
    response = client.get("/report/")
    page = response.content.decode()
    config = json.loads(page.split('id="map-config" type="application/json">')[1].split("</script>")[0])
    assert config["preset"] == "none" and config["layers"] == []
    assert _img_src(response["Content-Security-Policy"]) == ["'self'", "data:", "blob:"]


def test_an_unknown_preset_is_refused_where_it_is_resolved():
    with pytest.raises(ImproperlyConfigured):
        tile_layers(preset="OSM", url="", key="")
