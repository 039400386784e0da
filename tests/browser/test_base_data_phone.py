"""The base data on a phone, in Chromium: a grid administrator registers a building by tapping the map, adds
a house to it and links a resident of the registry to the house; the house page then shows them, masked.
Nothing asked of another host, no console errors."""

import pytest

from places.models import Building, House, Occupancy

from ..grids.resident_factories import id_number, resident
from .conftest import PHONE, screenshot


@pytest.fixture
def person(world):
    number = id_number()
    return resident(world.g1, name="李秀英", id_no=number, address="老地址"), number


def test_a_grid_administrator_adds_a_building_and_a_house_and_links_a_resident(
    open_page, live_server, world, person
):
    registered, number = person
    page, watcher = open_page(world.gridadmin, viewport=PHONE)
    page.goto(f"{live_server.url}/places/buildings/new/")
    page.fill("#b-road", "阳明路")
    page.fill("#b-number", "88号")
    page.fill("#b-name", "2栋")
    page.fill("#b-floors", "6")
    page.fill("#b-units", "2")
    # The map shows the administrator's two grids side by side: a tap on the left half is in grid 1.
    area = page.locator("[data-places-map=pick]")
    area.scroll_into_view_if_needed()
    box = area.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    page.wait_for_function("() => document.getElementById('b-lat').value !== ''")
    assert world.g1.name in page.locator("#b-location-hint").inner_text()
    screenshot(page, "base-data-building-form-phone")
    page.locator("main form button.primary[type=submit]").click()

    page.wait_for_url(f"{live_server.url}/places/buildings/*/")
    building = Building.objects.get()
    assert (building.grid, building.address) == (world.g1, "阳明路88号2栋")
    page.locator(f"a[href='/places/buildings/{building.pk}/houses/new/']").first.click()
    page.fill("#h-unit", "1")
    page.fill("#h-room", "502")
    page.locator("main form button.primary[type=submit]").click()

    page.wait_for_url(f"{live_server.url}/places/houses/*/")
    house = House.objects.get()
    assert (house.unit, house.room, house.floor) == (1, "502", 5)
    page.locator(f"a[href='/places/houses/{house.pk}/occupants/new/']").first.click()
    page.fill("#o-id_number", number)
    page.fill("#o-since", "2021-03-01")
    page.locator("main form button.primary[type=submit]").click()

    page.wait_for_url(f"{live_server.url}/places/houses/{house.pk}/")
    occupancy = Occupancy.objects.get()
    assert (occupancy.resident, occupancy.house, occupancy.until) == (registered, house, None)
    text = page.locator("main").inner_text()
    assert "李*英" in text and "李秀英" not in text and number not in page.content()
    registered.refresh_from_db()
    assert registered.address == "阳明路88号2栋1单元502室"
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the house page scrolls sideways ({width} px)"
    screenshot(page, "base-data-house-phone")
    assert watcher.problems == []
