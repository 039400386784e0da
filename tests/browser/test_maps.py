"""The maps in Chromium: a legend under every map, its marks drawn as the map draws them and its words in the
page's language; the report map, after a refused submit, shows the chosen pin inside its grid's outline
(never zoomed onto the bare pin). The suite's base map is `none` (tests/conftest.py): the Watcher proves no
tile, nor anything else, is fetched from another host."""

from cases.models import CaseState

from ..cases.helpers import drive, report
from ..factories import centre
from .conftest import DESKTOP, PHONE, screenshot

S = CaseState
STATUS_MARKS = ("ontime", "warning", "overdue", "suspended", "none")

# Bounding boxes, in page pixels, of the map, the pin's tip, and the grid outline that holds the pin.
FRAME = """
(el) => {
  const box = (r) => ({ left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width });
  const pin = el.querySelector(".pick-marker");
  if (!pin) return null;
  const p = pin.getBoundingClientRect();
  const tip = { x: p.left + p.width / 2, y: p.bottom };
  const outlines = Array.from(el.querySelectorAll("path.leaflet-interactive"))
    .map((path) => box(path.getBoundingClientRect()));
  const holding = outlines.filter(
    (o) => o.left <= tip.x && tip.x <= o.right && o.top <= tip.y && tip.y <= o.bottom
  );
  return { map: box(el.getBoundingClientRect()), tip: tip, grid: holding[0] || null };
}
"""


def _legend_marks(page, selector: str) -> dict[str, bool]:
    """Each swatch of the legend next to `selector`'s map: is it drawn (an SVG, or the CSS pin/cluster)?"""
    legend = page.locator(f"{selector} ~ .map-legend").first
    legend.wait_for()
    assert legend.evaluate("(el) => el.previousElementSibling.matches('[data-map]')")  # right under the map
    assert "{#" not in page.locator("body").inner_text()  # no template comment leaking into the page
    marks = {}
    for swatch in legend.locator("[data-mark]").all():
        mark = swatch.get_attribute("data-mark")
        marks[mark] = swatch.locator("svg").count() == 1 or mark in ("pin", "cluster")
    return marks


def test_every_map_has_a_legend_in_the_pages_language(open_page, live_server, world):
    drive(world, S.DISPATCHED)  # an open case with a deadline: points on the maps
    case = report(world, grid=world.g2)

    page, watcher = open_page(world.gridadmin, viewport=PHONE)
    page.goto(live_server.url + "/home/")
    page.locator("[data-map=overview] path.leaflet-interactive").first.wait_for()
    marks = _legend_marks(page, "[data-map=overview]")
    assert set(marks) == {"grid", *STATUS_MARKS} and all(marks.values()), marks
    legend = page.locator(".map-legend").inner_text()
    for words in ("网格边界", "正常", "即将到期", "超时", "挂账中", "无时限"):
        assert words in legend, legend
    # Each status has its own shape, not only its own colour.
    shapes = {m: page.locator(f'.map-legend [data-mark="{m}"] path').get_attribute("d") for m in STATUS_MARKS}
    assert len({shapes[m].split("a")[0] if "a" in shapes[m] else shapes[m] for m in STATUS_MARKS}) >= 4
    screenshot(page, "maps-overview-legend-phone")

    page.goto(live_server.url + "/report/")
    page.locator("[data-map=report] path.leaflet-interactive").first.wait_for()
    marks = _legend_marks(page, "[data-map=report]")
    assert set(marks) == {"pin", "grid-highlight", "facility"} and all(marks.values()), marks
    assert "可上报的网格" in page.locator(".map-legend").inner_text()

    page.goto(live_server.url + f"/cases/{case.pk}/")
    page.locator("[data-map=case] .leaflet-marker-icon").first.wait_for()
    assert {"pin", "grid"} <= set(_legend_marks(page, "[data-map=case]"))
    assert "本案件" in page.locator(".map-legend").inner_text()
    assert watcher.problems == []

    page, watcher = open_page(world.dispatcher, viewport=DESKTOP)
    page.goto(live_server.url + "/dispatch/map/")
    page.locator("[data-map=cases] path.leaflet-interactive").first.wait_for()
    marks = _legend_marks(page, "[data-map=cases]")
    assert set(marks) == {"grid", "cluster", *STATUS_MARKS} and all(marks.values()), marks
    screenshot(page, "maps-dispatch-legend-desktop")
    assert watcher.problems == []


def test_the_report_map_keeps_the_pin_in_its_grid_after_a_refused_submit(open_page, live_server, world):
    page, watcher = open_page(world.gridadmin, viewport=PHONE)
    page.goto(live_server.url + "/report/")
    the_map = page.locator("[data-map=report]")
    the_map.locator("path.leaflet-interactive").first.wait_for()
    box = the_map.bounding_box()
    the_map.click(position={"x": box["width"] * 0.3, "y": box["height"] * 0.5})  # inside grid 1, the west one
    page.wait_for_function("() => document.getElementById('id_lat').value !== ''")
    lat, lng = page.input_value("#id_lat"), page.input_value("#id_lng")
    assert abs(float(lng) - centre(world.g1)[1]) < 0.005  # the tap landed in grid 1

    page.locator("form.report-form button[type=submit]").click()  # no category, no description: refused
    page.locator("#form-errors").wait_for()
    assert (page.input_value("#id_lat"), page.input_value("#id_lng")) == (lat, lng)  # the pin is kept
    page.locator("[data-map=report] .pick-marker").wait_for()
    frame = the_map.evaluate(FRAME)
    assert frame is not None and frame["grid"] is not None, frame  # the pin lies inside a drawn outline
    grid, shown = frame["grid"], frame["map"]
    # The whole outline of the pin's grid is in view, and fills a good part of the map (whole zoom levels: at
    # least a third): neither the bare pin at street level (the outline would run off the map) nor a speck.
    assert shown["left"] - 1 <= grid["left"] and grid["right"] <= shown["right"] + 1, frame
    assert shown["top"] - 1 <= grid["top"] and grid["bottom"] <= shown["bottom"] + 1, frame
    assert grid["width"] >= shown["width"] * 0.3, frame
    assert "可上报的网格" in page.locator(".map-legend").inner_text()
    screenshot(page, "maps-report-refused-phone")
    # The refused form itself answers 400, which Chromium reports on the console; nothing else may go wrong.
    refusal = "console: Failed to load resource: the server responded with a status of 400 (Bad Request)"
    assert [p for p in watcher.problems if p != refusal] == []
