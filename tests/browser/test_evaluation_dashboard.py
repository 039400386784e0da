"""The evaluation dashboard in Chromium over the seeded demo district's two months of history: the charts
are drawn (from the page's own series, then from the trends endpoint once the figures are stored), the grid
maps and rankings render, nothing fails in the console and nothing is fetched from another host."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings

from evaluation.models import EvaluationFigure

from .conftest import DESKTOP, PHONE, screenshot


def _seed() -> None:
    with override_settings(DEBUG=True):
        call_command("seed_demo", "--cases", "60", "--seed", "7", stdout=StringIO(), stderr=StringIO())


def _charts_drawn(page) -> None:
    for chart in ("states", "flow", "ontime"):
        page.locator(f"[data-chart={chart}] svg").wait_for()
    assert page.locator("[data-chart=states] svg rect").count() > 0
    assert page.locator("[data-chart=flow] svg path.series-line").count() == 2


@pytest.mark.demo  # seeds the demo district
def test_the_dashboard_draws_its_charts_and_maps_over_the_demo_history(open_page, live_server):
    _seed()
    supervisor = get_user_model().objects.get(username="supervisor")
    page, watcher = open_page(supervisor, viewport=DESKTOP, password="griddemo")

    page.goto(live_server.url + "/evaluation/?preset=last60")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    _charts_drawn(page)
    assert page.locator(".choropleth svg").count() == 2
    assert page.locator(".choropleth path.choro").count() >= 2 * 55
    assert page.locator("table.ranking-table[data-kind=department] tbody tr").count() >= 6
    screenshot(page, "evaluation-dashboard-desktop")

    page.locator("form[action$='/evaluation/recompute/'] button").click()
    page.wait_for_load_state()
    assert page.locator("#trends-data").count() == 0  # stored figures: the charts fetch their series
    _charts_drawn(page)
    assert EvaluationFigure.objects.filter(kind="total").count() == 1

    phone, phone_watcher = open_page(supervisor, viewport=PHONE, password="griddemo")
    phone.goto(live_server.url + "/evaluation/?preset=this_month")
    _charts_drawn(phone)
    screenshot(phone, "evaluation-dashboard-phone")

    # Widened, the charts are drawn again at their new width: the text keeps its size, not scaled 3×.
    phone.set_viewport_size(DESKTOP)
    phone.wait_for_function(
        """() => {
          const body = document.querySelector("[data-chart=flow] .chart-body");
          const svg = body && body.querySelector("svg");
          return svg && Math.abs(svg.viewBox.baseVal.width - body.clientWidth) <= 2;
        }"""
    )

    assert watcher.problems == [] and phone_watcher.problems == []
