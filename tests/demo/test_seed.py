"""The demo seed: a working Donghu District, logins that authenticate, a history in every state with intact
audit chains, and refusals when DEBUG is off or the database already holds data."""

import re
import statistics
from io import StringIO
from types import SimpleNamespace

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.test import override_settings

from cases.audit import chains_verify
from cases.models import Case, CaseEvent, CaseState, Category
from demo.public import REPORTS as PUBLIC_REPORTS
from departments.models import Department
from dispatch.models import RoutingRule
from gridmgmt.roles import Role
from grids import pii
from grids.models import Grid, GridAssignment, Resident
from grids.selectors import grid_locate
from notifications.models import Notification
from worktime.models import WorkCalendar
from worktime.selectors import calendar_resolve
from worktime.services import CHINA_2026

# The real hasher is deliberately slow; the seed hashes once, but every authenticate() would pay for it.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """One small seed (40 cases) shared by the module, rolled back at its end."""
    out, err = StringIO(), StringIO()
    with (
        django_db_blocker.unblock(),
        override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        call_command("seed_demo", "--cases", "40", "--seed", "3", stdout=out, stderr=err)
        yield SimpleNamespace(out=out.getvalue(), err=err.getvalue())
        transaction.set_rollback(True)


def _login_line(output: str) -> str:
    """The block of logins: its heading and one indented line per desk."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Demo logins"))
    block = [lines[start]]
    block += [line for line in lines[start + 1 :] if line.startswith("  ")]
    return "\n".join(block)


def _login_names(block: str) -> list[str]:
    """Every login the block names, "gridadmin1 … gridadmin21" read as the whole range."""
    names = []
    for line in block.splitlines()[1:]:
        listed = re.split(r" {2,}", line.strip(), maxsplit=1)[1]
        if " … " in listed:
            first, last = listed.split(" … ")
            prefix = first.rstrip("0123456789")
            names += [f"{prefix}{n}" for n in range(int(first[len(prefix) :]), int(last[len(prefix) :]) + 1)]
        else:
            names += listed.split(", ")
    return names


def test_it_refuses_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="demo data is refused when DEBUG is off"):
        call_command("seed_demo", stdout=StringIO())


def test_it_cuts_donghu_into_about_sixty_grids_around_the_demo_point(demo, db):
    assert 55 <= Grid.objects.count() <= 65
    grid = grid_locate(lat=28.6800, lng=115.8900)
    assert grid is not None and grid.code.startswith("360102")


def test_every_grid_has_an_administrator_and_most_hold_two_to_four(demo, db):
    assert not Grid.objects.filter(assignments=None).exists()
    held = list(
        get_user_model()
        .objects.filter(groups__name=Role.GRID_ADMIN)
        .annotate(n=Count("grid_assignments"))
        .values_list("n", flat=True)
    )
    assert min(held) >= 2 and 2 <= statistics.median(held) <= 4
    assert GridAssignment.objects.filter(user__username="gridadmin1").count() >= 2
    assert GridAssignment.objects.filter(user__username="gridadmin2").count() >= 2


def test_gridadmin1_patrols_the_grid_the_map_opens_on(demo, db):
    grid = grid_locate(lat=28.6800, lng=115.8900)
    assert grid.assignments.filter(user__username="gridadmin1").exists()


def test_the_printed_logins_exist_and_authenticate_with_griddemo(demo, db):
    block = _login_line(demo.out)
    assert "griddemo" in block.splitlines()[0]
    names = _login_names(block)
    expected = {"admin", "dispatcher", "supervisor", "gridadmin1", "gridadmin2"}
    expected |= {f"staff_{code}" for code in Department.objects.values_list("code", flat=True)}
    assert expected <= set(names)
    for name in names:
        assert authenticate(username=name, password="griddemo") is not None, name
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert get_user_model().objects.get(username="dispatcher").groups.filter(name=Role.DISPATCHER).exists()


def test_each_department_has_exactly_one_staff_account(demo, db):
    departments = list(Department.objects.all())
    assert len(departments) >= 6
    for department in departments:
        members = list(department.members.all())
        assert [m.username for m in members] == [f"staff_{department.code}"]
        assert members[0].groups.filter(name=Role.DEPARTMENT_STAFF).exists()
        assert department.email


def test_the_taxonomy_is_two_levels_and_every_major_class_routes(demo, db):
    minors = Category.objects.filter(parent__isnull=False)
    assert 30 <= minors.count() <= 45
    assert not Category.objects.filter(name_en="").exists()
    assert {c.kind for c in minors} == {Category.Kind.COMPONENT, Category.Kind.EVENT}
    assert all(c.code.startswith(c.parent.code) and len(c.code) == 4 for c in minors.select_related("parent"))
    for major in Category.objects.filter(parent__isnull=True):
        assert RoutingRule.objects.filter(category=major, jurisdiction=None, grid=None).exists(), major.code
    assert RoutingRule.objects.filter(auto_dispatch=True).exists()
    assert RoutingRule.objects.filter(jurisdiction__isnull=False).exists()
    assert Category.objects.filter(around_the_clock=True, default_priority=1).exists()


def test_the_history_holds_every_case_state(demo, db):
    states = set(Case.objects.values_list("state", flat=True))
    assert states == set(CaseState.values)
    # The 40 of the history; the demo's home visits add the one case a need became (demo.patrols), and
    # the public site its own reports (demo.public).
    assert Case.objects.filter(visit_need__isnull=True).exclude(source=Case.Source.PUBLIC).count() == 40
    assert Case.objects.filter(source=Case.Source.PUBLIC).count() == len(PUBLIC_REPORTS)
    assert Case.objects.filter(visit_need__isnull=False).count() == 1
    assert Case.objects.filter(duplicate_of__isnull=False).exists()
    assert Case.objects.filter(return_count__gt=0, state=CaseState.CLOSED).exists()
    assert Case.objects.filter(rework_count__gt=0).exists()
    assert Case.objects.filter(extension_count__gt=0).exists()
    assert Case.objects.filter(suspended_at__isnull=False).exists()


def test_every_step_went_through_the_services_without_a_refusal(demo, db):
    assert "skipped" not in demo.err
    # the history's 40, the case a home visit's need became, and the public site's reports
    assert chains_verify() == (41 + len(PUBLIC_REPORTS), [])


def test_deadline_alerts_are_part_of_the_history(demo, db):
    actions = set(CaseEvent.objects.values_list("action", flat=True))
    assert {"deadline_warning", "deadline_overdue", "route", "deny_extension", "verify_fail"} <= actions


def test_deadlines_run_in_working_time_on_the_2026_calendar(demo, db):
    calendar = WorkCalendar.objects.get(is_default=True)
    assert calendar.days.count() == len(CHINA_2026)
    working = calendar_resolve(calendar)
    running = Case.objects.filter(deadline_at__isnull=False).select_related("category")
    assert running.filter(category__around_the_clock=False).exists()
    for case in running:
        assert case.category.around_the_clock or working.is_working(case.deadline_at), case.number


def test_no_notification_is_left_to_send(demo, db):
    assert Notification.objects.exists()
    assert not Notification.objects.filter(sent_at__isnull=True).exists()


def test_every_grid_has_registered_residents_stored_encrypted(demo, db):
    assert not Grid.objects.filter(residents__isnull=True).exists()
    resident = Resident.objects.first()
    clear = pii.decrypt(resident.id_number_encrypted)
    assert pii.id_number_validate(clear)  # a valid GB 11643 number (birth date, check character)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM grids_resident WHERE id = %s", [resident.pk])
        row = " ".join(str(v) for v in cursor.fetchone())
    assert clear not in row  # stored as ciphertext only


def test_it_seeds_nothing_a_second_time_with_if_empty(demo, db):
    before = (Grid.objects.count(), Case.objects.count(), get_user_model().objects.count())
    out = StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert (Grid.objects.count(), Case.objects.count(), get_user_model().objects.count()) == before
    assert "already there" in out.getvalue()
    assert _login_line(out.getvalue()) == _login_line(demo.out)


def test_it_refuses_a_non_empty_database_without_if_empty(demo, db):
    with pytest.raises(CommandError, match="not empty"):
        call_command("seed_demo", "--cases", "1", stdout=StringIO())
    assert Case.objects.count() == 41 + len(PUBLIC_REPORTS)  # nothing added to what the seed made


def test_make_runs_seed_step_leaves_the_logins_to_bin_run(demo, db):
    out = StringIO()
    call_command("seed_demo", "--if-empty", "--no-logins", stdout=out)
    assert "already there" in out.getvalue() and "Demo logins" not in out.getvalue()
    out = StringIO()
    call_command("seed_demo", "--logins", stdout=out)
    assert _login_names(_login_line(out.getvalue())) == _login_names(_login_line(demo.out))
