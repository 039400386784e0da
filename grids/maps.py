"""Map data every console draws: grid outlines as GeoJSON, and the map's settings (tiles, centre, zoom)."""

from django.conf import settings


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
    """Map settings for static/js/maps.js: tiles only when MAP_TILES_URL is set."""
    leaflet = getattr(settings, "LEAFLET_CONFIG", {})
    return {
        "tiles": settings.MAP_TILES_URL,
        "center": list(leaflet.get("DEFAULT_CENTER", (28.68, 115.89))),
        "zoom": leaflet.get("DEFAULT_ZOOM", 13),
    }
