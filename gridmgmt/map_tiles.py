"""The base map under the grid outlines: the tile presets (settings.MAP_TILES), each resolved to its Leaflet
tile layers, its attribution and the image hosts the Content-Security-Policy must allow (and no others)."""

from dataclasses import dataclass
from functools import cache
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.html import format_html
from django.utils.translation import gettext

OSM, INTRANET, TIANDITU, AMAP, NONE = "osm", "intranet", "tianditu", "amap", "none"
PRESETS = (OSM, INTRANET, TIANDITU, AMAP, NONE)

# Public tile servers want to know which site a tile is for (OpenStreetMap's usage policy asks for a Referer;
# a Tianditu browser key is bound to the site's domain), while our own pages send no Referer elsewhere
# (SECURE_REFERRER_POLICY = same-origin). Their tile images send the origin only, never a page's path.
ORIGIN_ONLY = "strict-origin"

OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
# Web Mercator WMTS layers (…_w): vector map (vec) under its annotation, Chinese (cva) or English (eva).
TIANDITU_URL = (
    "https://t{s}.tianditu.gov.cn/%(layer)s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=%(layer)s"
    "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=%(key)s"
)
TIANDITU_SUBDOMAINS = tuple("01234567")
AMAP_URL = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
AMAP_SUBDOMAINS = tuple("1234")


@dataclass(frozen=True)
class TileLayer:
    """One Leaflet tile layer: its URL template, the values of `{s}` (empty: Leaflet's own, any one label),
    its deepest zoom, and the Referer policy of its images (empty: the page's)."""

    url: str
    subdomains: tuple[str, ...] = ()
    max_zoom: int = 19
    referrer_policy: str = ""

    def as_leaflet(self) -> dict:
        options: dict = {"url": self.url, "maxZoom": self.max_zoom}
        if self.subdomains:
            options["subdomains"] = list(self.subdomains)
        if self.referrer_policy:
            options["referrerPolicy"] = self.referrer_policy
        return options


@cache
def tile_layers(*, preset: str, url: str, key: str, language: str = "zh-hans") -> tuple[TileLayer, ...]:
    """The layers of `preset`, bottom first; ImproperlyConfigured for a preset that cannot work as set."""
    if preset not in PRESETS:
        raise ImproperlyConfigured(f"MAP_TILES={preset!r}: choose one of {', '.join(PRESETS)}")
    if url and preset != INTRANET:
        # MAP_TILES_URL only ever means "our own tile server": silently ignoring it would hide a mistake.
        raise ImproperlyConfigured(
            f"MAP_TILES_URL is set, but MAP_TILES={preset!r} does not use it: leave it empty"
        )
    if preset == OSM:
        return (TileLayer(OSM_URL, referrer_policy=ORIGIN_ONLY),)
    if preset == INTRANET:
        if not url:
            raise ImproperlyConfigured(
                "MAP_TILES=intranet needs MAP_TILES_URL, the tile server's URL template"
            )
        layer = TileLayer(url)
        tile_sources(layer)  # a host the policy cannot express fails here, at start
        return (layer,)
    if preset == TIANDITU:
        if not key:
            raise ImproperlyConfigured(
                "MAP_TILES=tianditu needs TIANDITU_KEY (a 天地图 browser key for this site)"
            )
        key = quote(key, safe="")
        annotation = "cva" if language.startswith("zh") else "eva"
        return tuple(
            TileLayer(TIANDITU_URL % {"layer": name, "key": key}, TIANDITU_SUBDOMAINS, 18, ORIGIN_ONLY)
            for name in ("vec", annotation)
        )
    if preset == AMAP:
        return (TileLayer(AMAP_URL, AMAP_SUBDOMAINS, 18, ORIGIN_ONLY),)
    return ()


def tile_sources(layer: TileLayer) -> tuple[str, ...]:
    """The origins a tile layer loads from, as CSP sources: `https://t.example/{z}/{x}/{y}.png` →
    `https://t.example`; `{s}` becomes each of the layer's subdomains, or `*.` when it is the whole leftmost
    label and the subdomains are Leaflet's; a relative template is our own origin, already allowed."""
    parts = urlsplit(layer.url)
    if not parts.scheme and not parts.netloc:
        return ()  # relative: served by us ('self')
    netloc = parts.netloc.rsplit("@", 1)[-1]
    if layer.subdomains:
        hosts = [netloc.replace("{s}", s) for s in layer.subdomains]
    else:
        labels = netloc.split(".")
        if labels[0] == "{s}":
            labels[0] = "*"
        hosts = [".".join(labels)]
    if parts.scheme not in ("", "http", "https") or any(not h or "{" in h or "}" in h for h in hosts):
        # CSP can express a wildcard only as the leftmost label; anything else would need a wider policy.
        raise ImproperlyConfigured(f"MAP_TILES_URL {layer.url!r}: the tile host must be fixed or {{s}}.host")
    scheme = f"{parts.scheme}://" if parts.scheme else ""  # protocol-relative: the page's own scheme
    return tuple(f"{scheme}{host.lower()}" for host in hosts)


def configured_layers(language: str = "zh-hans") -> tuple[TileLayer, ...]:
    return tile_layers(
        preset=settings.MAP_TILES, url=settings.MAP_TILES_URL, key=settings.TIANDITU_KEY, language=language
    )


def image_sources() -> tuple[str, ...]:
    """Every host the configured preset's tiles come from, in any language: the pages' CSP img-src."""
    sources: dict[str, None] = {}
    for language in ("zh-hans", "en"):
        for layer in configured_layers(language):
            sources.update(dict.fromkeys(tile_sources(layer)))
    return tuple(sources)


def attribution() -> str:
    """The map's attribution as HTML for Leaflet's attribution control, in the active language, followed
    by MAP_TILES_ATTRIBUTION as plain text (an intranet server's owner; a Chinese map's approval number)."""
    extra = settings.MAP_TILES_ATTRIBUTION
    preset = settings.MAP_TILES
    if preset == OSM:
        own = format_html(
            '<a href="https://www.openstreetmap.org/copyright">{}</a>',
            gettext("© OpenStreetMap contributors"),
        )
    elif preset == TIANDITU:
        own = format_html('<a href="https://www.tianditu.gov.cn/">{}</a>', gettext("Map © Tianditu"))
    elif preset == AMAP:
        own = format_html('<a href="https://www.amap.com/">{}</a>', gettext("Map © AutoNavi (Amap)"))
    else:
        own = ""
    return format_html("{}{}{}", own, " · " if own and extra else "", extra)


def notice() -> str:
    """What the viewer must know to read the map right, in the active language; empty when nothing."""
    if settings.MAP_TILES == AMAP:
        # AMap's tiles are drawn in GCJ-02, our points in WGS-84: shifted on screen until the transform lands.
        return gettext(
            "The base map (Amap) uses China's GCJ-02 coordinates: points and grid outlines may appear up to "
            "about 500 m away from the streets they belong to."
        )
    return ""
