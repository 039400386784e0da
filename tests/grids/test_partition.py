"""The partition report: coverage of a boundary, gaps, overlaps and size balance, on a page and a command."""

import io
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from grids import services as grid_services
from grids.models import Jurisdiction, Resident
from grids.partition import partition_report

pytestmark = pytest.mark.django_db


LAT0, LNG0, STEP = 28.67, 115.88, 0.001
COMMUNITY = "360102001001"


def rect(row: float, col: float, rows: float = 1, cols: float = 1) -> dict:
    w, s = LNG0 + col * STEP, LAT0 + row * STEP
    e, n = LNG0 + (col + cols) * STEP, LAT0 + (row + rows) * STEP
    return {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}


def levels(*, community_boundary: dict | None = None) -> Jurisdiction:
    grid_services.jurisdiction_ensure(code="360102", name="东湖区")
    grid_services.jurisdiction_ensure(code="360102001", name="公园街道")
    return grid_services.jurisdiction_ensure(code=COMMUNITY, name="渊明社区", boundary=community_boundary)


def grid(n: int, boundary: dict):
    return grid_services.grid_save(code=f"{COMMUNITY}{n:02d}", name=f"网格{n}", boundary=boundary)


def residents(g, count: int, *, moved_out: int = 0) -> None:
    start = Resident.objects.count()
    past = timezone.localdate() - timedelta(days=30)
    Resident.objects.bulk_create(
        Resident(
            grid=g,
            address="1号",
            name_encrypted="-",
            id_number_encrypted="-",
            id_number_hash=f"hash{start + i}",
            gender="M",
            birth_date=date(1980, 1, 1),
            moved_in_on=date(2000, 1, 1),
            moved_out_on=past if i < moved_out else None,
        )
        for i in range(count + moved_out)
    )


@pytest.fixture
def uneven():
    """A 2 × 4-cell community: four unit squares along the bottom, one grid three cells wide above them,
    and the top right cell covered by nobody. Residents: 10, 10, 10, 2 and 30 (plus some moved out)."""
    community = levels(community_boundary=rect(0, 0, 2, 4))
    grids = [grid(n, rect(0, n - 1)) for n in (1, 2, 3, 4)] + [grid(5, rect(1, 0, 1, 3))]
    for g, count in zip(grids, (10, 10, 10, 2, 30), strict=True):
        residents(g, count, moved_out=5 if g.code.endswith("01") else 0)
    return community


def test_it_measures_coverage_of_the_stored_boundary(uneven):
    report = partition_report(jurisdiction=uneven)
    c = report.coverage
    cell = c.boundary_m2 / 8
    assert report.grid_count == 5
    assert c.share == pytest.approx(7 / 8, rel=1e-3)
    assert c.uncovered_m2 == pytest.approx(cell, rel=1e-3)
    assert c.outside_m2 == 0
    [hole] = c.uncovered_parts
    assert hole.bordering == (f"{COMMUNITY}03", f"{COMMUNITY}04", f"{COMMUNITY}05")  # 03 at a corner
    assert (report.gaps, report.overlaps, report.seamless) == ([], [], False)


def test_it_flags_the_grid_three_times_the_median_area(uneven):
    area = partition_report(jurisdiction=uneven).area
    assert area.maximum == pytest.approx(3 * area.median, rel=1e-3)
    assert area.minimum == pytest.approx(area.median, rel=1e-3)
    assert [code for code, _ in area.above] == [f"{COMMUNITY}05"]
    assert area.below == []


def test_it_counts_current_residents_per_grid(uneven):
    report = partition_report(jurisdiction=uneven)
    people = report.residents
    assert report.residents_counted
    assert (people.minimum, people.median, people.maximum) == (2, 10, 30)  # moved-out residents not counted
    assert people.below == [(f"{COMMUNITY}04", 2)]
    assert people.above == [(f"{COMMUNITY}05", 30)]


def test_it_lists_gaps_and_overlaps_with_the_grid_codes():
    community = levels()  # no boundary stored
    for n, (row, col) in enumerate([(r, c) for r in range(3) for c in range(3) if (r, c) != (1, 1)], 1):
        grid(n, rect(row, col))
    grid(9, rect(2, 2.5))  # overlaps grid 08 (the top right cell) by half
    report = partition_report(jurisdiction=community)
    assert report.coverage is None
    [gap] = report.gaps
    assert gap.bordering == tuple(f"{COMMUNITY}{n:02d}" for n in range(1, 9))
    assert gap.area_m2 == pytest.approx(report.area.median, rel=1e-3)
    [overlap] = report.overlaps
    assert overlap.codes == (f"{COMMUNITY}08", f"{COMMUNITY}09")
    assert overlap.area_m2 == pytest.approx(report.area.median / 2, rel=1e-3)


def test_a_sliver_is_counted_not_listed():
    community = levels()
    grid(1, rect(0, 0, 1, 1 + 5e-5))  # 5 mm into its neighbour: about half a square metre
    grid(2, rect(0, 1))
    report = partition_report(jurisdiction=community)
    assert (report.overlaps, report.sliver_overlaps) == ([], 1)


def report_text(code: str) -> str:
    out = io.StringIO()
    call_command("partition_report", code, stdout=out)
    return out.getvalue()


def test_the_command_prints_the_same_figures(uneven):
    text = report_text("360102")  # the district: same grids, no stored boundary
    assert "district 360102 东湖区: 5 grids" in text
    assert "coverage: no stored boundary for this jurisdiction" in text
    text = report_text(COMMUNITY)
    assert "coverage: 87.50% of" in text
    assert f"uncovered 10796.5 m² at lat 28.6715, lng 115.8835 between {COMMUNITY}03, {COMMUNITY}04" in text
    assert "residents per grid: min 2, median 10, max 30; outside ±50% of the median: 2" in text
    assert f"  below 5: {COMMUNITY}04 2" in text
    assert f"  above 15: {COMMUNITY}05 30" in text
    [area_line] = [line for line in text.splitlines() if line.startswith("grid area (m²)")]
    assert area_line.endswith("outside ±50% of the median: 1")


def test_the_command_refuses_an_unknown_code(db):
    with pytest.raises(CommandError, match="there is no district, street or community 999999"):
        report_text("999999")


# --- The page ---------------------------------------------------------------------------------------------


def test_supervisors_and_dispatchers_see_the_page(world, client):
    url = reverse("grid-partition", args=[world.communities[0].code])
    for user in (world.supervisor, world.dispatcher):
        client.force_login(user)
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")  # the site's default language is zh-hans
        assert response.status_code == 200
        assert world.communities[0].name in response.text
        assert "no stored boundary" in response.text


@pytest.mark.parametrize("persona", ["gridadmin", "staff", "resident", "outsider"])
def test_others_get_403(world, client, persona):
    client.force_login(getattr(world, persona))
    assert client.get(reverse("grid-partition", args=["360102"])).status_code == 403
    assert client.get(reverse("grid-partition-index")).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(world, client):
    response = client.get(reverse("grid-partition", args=["360102"]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_page_shows_the_flagged_grids_and_links_down_the_hierarchy(uneven, client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="pw"))
    response = client.get(reverse("grid-partition-index"))
    assert response.status_code == 302 and response.url == reverse("grid-partition", args=["360102"])
    page = client.get(response.url).text
    assert reverse("grid-partition", args=["360102001"]) in page
    page = client.get(reverse("grid-partition", args=[COMMUNITY])).text
    assert "87.5%" in page and f"网格5 · 渊明社区 ({COMMUNITY}05)" in page  # by name, the code beside it
    assert client.get(reverse("grid-partition", args=["360102009"])).status_code == 404
