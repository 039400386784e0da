"""Administrator workload: figures on a hand-made layer, the flags, who sees what, assignment POSTs."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseState
from gridmgmt.roles import Role
from grids import services as grid_services
from grids.models import GridAssignment
from grids.selectors import administrator_workload, workload_count_register

from .. import factories
from .resident_factories import resident

URL = reverse("grid-workload")


def case(world, grid, *, state=CaseState.FILED, due_in_hours=None, marked_overdue=False, suspended=False):
    now = timezone.now()
    lat, lng = factories.centre(grid) if grid else (28.0, 115.0)
    return Case.objects.create(
        source=Case.Source.PATROL,
        lat=lat,
        lng=lng,
        grid=grid,
        category=world.cats.waste,
        description="暴露垃圾",
        state=state,
        deadline_at=None if due_in_hours is None else now + dt.timedelta(hours=due_in_hours),
        overdue_at=now - dt.timedelta(hours=1) if marked_overdue else None,
        suspended_at=now - dt.timedelta(hours=2) if suspended else None,
        reported_at=now - dt.timedelta(days=1),
        updated_at=now,
    )


@pytest.fixture
def busy(world):
    """gridadmin holds g1 + g2, gridadmin_b holds g3, nobody holds g4; cases and residents in all four."""
    case(world, world.g1, due_in_hours=5)  # open, on time
    case(world, world.g1, state=CaseState.DISPATCHED, due_in_hours=-1)  # open, past its deadline
    case(world, world.g1, state=CaseState.CLOSED, due_in_hours=-10)  # closed: neither
    case(world, world.g2, state=CaseState.IN_PROGRESS, due_in_hours=3, marked_overdue=True)  # extended
    case(world, world.g2, state=CaseState.IN_PROGRESS, due_in_hours=-2, suspended=True)  # clock paused
    case(world, world.g2, state=CaseState.REJECTED)  # not open
    case(world, world.g3, state=CaseState.RETURNED, due_in_hours=-1)  # open, overdue
    case(world, world.g4, state=CaseState.REPORTED)  # open, in the unassigned grid
    case(world, None, state=CaseState.REPORTED)  # no grid at all: nobody's
    resident(world.g1)
    resident(world.g1)
    gone = resident(world.g1)
    grid_services.resident_move_out(actor=None, resident=gone, moved_out_on=timezone.localdate())
    resident(world.g2)
    resident(world.g4)
    return world


def rows(workload) -> dict:
    return {a.username: a for a in workload.administrators}


# --- the selector -----------------------------------------------------------------------------------------


def test_it_sums_grids_area_residents_and_cases_per_administrator(busy):
    w = busy
    report = administrator_workload(load_threshold=5)
    admin, other = rows(report)["gridadmin"], rows(report)["gridadmin_b"]
    assert admin.grid_codes == (w.g1.code, w.g2.code)
    assert admin.area_km2 == pytest.approx((w.g1.area_m2 + w.g2.area_m2) / 1e6)
    assert 2.0 < admin.area_km2 < 2.3, "two 0.01° squares at 28.7°N are about 1.08 km² each"
    assert (admin.residents, admin.open_cases, admin.overdue_cases) == (3, 4, 2)
    assert other.grid_codes == (w.g3.code,)
    assert (other.residents, other.open_cases, other.overdue_cases) == (0, 1, 1)
    assert report.residents_counted


def test_grids_nobody_patrols_are_listed_with_their_figures(busy):
    report = administrator_workload()
    assert [g.code for g in report.unassigned] == [busy.g4.code]
    g4 = report.unassigned[0]
    assert (g4.residents, g4.open_cases, g4.overdue_cases, g4.nominal_holders) == (1, 1, 0, ())


def test_a_grid_held_only_by_an_inactive_account_counts_as_unassigned(busy):
    busy.other_gridadmin.is_active = False
    busy.other_gridadmin.save(update_fields=["is_active"])
    report = administrator_workload()
    assert [(g.code, g.nominal_holders) for g in report.unassigned] == [
        (busy.g3.code, ("gridadmin_b",)),
        (busy.g4.code, ()),
    ]
    assert not rows(report)["gridadmin_b"].can_patrol


def test_a_grid_held_by_someone_without_the_role_counts_as_unassigned(busy):
    busy.other_gridadmin.groups.clear()
    report = administrator_workload()
    assert busy.g3.code in [g.code for g in report.unassigned]
    assert not rows(report)["gridadmin_b"].can_patrol


def test_it_flags_administrators_above_the_load_threshold(busy, settings):
    settings.ADMIN_LOAD_THRESHOLD = 1
    report = administrator_workload()
    assert report.load_threshold == 1
    assert (rows(report)["gridadmin"].load, rows(report)["gridadmin"].overloaded) == (2, True)
    assert (rows(report)["gridadmin_b"].load, rows(report)["gridadmin_b"].overloaded) == (1, False)
    relaxed = administrator_workload(load_threshold=2)
    assert not any(a.overloaded for a in relaxed.administrators)


def test_idle_administrators_are_listed_with_nothing(busy):
    factories.user("gridadmin_idle", roles=(Role.GRID_ADMIN,))
    idle = rows(administrator_workload())["gridadmin_idle"]
    assert (idle.grid_codes, idle.area_km2, idle.residents, idle.open_cases, idle.load) == ((), 0, 0, 0, 0)
    assert "dispatcher" not in rows(administrator_workload()), "only grid administrators and holders"


def test_a_jurisdiction_limits_the_figures_but_load_counts_every_grid_held(busy):
    w = busy
    grid_services.grid_assign(grid=w.g4, user=w.gridadmin)  # gridadmin now holds g1, g2 (a) and g4 (b)
    a, b = w.communities
    in_b = administrator_workload(jurisdiction=b)
    assert set(rows(in_b)) == {"gridadmin", "gridadmin_b"}
    admin = rows(in_b)["gridadmin"]
    assert (admin.grid_codes, admin.open_cases, admin.residents, admin.load) == ((w.g4.code,), 1, 1, 3)
    assert in_b.unassigned == []
    in_a = administrator_workload(jurisdiction=a)
    assert set(rows(in_a)) == {"gridadmin"}
    assert rows(in_a)["gridadmin"].grid_codes == (w.g1.code, w.g2.code)


def test_the_query_count_does_not_grow_with_administrators_or_grids(busy, django_assert_num_queries):
    with django_assert_num_queries(3):
        assert len(administrator_workload().administrators) == 2
    for n in range(8):
        grid = grid_services.grid_save(
            code=f"36010200100{n + 203}",
            name=f"extra {n}",
            boundary=factories.square(factories.ORIGIN_LAT + 0.02, factories.ORIGIN_LNG + n * factories.STEP),
        )
        factories.user(f"gridadmin_x{n}", roles=(Role.GRID_ADMIN,), grids=(grid, busy.g4))
        case(busy, grid, due_in_hours=-1)
        resident(grid)
    with django_assert_num_queries(3):
        report = administrator_workload()
    assert len(report.administrators) == 10 and report.unassigned == []
    assert rows(report)["gridadmin_x0"].overdue_cases == 1 + 0  # its own grid's case; g4's is on time


def test_people_and_grids_are_listed_by_name_in_natural_order(busy):
    for n in (10, 2, 1):
        factories.user(f"gridadmin{n}", roles=(Role.GRID_ADMIN,))
    named = factories.user("zz_account", roles=(Role.GRID_ADMIN,))
    named.first_name = "gridadmin3"  # a name sorts where its name says, whatever the account is called
    named.save(update_fields=["first_name"])
    report = administrator_workload()
    assert [a.name for a in report.administrators] == [
        "gridadmin",
        "gridadmin1",
        "gridadmin2",
        "gridadmin3",
        "gridadmin10",
        "gridadmin_b",
    ]
    admin = rows(report)["gridadmin"]
    community = busy.g1.community.name
    assert [g.label for g in admin.grids] == [
        f"{busy.g1.name} · {community}",
        f"{busy.g2.name} · {community}",
    ]


def test_the_page_names_people_and_grids(busy):
    busy.gridadmin.first_name, busy.gridadmin.last_name = "伟", "王"
    busy.gridadmin.save(update_fields=["first_name", "last_name"])
    body = client_for(busy.dispatcher).get(URL).content.decode()
    row = body.split('data-username="gridadmin"', 1)[1].split("</tr>", 1)[0]
    assert "王伟" in row and f">{busy.g1.name} · {busy.g1.community.name}</span>" in row
    assert f">{busy.g1.code}<" not in row  # the held grids by name; their codes only in the forms
    unassigned = body.split(f'<tr data-code="{busy.g4.code}">', 1)[1].split("</tr>", 1)[0]
    assert f"{busy.g4.name} · {busy.g4.community.name} <span" in unassigned  # the code beside the name
    assert '<option value="gridadmin">王伟 · gridadmin (2)</option>' in body
    # The assign form takes a grid code; every grid is suggested with its name.
    assert f'<option value="{busy.g4.code}" label="{busy.g4.name} · {busy.g4.community.name}">' in body


def test_an_administrator_can_be_narrowed_to_their_own_row(busy):
    report = administrator_workload(administrator=busy.gridadmin)
    assert [a.username for a in report.administrators] == ["gridadmin"]
    assert report.unassigned == []
    assert rows(report)["gridadmin"].open_cases == 4


# --- the page ---------------------------------------------------------------------------------------------


def client_for(user, **kwargs) -> Client:
    kwargs.setdefault("HTTP_ACCEPT_LANGUAGE", "en")  # the messages below are asserted in English
    client = Client(**kwargs)
    client.force_login(user)
    return client


def test_it_sends_anonymous_visitors_to_log_in(busy):
    response = Client().get(URL)
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.parametrize("persona", ["staff", "resident", "outsider"])
def test_it_refuses_people_outside_the_grid_teams(busy, persona):
    assert client_for(getattr(busy, persona)).get(URL).status_code == 403


@pytest.mark.parametrize("persona", ["dispatcher", "supervisor"])
def test_the_dispatch_centre_and_supervisors_see_everyone(busy, persona):
    response = client_for(getattr(busy, persona)).get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-username="gridadmin"' in body and 'data-username="gridadmin_b"' in body
    assert f'data-code="{busy.g4.code}"' in body
    assert ('name="action" value="assign"' in body) is (persona == "dispatcher")


def test_a_superuser_sees_everyone_and_may_assign(busy):
    boss = factories.user("boss")
    boss.is_superuser = True
    boss.save(update_fields=["is_superuser"])
    body = client_for(boss).get(URL).content.decode()
    assert 'data-username="gridadmin_b"' in body and 'name="action" value="assign"' in body


def test_a_grid_administrator_sees_only_their_own_row(busy):
    response = client_for(busy.gridadmin).get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-username="gridadmin"' in body
    assert "gridadmin_b" not in body
    assert busy.g4.code not in body, "no unassigned list for administrators"
    assert 'method="post"' not in body.split('id="main"')[1], "no assignment forms for administrators"
    assert response.context["workload"].administrators[0].open_cases == 4


def test_the_page_filters_by_jurisdiction(busy):
    client = client_for(busy.dispatcher)
    body = client.get(URL, {"jurisdiction": busy.communities[0].code}).content.decode()
    assert 'data-username="gridadmin"' in body and 'data-username="gridadmin_b"' not in body
    assert client.get(URL, {"jurisdiction": "999999"}).status_code == 404
    assert client.get(URL, {"jurisdiction": "<script>"}).status_code == 404


def test_a_dispatcher_assigns_an_unassigned_grid(busy):
    client = client_for(busy.dispatcher)
    response = client.post(
        URL, {"action": "assign", "grid": busy.g4.code, "user": "gridadmin_b"}, follow=True
    )
    assert response.status_code == 200
    assert GridAssignment.objects.filter(grid=busy.g4, user=busy.other_gridadmin).exists()
    assert f"gridadmin_b now holds {busy.g4.name} · {busy.g4.community.name} (grid code {busy.g4.code})" in (
        response.content.decode()
    )
    assert response.context["workload"].unassigned == []


def test_assigning_twice_is_harmless(busy):
    client = client_for(busy.dispatcher)
    response = client.post(
        URL, {"action": "assign", "grid": busy.g3.code, "user": "gridadmin_b"}, follow=True
    )
    assert "already holds" in response.content.decode()
    assert GridAssignment.objects.filter(grid=busy.g3).count() == 1


def test_a_dispatcher_unassigns_and_the_grid_shows_as_unassigned(busy):
    client = client_for(busy.dispatcher)
    query = f"?jurisdiction={busy.communities[1].code}"
    response = client.post(URL + query, {"action": "unassign", "grid": busy.g3.code, "user": "gridadmin_b"})
    assert response.status_code == 302 and response["Location"].endswith(query), "back to the same view"
    assert not GridAssignment.objects.filter(grid=busy.g3).exists()
    assert [g.code for g in client.get(response["Location"]).context["workload"].unassigned] == [
        busy.g3.code,
        busy.g4.code,
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"action": "assign", "grid": "36010200100999", "user": "gridadmin"},
            "there is no grid 36010200100999",
        ),
        ({"action": "assign", "grid": "not-a-code", "user": "gridadmin"}, "14-digit grid code"),
        ({"action": "assign", "grid": "36010200100202", "user": "nobody"}, "there is no user nobody"),
        ({"action": "assign", "grid": "36010200100202", "user": "staff"}, "not an active grid administrator"),
        ({"action": "assign", "grid": "36010200100202", "user": ""}, "choose an administrator"),
        ({"action": "assign", "grid": "36010200100202", "user": "a\x00b"}, "cannot be accepted"),
        ({"action": "unassign", "grid": "36010200100201", "user": "gridadmin"}, "does not hold grid"),
        ({"action": "delete", "grid": "36010200100201", "user": "gridadmin"}, "assign or to unassign"),
        ({}, "assign or to unassign"),
    ],
)
def test_bad_assignment_input_gets_a_clear_400(busy, data, message):
    before = set(GridAssignment.objects.values_list("grid_id", "user_id"))
    response = client_for(busy.dispatcher).post(URL, data)
    assert response.status_code == 400
    assert message in response.content.decode().lower()
    assert set(GridAssignment.objects.values_list("grid_id", "user_id")) == before


def test_an_inactive_administrator_cannot_be_given_a_grid(busy):
    busy.other_gridadmin.is_active = False
    busy.other_gridadmin.save(update_fields=["is_active"])
    response = client_for(busy.dispatcher).post(
        URL, {"action": "assign", "grid": busy.g4.code, "user": "gridadmin_b"}
    )
    assert response.status_code == 400
    assert not GridAssignment.objects.filter(grid=busy.g4).exists()


@pytest.mark.parametrize("persona", ["supervisor", "gridadmin", "staff"])
def test_only_dispatchers_and_superusers_may_change_assignments(busy, persona):
    response = client_for(getattr(busy, persona)).post(
        URL, {"action": "assign", "grid": busy.g4.code, "user": "gridadmin"}
    )
    assert response.status_code == 403
    assert not GridAssignment.objects.filter(grid=busy.g4).exists()


def test_an_assignment_post_without_the_csrf_token_is_refused(busy):
    client = client_for(busy.dispatcher, enforce_csrf_checks=True)
    response = client.post(URL, {"action": "assign", "grid": busy.g4.code, "user": "gridadmin"})
    assert response.status_code == 403
    assert not GridAssignment.objects.filter(grid=busy.g4).exists()


def test_the_assignment_form_carries_a_csrf_token(busy):
    body = client_for(busy.dispatcher).get(URL).content.decode()
    assert body.count('name="csrfmiddlewaretoken"') >= 3  # unassign buttons, per-grid and free assign forms


def test_grid_unassign_reports_whether_anything_was_held(busy):
    assert grid_services.grid_unassign(grid=busy.g1, user=busy.gridadmin) is True
    assert grid_services.grid_unassign(grid=busy.g1, user=busy.gridadmin) is False
    assert Group.objects.filter(name=Role.GRID_ADMIN, user=busy.gridadmin).exists(), "the role stays"


def test_an_app_may_register_only_the_figures_the_workload_shows():
    with pytest.raises(ValueError, match="unknown workload figure 'patrols'"):
        workload_count_register("patrols", lambda now: None)
