"""Map data every console draws: grid outlines as GeoJSON, and the map's settings (tiles, centre, zoom)."""

from django.conf import settings
from django.utils.translation import get_language, gettext

from gridmgmt import map_tiles


def grid_map_features(grids) -> dict:
    """Grid polygons as a GeoJSON FeatureCollection for the page's map (json_script)."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": grid.boundary,
                "properties": {
                    "id": grid.pk,
                    "code": grid.code,
                    "name": grid.name,
                    "community": grid.community.name if grid.community_id else "",
                    "centre": [(grid.min_lat + grid.max_lat) / 2, (grid.min_lng + grid.max_lng) / 2],
                },
            }
            for grid in grids
        ],
    }


def map_config() -> dict:
    """Map settings for static/js/maps.js (json_script "map-config"): the preset's tile layers (none for
    MAP_TILES=none) with their attribution in the page's language, a notice the viewer must read (AMap's
    shifted coordinates), and the centre and zoom before the grids are fitted."""
    leaflet = getattr(settings, "LEAFLET_CONFIG", {})
    layers = map_tiles.configured_layers(get_language() or settings.LANGUAGE_CODE)
    return {
        "preset": settings.MAP_TILES,
        "layers": [layer.as_leaflet() for layer in layers],
        "attribution": map_tiles.attribution() if layers else "",
        "notice": map_tiles.notice(),
        # Leaflet's own buttons, which would otherwise say "Zoom in" / "Zoom out" on every page.
        "controls": {"zoomIn": gettext("Zoom in"), "zoomOut": gettext("Zoom out")},
        "center": list(leaflet.get("DEFAULT_CENTER", (28.68, 115.89))),
        "zoom": leaflet.get("DEFAULT_ZOOM", 13),
    }
