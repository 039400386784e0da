"""The report form's "likely duplicates nearby": a case the reporter may open in full; a public case they may
not open as the public reads it (no number, the public description); a case that is neither, never."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import services
from cases.models import Case

from ..factories import centre
from .console import HTMX, html, login
from .helpers import report

ABUSIVE = "隔壁王大爷家门口的垃圾"  # what the reporter wrote: names a neighbour
CLEAN = "路边有垃圾堆放"  # what the dispatch center lets the public read


def _hidden(world, case: Case) -> Case:
    return services.case_publicity_set(case=case, actor=world.dispatcher, public=False, reason="涉及个人")


def _in_g3(world, *, description: str, metres_north: float = 0.0) -> Case:
    lat, lng = centre(world.g3)
    return report(
        world,
        actor=world.other_gridadmin,
        grid=world.g3,
        description=description,
        lat=lat + metres_north / 111_195,
    )


def _check(client, world, grid) -> tuple[list[dict], str]:
    lat, lng = centre(grid)
    response = client.get(
        reverse("case-report-check"), {"lat": lat, "lng": lng, "category": world.cats.waste.pk}, **HTMX
    )
    assert response.status_code == 200
    return response.context["duplicates"], html(response)


def test_it_hides_a_private_case_of_another_grid_from_a_grid_administrator(client, world):
    private = _hidden(world, _in_g3(world, description=ABUSIVE))
    login(client, world.gridadmin)
    duplicates, page = _check(client, world, world.g3)
    assert duplicates == []
    assert private.number not in page and ABUSIVE not in page


def test_it_hides_a_private_case_from_a_resident(client, world):
    private = _hidden(world, _in_g3(world, description=ABUSIVE))
    login(client, world.resident)
    duplicates, page = _check(client, world, world.g3)
    assert duplicates == []
    assert private.number not in page and ABUSIVE not in page


def test_a_public_case_reads_as_the_public_reads_it(client, world):
    case = _in_g3(world, description=ABUSIVE)
    assert case.is_public  # the test world's categories are public
    services.case_publicity_set(
        case=case, actor=world.dispatcher, public=True, reason="去掉姓名", public_description=CLEAN
    )
    login(client, world.gridadmin)
    duplicates, page = _check(client, world, world.g3)
    assert [(d["case"], d["visible"], d["text"]) for d in duplicates] == [(case, False, CLEAN)]
    assert CLEAN in page and "Public report" in page and "m away" in page
    assert ABUSIVE not in page
    assert case.number not in page and reverse("case-detail", args=[case.pk]) not in page


def test_a_public_case_without_a_public_description_shows_what_was_written(client, world):
    case = _in_g3(world, description=CLEAN)
    login(client, world.resident)
    duplicates, page = _check(client, world, world.g3)
    assert [(d["case"], d["visible"]) for d in duplicates] == [(case, False)]
    assert CLEAN in page and case.number not in page


def test_a_case_the_viewer_may_open_is_shown_in_full_even_when_hidden_from_the_public(client, world):
    case = report(world, description=ABUSIVE)  # grid 1: the grid administrator's own
    services.case_publicity_set(
        case=case, actor=world.dispatcher, public=False, reason="涉及个人", public_description=CLEAN
    )
    login(client, world.gridadmin)
    duplicates, page = _check(client, world, world.g1)
    assert [(d["case"], d["visible"], d["text"]) for d in duplicates] == [(case, True, ABUSIVE)]
    assert ABUSIVE in page and reverse("case-detail", args=[case.pk]) in page and case.number in page


def test_the_check_costs_the_same_queries_for_one_and_many_candidates(client, world):
    """The resident's own cases (opened in full), others' public ones and hidden ones (left out) alike."""
    login(client, world.resident)
    lat, lng = centre(world.g3)
    params = {"lat": lat, "lng": lng, "category": world.cats.waste.pk}

    def check() -> tuple[int, list[dict]]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("case-report-check"), params, **HTMX)
        assert response.status_code == 200
        return len(queries), response.context["duplicates"]

    report(world, actor=world.resident, grid=world.g3, description=ABUSIVE)
    one, shown = check()
    assert [d["visible"] for d in shown] == [True]
    for n in range(1, 4):
        _in_g3(world, description=CLEAN, metres_north=n * 3)
        _hidden(world, _in_g3(world, description=ABUSIVE, metres_north=n * 3 + 1))
        report(world, actor=world.resident, grid=world.g3, description=ABUSIVE, lat=lat + n * 5 / 111_195)
    many, shown = check()
    assert sorted(d["visible"] for d in shown) == [False] * 3 + [True] * 4
    assert all(d["text"] == (ABUSIVE if d["visible"] else CLEAN) for d in shown)
    assert many == one
