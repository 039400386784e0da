"""Cases as map points, for every console that draws cases on a map (grid outlines: grids.maps)."""

from django.urls import reverse
from django.utils.translation import get_language

from .ui import category_label, deadline_clock


def case_points(cases, now) -> list[dict]:
    """Cases as map points (json_script): position, label, state and where they stand against the clock."""
    language = get_language()
    points = []
    for case in cases:
        clk = deadline_clock(case, now)
        points.append(
            {
                "id": case.pk,
                "number": case.number,
                "lat": case.lat,
                "lng": case.lng,
                "grid": case.grid_id,
                "state": case.state,
                "label": f"{case.number} · {category_label(case.category, language)}",
                "status": clk.status,
                "url": reverse("case-detail", args=[case.pk]),
            }
        )
    return points
