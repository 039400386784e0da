"""What cases add to the grid profile (places.profile): open and overdue counts that match the cases their
links list, and the open cases as a map layer in the reader's scope."""

import datetime as dt

import pytest

from cases.models import Case
from gridmgmt import clock
from places.profile import profile_counts, profile_layers

from ..cases.helpers import drive, report


def _count(name: str):
    return next(c for c in profile_counts() if c.name == name)


def _layer(name: str):
    return next(layer for layer in profile_layers() if layer.name == name)


@pytest.fixture
def grid_cases(world):
    """In grid 1: two open cases (one of them overdue), one closed; in grid 2: one open case."""
    late = report(world, at=clock.now() - dt.timedelta(days=3))  # its filing deadline has long passed
    fresh = report(world)
    closed = drive(world, "closed")
    elsewhere = report(world, grid=world.g2)
    return {"late": late, "fresh": fresh, "closed": closed, "elsewhere": elsewhere}


def test_cases_register_open_and_overdue_counts_and_a_layer():
    assert {"open_cases", "overdue_cases"} <= {c.name for c in profile_counts()}
    assert "cases" in {layer.name for layer in profile_layers()}


def test_the_open_count_is_the_grids_open_cases_and_links_to_them(client, world, grid_cases):
    count = _count("open_cases")

    assert count.count(world.g1) == 2
    assert count.count(world.g2) == 1
    client.force_login(world.supervisor)
    listed = client.get(count.link(world.g1))
    assert listed.status_code == 200
    assert listed.context["page"].paginator.count == 2
    assert {c.pk for c in listed.context["page"]} == {grid_cases["late"].pk, grid_cases["fresh"].pk}
    assert "渊明第一网格" in listed.content.decode()  # the page says it is narrowed to the grid


def test_the_overdue_count_is_the_grids_overdue_cases_and_links_to_them(client, world, grid_cases):
    count = _count("overdue_cases")

    assert count.count(world.g1) == 1
    assert count.count(world.g2) == 0
    client.force_login(world.supervisor)
    listed = client.get(count.link(world.g1))
    assert [c.pk for c in listed.context["page"]] == [grid_cases["late"].pk]


def test_the_layer_shows_the_grids_open_cases_with_title_and_link(world, grid_cases):
    features = _layer("cases").features(world.g1, world.supervisor)

    by_title = {f["properties"]["title"]: f for f in features}
    late = grid_cases["late"]
    assert set(by_title) == {f"{c.number} 暴露垃圾" for c in (late, grid_cases["fresh"])}
    feature = by_title[f"{late.number} 暴露垃圾"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [late.lng, late.lat]}
    assert feature["properties"]["url"] == f"/cases/{late.pk}/"


def test_the_layer_keeps_to_the_readers_scope(world, grid_cases):
    assert _layer("cases").features(world.g1, world.other_gridadmin) == []
    assert len(_layer("cases").features(world.g1, world.gridadmin)) == 2


def test_closing_a_case_takes_it_off_the_counts(world, grid_cases):
    drive(world, "closed", Case.objects.get(pk=grid_cases["fresh"].pk))

    assert _count("open_cases").count(world.g1) == 1
