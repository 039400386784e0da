"""The report form in Chromium on a phone: a grid administrator picks a facility from the report map (its
code, category and point fill the form) and sends the case; an address typed in the address field is found
on the map. Nothing asked of another host, no console errors."""

import pytest

from cases.models import Case
from places.models import Facility
from places.taxonomy import facility_classes_ensure

from ..factories import centre
from ..places import factories as place_factories
from .conftest import PHONE, screenshot

FACILITY_MARK = 'path.leaflet-interactive[fill="#6a3d9a"]'


@pytest.fixture(autouse=True)
def _taxonomy(world):
    """The facility classes: a live-server test empties the tables after it, migrations' rows included."""
    facility_classes_ensure()


def test_a_grid_administrator_reports_a_case_on_a_facility_picked_from_the_map(open_page, live_server, world):
    klass = place_factories.facility_class("0101")
    klass.case_category_code = world.cats.manhole.code
    klass.save(update_fields=["case_category_code"])
    lat, lng = centre(world.g1)
    cover = place_factories.facility(world.g1, lat=lat, lng=lng, department=world.roads)

    page, watcher = open_page(world.gridadmin, viewport=PHONE)
    # The pin starts some 50 m north of the cover (a link from the home map): the cover is shown near it.
    page.goto(f"{live_server.url}/report/?lat={lat + 0.0005:.6f}&lng={lng:.6f}")
    page.locator(FACILITY_MARK).first.wait_for()
    page.locator(FACILITY_MARK).first.click()
    page.wait_for_function("() => document.getElementById('id_facility').value !== ''")

    assert page.input_value("#id_facility") == cover.code
    assert page.input_value("#id_category") == str(world.cats.manhole.pk)
    assert abs(float(page.input_value("#id_lat")) - cover.lat) < 1e-6
    assert cover.code in page.locator("#location-hint").inner_text()
    screenshot(page, "report-facility-picked-phone")

    page.fill("#id_description", "井盖缺失，有人跌落风险")
    page.locator("form.report-form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/cases/*/receipt/")
    case = Case.objects.get()
    assert (case.facility, case.category, case.grid) == (cover, world.cats.manhole, world.g1)
    assert Facility.objects.get(pk=cover.pk).state != Facility.State.INTACT
    assert watcher.problems == []


def test_an_address_typed_in_the_report_form_is_found_on_the_map(open_page, live_server, world):
    lat, lng = centre(world.g2)
    building = place_factories.building(world.g2, number="123号", name="1栋", lat=lat + 0.001, lng=lng)
    house = place_factories.house(building, unit=2, room="301", floor=3)

    page, watcher = open_page(world.gridadmin, viewport=PHONE)
    page.goto(live_server.url + "/report/")
    page.fill("#id_address", "南昌八一大道１２３号一栋二单元301室")
    page.locator("#address-find").click()
    page.wait_for_function("() => document.getElementById('id_lat').value !== ''")

    assert abs(float(page.input_value("#id_lat")) - building.lat) < 1e-6
    assert abs(float(page.input_value("#id_lng")) - building.lng) < 1e-6
    assert page.input_value("#id_address") == house.address  # the standard address, written out
    assert "hint-ok" in page.locator("#address-hint").get_attribute("class")

    page.fill("#id_address", "八一大道999号1栋")
    page.locator("#id_address").press("Enter")  # finds, rather than sending the form
    page.locator("#address-hint.hint-warn").wait_for()
    assert "八一大道999号" in page.locator("#address-hint").inner_text()
    assert page.url == live_server.url + "/report/"
    screenshot(page, "report-address-not-found-phone")
    # The refused search answers 400, which Chromium reports on the console; nothing else may go wrong.
    refusal = "console: Failed to load resource: the server responded with a status of 400 (Bad Request)"
    assert [p for p in watcher.problems if p != refusal] == []
