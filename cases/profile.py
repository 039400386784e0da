"""What cases add to a grid's profile page (places.profile): the open and overdue counts, each linking to the
case search narrowed to the grid, and the open cases as a map layer. Registered in CasesConfig.ready."""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from .forms import STATE_OPEN
from .models import OPEN_STATES
from .selectors import cases_open_rows, cases_overdue_rows, cases_visible_to
from .ui import category_label

# The profile map shows the grid's most recent open cases; the search behind the count lists them all.
LAYER_MAX = 500


def _search_url(**params) -> str:
    return f"{reverse('case-search')}?{urlencode(params)}"


def open_cases_count(grid) -> int:
    return cases_open_rows(timezone.now()).filter(grid=grid).count()


def open_cases_link(grid) -> str:
    return _search_url(grid=grid.code, state=STATE_OPEN)


def overdue_cases_count(grid) -> int:
    return cases_overdue_rows(timezone.now()).filter(grid=grid).count()


def overdue_cases_link(grid) -> str:
    return _search_url(grid=grid.code, overdue="on")


def open_case_features(grid, user) -> list[dict]:
    """The grid's open cases the reader may see, newest first, as GeoJSON points with a title and a link."""
    language = get_language()
    cases = (
        cases_visible_to(user)
        .filter(grid=grid, state__in=OPEN_STATES)
        .select_related("category")
        .order_by("-reported_at", "-pk")[:LAYER_MAX]
    )
    return [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [case.lng, case.lat]},
            "properties": {
                "title": f"{case.number} {category_label(case.category, language)}",
                "url": reverse("case-detail", args=[case.pk]),
            },
        }
        for case in cases
    ]
