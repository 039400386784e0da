"""What apps above this one add to a grid's profile page: counts (open and overdue cases) and map layers.

Cases stand above the base data, so the profile cannot ask them; they register here from their
AppConfig.ready, as cases already do for the workload page (grids.selectors.workload_count_register).
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ProfileCount:
    name: str
    label: object  # a lazy translated word
    count: Callable  # (grid) -> int
    link: Callable  # (grid) -> the URL of the list behind the count


@dataclass(frozen=True)
class ProfileLayer:
    name: str
    label: object
    features: Callable  # (grid, user) -> list of GeoJSON Point features with a "title" and a "url"


_COUNTS: dict[str, ProfileCount] = {}
_LAYERS: dict[str, ProfileLayer] = {}


def profile_count_register(name: str, label, count: Callable, link: Callable) -> None:
    _COUNTS[name] = ProfileCount(name, label, count, link)


def profile_layer_register(name: str, label, features: Callable) -> None:
    _LAYERS[name] = ProfileLayer(name, label, features)


def profile_counts() -> list[ProfileCount]:
    return list(_COUNTS.values())


def profile_layers() -> list[ProfileLayer]:
    return list(_LAYERS.values())
