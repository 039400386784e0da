"""The dashboard's Patrols and visits section, the patrol formulas and the patrol column set of the exports:
what they show for the crafted week, in Chinese without English, for whom, and at a bounded cost."""

import csv
import io
import re
from html import unescape

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evaluation.patrol_indicators import PATROL_COLUMNS, PATROL_FORMULAS
from gridmgmt import clock

from .scenario import AFTER, END, START, Driver, at
from .test_patrol_indicators import _patrol
from .test_patrol_indicators import week as week  # noqa: F401 - the crafted week, a fixture

URL = reverse("evaluation-dashboard")
WEEK = {"start": START.isoformat(), "end": END.isoformat()}
LATIN = {"CSV", "XLSX", "km"}  # format names and the unit, as the every-page test allows them


@pytest.fixture
def after():
    with clock.frozen_at(AFTER):
        yield


def _page(client, user, *, language="zh-hans", url=URL, **params):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url, params or WEEK)
    assert response.status_code == 200
    return response.content.decode()


def _section(page: str, marker: str = 'id="patrols"') -> str:
    """The section's inner HTML (from the end of its opening tag)."""
    return page.split(marker, 1)[1].split(">", 1)[1].split("</section>", 1)[0]


def _row(section: str, key: str) -> str:
    return section.split(f'data-key="{key}"', 1)[1].split("</tr>", 1)[0]


def _english(html: str, usernames: set[str]) -> list[str]:
    """Latin words a reader sees, outside data markers and text marked as in another language."""
    html = re.sub(r'<(\w+)[^>]*(?:translate="no"|lang="[^"]*")[^>]*>.*?</\1>', " ", html, flags=re.S)
    html = re.sub(r"<code>.*?</code>", " ", html, flags=re.S)
    text = unescape(re.sub(r"<[^>]+>", " ", html)).replace("Open311", " ")
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in LATIN and w not in usernames]


def test_the_section_shows_the_weeks_figures_in_chinese(client, world, week, after):
    page = _page(client, world.supervisor)
    section = _section(page)
    assert "巡查与走访" in section and "发现率" in section and "巡查覆盖率" in section
    # The district: 3 of 8 valid cases found by the grids' own people; 2 of 3 visits; 2 of 5 flagged.
    assert "37.5%" in section and "3/8" in section
    assert "66.7%" in section and "2/3" in section
    assert "40.0%" in section and "2/5" in section
    g1 = _row(section, world.g1.code)
    assert "渊明第一网格" in g1 and "33.3%" in g1 and "1/3" in g1 and "50.0%" in g1 and "km²" in g1
    g4 = _row(section, world.g4.code)
    assert "—" in g4 and "0/0" in g4 and "0.0%" in g4  # no patrols: coverage 0.0%, no share of none
    mine = _row(section, str(world.gridadmin.pk))
    assert "40.0%" in mine and "2/5" in mine  # discovery: 2 of the 5 valid cases of g1 and g2
    assert "渊明社区" in _row(section, world.communities[0].code)
    names = {world.gridadmin.username, world.other_gridadmin.username}
    assert _english(section, names) == []


def test_the_english_page_names_each_figure_beside_its_chinese_term(client, world, week, after):
    section = _section(_page(client, world.supervisor, language="en"))
    assert "Patrols and visits" in section and "discovery rate" in section
    assert '<span lang="zh-Hans">发现率</span>' in section


def test_the_formulas_page_defines_each_patrol_figure(client, world):
    page = _page(client, world.dispatcher, url=reverse("evaluation-formulas"))
    section = _section(page, 'id="patrol-formulas"')
    for name, term, _text in PATROL_FORMULAS:
        assert f'id="f-{name}"' in section and term in section, name
    assert "发现率" in section and "巡查、走访与发现" in section
    assert _english(section, set()) == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_has_the_patrol_column_set(client, world, week, after, fmt):
    client.force_login(world.supervisor)
    url = reverse("evaluation-export-indicators", args=[fmt])
    response = client.get(url, {**WEEK, "set": "patrols", "by": "grid"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content if fmt == "csv" else response.streaming_content)
    assert f"evaluation-patrols-grid-{START:%Y%m%d}" in response["Content-Disposition"]
    if fmt == "xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(body)).active
        rows = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    else:
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert tuple(rows[0]) == PATROL_COLUMNS
    g1 = dict(zip(PATROL_COLUMNS, next(r for r in rows if r[3] == world.g1.code), strict=True))
    assert float(g1["discovery_rate"]) == 33.3 and float(g1["visit_rate"]) == 50.0
    assert str(g1["cases"]) == "3" and str(g1["discovered"]) == "1"
    assert len(rows) == 1 + 4


def test_the_export_refuses_an_unknown_set_or_grouping(client, world):
    client.force_login(world.supervisor)
    url = reverse("evaluation-export-indicators", args=["csv"])
    assert client.get(url, {**WEEK, "set": "nonsense"}).status_code == 404
    assert client.get(url, {**WEEK, "set": "patrols", "by": "department"}).status_code == 404
    assert client.get(url, {**WEEK, "set": "patrols", "by": "community"}).status_code == 200


@pytest.mark.parametrize("persona", ["gridadmin", "staff", "resident"])
def test_only_the_evaluations_readers_export_patrol_figures(client, world, persona):
    client.force_login(getattr(world, persona))
    url = reverse("evaluation-export-indicators", args=["csv"])
    assert client.get(url, {**WEEK, "set": "patrols"}).status_code == 403


@override_settings(
    GRID_INDEX_CHECK_SECONDS=3600
)  # the grid layer's token is re-read by the clock, not by work
def test_the_section_costs_the_same_queries_for_few_and_many_patrols(client, world, week, after):
    client.force_login(world.supervisor)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, WEEK).status_code == 200
        return len(captured)

    few = count()
    go = Driver(world)
    for hour in range(9, 15):
        go.report(at("03-06", f"{hour}:00"), world.g2, world.gridadmin)
        _patrol(world.gridadmin, [(28.679, 115.897), (28.681, 115.897)], at("03-07", f"{hour}:00"))
    assert count() == few
